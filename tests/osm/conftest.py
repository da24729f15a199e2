"""Fixtures for the OpenStreetMap import tests: the local Overpass and a small test town."""

from __future__ import annotations

import pytest

from tests.fake_overpass import FakeOverpass
from tests.helsinki import HELSINKI_PBF
from tests.osm.builder import OsmBuilder, at


@pytest.fixture
def fake_overpass(settings):
    """The local Overpass stand-in serving the Helsinki extract; the importer's settings
    point at it, with no pause between retries so retry tests stay fast."""
    with FakeOverpass(HELSINKI_PBF) as server:
        settings.OVERPASS_URL = server.url
        settings.OVERPASS_BACKOFF_S = 0.0
        settings.OVERPASS_MAX_RETRIES = 2
        settings.OVERPASS_TIMEOUT_S = 5.0
        yield server


def testville_town() -> OsmBuilder:
    """Three cameras, a small street network and two buildings.

    1 ---- 2 ---- 3          way 10 footway 1-2-3 ("Rue A")
           |                 way 11 residential 2-4-5
           4 ==== 6          way 12 motorway 4-6 (not walkable)
           |
           5        cameras 101 (at 2), 102 (ALPR), 103; building way 50, relation 60
    """
    town = OsmBuilder()
    town.node(1, at(-2, 2)).node(2, at(0, 2)).node(3, at(2, 2))
    town.node(4, at(0, 0)).node(5, at(0, -2)).node(6, at(2, 0))
    town.way(10, [1, 2, 3], {"highway": "footway", "name": "Rue A"})
    town.way(11, [2, 4, 5], {"highway": "residential"})
    town.way(12, [4, 6], {"highway": "motorway"})
    town.camera(
        101, at(0.1, 2.1), tags={"camera:direction": "90", "height": "5 m", "operator": "Ville"}
    )
    town.camera(102, at(1, 0.2), tags={"surveillance:type": "ANPR", "camera:tilt": "-20"})
    town.camera(103, at(-1, -1), tags={"surveillance": "public", "height": "tall"})
    town.way(50, town.square(500, at(4, 4), 0.0002), {"building": "yes"})
    outer = town.square(600, at(-4, 4), 0.0003)
    inner = town.square(610, at(-4, 4), 0.0001)
    town.way(61, outer, {}).way(62, inner, {})
    town.relation(
        60,
        [("w", 61, "outer"), ("w", 62, "inner")],
        {"type": "multipolygon", "building": "apartments"},
    )
    return town


@pytest.fixture
def town():
    return testville_town()
