"""Small helpers for routing tests: metric offsets in the empty Paris test area."""

from __future__ import annotations

import itertools
import math

import pytest
from django.db import connection

from tests.factories import TEST_AREA_CENTRE

# A plain spherical approximation, independent of the code under test.
METRES_PER_DEGREE_LAT = 111_195.0
_building_ids = itertools.count(9_500_000_000)


def lonlat_at(
    east_m: float, north_m: float, origin: tuple[float, float] = TEST_AREA_CENTRE
) -> tuple[float, float]:
    """The (lon, lat) east_m and north_m metres from origin."""
    lon0, lat0 = origin
    per_lon = METRES_PER_DEGREE_LAT * math.cos(math.radians(lat0))
    return lon0 + east_m / per_lon, lat0 + north_m / METRES_PER_DEGREE_LAT


def projected(lon: float, lat: float, bearing_deg: float, distance_m: float) -> tuple[float, float]:
    """The point at a bearing and distance on the ellipsoid (PostGIS ST_Project)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p::geometry), ST_Y(p::geometry) FROM ST_Project("
            "ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s, %s) AS p",
            [lon, lat, distance_m, math.radians(round(bearing_deg, 9) % 360)],
        )
        return cursor.fetchone()


def fov_covers(camera_id: int, lon: float, lat: float) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(ST_Covers(fov, ST_SetSRID(ST_MakePoint(%s, %s), 4326)), false) "
            "FROM mapping_camera WHERE id = %s",
            [lon, lat, camera_id],
        )
        return cursor.fetchone()[0]


def fov_area_m2(camera_id: int) -> float | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_Area(fov::geography) FROM mapping_camera WHERE id = %s", [camera_id]
        )
        return cursor.fetchone()[0]


def make_building_m(
    east_m: float,
    north_m: float,
    half_east_m: float,
    half_north_m: float,
    origin: tuple[float, float] = TEST_AREA_CENTRE,
):
    """A rectangular building centred east_m/north_m from origin, sides in metres."""
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from mapping.models import Building

    corners = [
        lonlat_at(east_m + dx * half_east_m, north_m + dy * half_north_m, origin)
        for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1))
    ]
    polygon = Polygon(corners, srid=4326)
    return Building.objects.create(
        osm_type="way", osm_id=next(_building_ids), geom=MultiPolygon(polygon, srid=4326)
    )


# For each step of a route, how far its midpoint lies from the nearest walkable segment.
STEP_OFF_GRAPH_M = """
SELECT max(off_m) FROM (
    SELECT (SELECT ST_Distance(s.geom::geography, m.mid::geography)
            FROM mapping_streetsegment s ORDER BY s.geom <-> m.mid LIMIT 1) AS off_m
    FROM (
        SELECT ST_SetSRID(ST_MakePoint((x1 + x2) / 2, (y1 + y2) / 2), 4326) AS mid
        FROM unnest(%s::float8[], %s::float8[], %s::float8[], %s::float8[]) AS c(x1, y1, x2, y2)
    ) AS m
) AS steps
"""
GEODESIC_LENGTH = """
SELECT ST_Length(ST_MakeLine(ARRAY(
    SELECT ST_MakePoint(x, y) FROM unnest(%s::float8[], %s::float8[]) AS c(x, y)))::geography)
"""


def assert_continuous_on_the_graph(route) -> None:
    """Every step of the line runs along a walkable segment (no jump between edges) and
    the line is as long as the route says."""
    coords = route.coordinates
    assert len(coords) >= 2
    starts, ends = coords[:-1], coords[1:]
    with connection.cursor() as cursor:
        cursor.execute(
            STEP_OFF_GRAPH_M,
            [
                [c[0] for c in starts],
                [c[1] for c in starts],
                [c[0] for c in ends],
                [c[1] for c in ends],
            ],
        )
        assert cursor.fetchone()[0] < 0.05
        cursor.execute(GEODESIC_LENGTH, [[c[0] for c in coords], [c[1] for c in coords]])
        assert cursor.fetchone()[0] == pytest.approx(route.length_m, rel=0.005)
