"""The order and the geometry of cameras copied straight into an empty table
(mapping.first_load, mapping.camera_lines), checked against PostGIS itself."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from django.db import connection, transaction

from mapping import first_load
from mapping.camera_lines import point_ewkb
from mapping.first_load import geohash_keys, load_order
from mapping.models import Camera
from mapping.osm.extract import CameraElement
from tests.factories import make_camera

pytestmark = pytest.mark.django_db


def _geohashes(lons: list[float], lats: list[float]) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_GeoHash(ST_SetSRID(ST_MakePoint(x, y), 4326), 12)"
            " FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS p(x, y, n) ORDER BY n",
            [lons, lats],
        )
        return [row[0] for row in cursor.fetchall()]


def test_the_keys_sort_points_as_postgis_sorts_their_geohashes():
    rng = np.random.default_rng(5)
    # The whole globe, its edges, and a dense city where neighbours differ in late bits.
    lons = np.concatenate([rng.uniform(-180, 180, 1500), rng.normal(2.35, 0.01, 1500)])
    lats = np.concatenate([rng.uniform(-90, 90, 1500), rng.normal(48.85, 0.01, 1500)])
    lons[:4], lats[:4] = [-180.0, 180.0, 0.0, 179.99], [-90.0, 90.0, 0.0, -89.99]
    hashes = np.array(_geohashes(lons.tolist(), lats.tolist()))

    keys = geohash_keys(lons, lats)

    assert [int(key) for key in keys] == [_geohash_number(text) for text in hashes]
    by_key = hashes[np.argsort(keys, kind="stable")]
    assert (by_key[:-1] <= by_key[1:]).all()
    assert len(set(hashes)) > 2900  # the order was really tested, not a few equal cells


GEOHASH_DIGITS = "0123456789bcdefghjkmnpqrstuvwxyz"


def _geohash_number(text: str) -> int:
    """A geohash's 5-bit digits as one number (12 characters: 60 bits)."""
    number = 0
    for char in text:
        number = number << 5 | GEOHASH_DIGITS.index(char)
    return number


def _camera(osm_type: str, osm_id: int, lon: float, lat: float) -> CameraElement:
    return CameraElement(osm_type, osm_id, 1, lon, lat, {"man_made": "surveillance"})


def test_the_load_order_keeps_the_first_of_a_repeated_identity_and_ties_in_reading_order():
    cameras = [
        _camera("node", 5, 10.0, 10.0),
        _camera("way", 5, -10.0, -10.0),  # another identity: same id, other type
        _camera("node", 7, 2.0, 2.0),
        _camera("node", 5, -50.0, -50.0),  # a repeat: dropped, wherever it would sort
        _camera("node", 8, 2.0, 2.0),  # same place as node 7: after it
        _camera("relation", 1, 0.5, 0.5),
    ]

    order = load_order(cameras).tolist()

    assert [(cameras[k].osm_type, cameras[k].osm_id) for k in order] == [
        ("way", 5), ("relation", 1), ("node", 7), ("node", 8), ("node", 5),
    ]  # fmt: skip


def test_cameras_at_one_place_stay_in_the_order_they_were_read():
    ids = np.random.default_rng(2).permutation(500).tolist()
    cameras = [_camera("node", 1000 + n, 2.0, 2.0) for n in ids]
    cameras += [_camera("node", 2000 + n, 1.0, 1.0) for n in ids]  # before, by place

    order = load_order(cameras).tolist()

    assert order == list(range(500, 1000)) + list(range(500))


def test_ids_anywhere_in_the_bigint_range_keep_their_identity():
    big = 2**63 - 1  # PostgreSQL's largest bigint; OSM ids are near 1e10 today
    cameras = [
        _camera("node", big, 1.0, 1.0),
        _camera("way", big, 2.0, 2.0),
        _camera("node", -big, 3.0, 3.0),
        _camera("node", big, 4.0, 4.0),  # a repeat
    ]
    assert sorted(load_order(cameras).tolist()) == [0, 1, 2]


def test_an_empty_read_has_an_empty_order():
    assert load_order([]).tolist() == []


@pytest.mark.parametrize(
    ("lon", "lat"), [(0.1 + 0.2, -0.0), (24.9384123456789, 60.169), (-180.0, 5e-324)]
)
def test_a_point_as_hex_ewkb_is_read_back_exactly(lon, lat):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(g), ST_Y(g), ST_SRID(g) FROM (SELECT %s::geometry AS g) AS p",
            [point_ewkb(lon, lat).decode()],
        )
        x, y, srid = cursor.fetchone()
    assert (repr(x), repr(y), srid) == (repr(lon), repr(lat), 4326)  # -0.0 keeps its sign


def _defaults(*columns: str) -> dict[str, str | None]:
    with connection.cursor() as cursor:
        cursor.execute(first_load.COLUMN_DEFAULTS, ["mapping_camera", list(columns)])
        return dict(cursor.fetchall())


def test_the_constant_columns_default_to_the_load_values_only_inside_the_block():
    moment = datetime(2026, 12, 3, 12, 30, tzinfo=UTC)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE mapping_camera ALTER COLUMN confirmations SET DEFAULT 5")
        make_camera()
        Camera.objects.all().delete()  # deferred foreign-key checks left pending: settled first
        with transaction.atomic():
            with first_load.column_defaults(
                cursor,
                "mapping_camera",
                {"status": "active", "confirmations": 0, "first_seen": moment},
            ):
                inside = _defaults("status", "confirmations", "first_seen")
            after = _defaults("status", "confirmations", "first_seen")
    assert inside["status"].startswith("'active'")
    assert inside["confirmations"] == "0"
    assert "2026-12-03 12:30:00+00" in inside["first_seen"]
    # What each column defaulted to before: none, and the 5 set above.
    assert after == {"status": None, "confirmations": "5", "first_seen": None}


def test_a_failed_load_takes_the_defaults_back_with_it():
    with (
        pytest.raises(ZeroDivisionError),
        transaction.atomic(),
        connection.cursor() as cursor,
        first_load.column_defaults(cursor, "mapping_camera", {"status": "active"}),
    ):
        1 / 0  # noqa: B018
    assert _defaults("status") == {"status": None}
