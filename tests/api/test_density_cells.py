"""Density cells: tile arithmetic (pure), its SQL twin, and the packing of filterable columns."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest
from django.db import connection

from mapping.bbox import BBox
from mapping.camera_queries import CameraFilters
from mapping.density import cells
from mapping.density.cells import (
    cell_polygon,
    tile_bounds,
    tile_columns,
    tile_rows,
    tile_x,
    tile_y,
    tiles_covering,
)
from mapping.density.dimensions import (
    CAPABILITIES,
    DIMENSIONS,
    DIMS_BITS,
    decode,
    dims_conditions,
    dims_sql,
    dims_statistics_expressions,
    encode,
)
from mapping.density.triggers import tile_x_sql, tile_y_sql

_random = random.Random(5)
POINTS = [(2.3522, 48.8566), (24.9384, 60.1699), (-122.42, 37.77), (0.0, 0.0), (180.0, 85.1)]
POINTS += [(_random.uniform(-180, 180), _random.uniform(-85, 85)) for _ in range(200)]


@pytest.mark.parametrize(("lon", "lat"), POINTS[:5])
@pytest.mark.parametrize("level", [3, 9, 16, 20])
def test_a_point_lies_in_the_tile_computed_for_it(lon, lat, level):
    x, y = tile_x(lon, level), tile_y(lat, level)
    b = tile_bounds(level, x, y)
    clamped_lat = max(-cells.MAX_MERCATOR_LAT, min(cells.MAX_MERCATOR_LAT, lat))
    assert b.min_lon <= min(lon, b.max_lon) <= b.max_lon
    assert b.min_lat - 1e-9 <= clamped_lat <= b.max_lat + 1e-9


def test_tiles_nest_from_one_level_to_the_next():
    for lon, lat in POINTS:
        for level in range(4, 22):
            assert tile_x(lon, level) >> 1 == tile_x(lon, level - 1)
            assert tile_y(lat, level) >> 1 == tile_y(lat, level - 1)


def test_known_tiles():
    # Level 1 splits the world in four: the north-west quarter is (0, 0).
    assert (tile_x(-90, 1), tile_y(45, 1)) == (0, 0)
    assert (tile_x(90, 1), tile_y(-45, 1)) == (1, 1)
    # The east and south edges of the world stay in the last tile.
    assert (tile_x(180, 5), tile_y(-90, 5)) == (31, 31)
    assert tile_bounds(0, 0, 0).as_tuple() == pytest.approx(
        (-180, -cells.MAX_MERCATOR_LAT, 180, cells.MAX_MERCATOR_LAT)
    )


def test_cells_are_32_pixels_whatever_the_zoom():
    assert cells.CELL_SIZE_PX == 32
    for zoom in (0, 6, 12, 17):
        level = cells.cell_level(zoom)
        width_deg = 360 / 2**level
        assert width_deg * 2**zoom * 256 / 360 == 32


def test_the_covering_range_holds_every_tile_the_box_touches():
    box = BBox(2.25, 48.81, 2.42, 48.90)
    tiles = tiles_covering(box, 14)
    assert tiles.x0 <= tiles.x1 and tiles.y0 <= tiles.y1
    for lon, lat in [(2.25, 48.81), (2.42, 48.90), (2.33, 48.85)]:
        assert (tile_x(lon, 14), tile_y(lat, 14)) in tiles
    envelope = tiles.envelope()
    assert envelope.min_lon <= box.min_lon and envelope.max_lon >= box.max_lon
    assert envelope.min_lat <= box.min_lat and envelope.max_lat >= box.max_lat
    assert tiles.cell_count == (tiles.x1 - tiles.x0 + 1) * (tiles.y1 - tiles.y0 + 1)


def test_cell_polygon_is_a_closed_counter_clockwise_ring():
    ring = cell_polygon(12, 2074, 1409)["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5
    area2 = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring))
    assert area2 > 0


def test_sql_computes_the_same_tiles_as_python(db):
    values = ", ".join("(%s::float8, %s::float8)" for _ in POINTS)
    params = [coordinate for lonlat in POINTS for coordinate in lonlat]
    for level in (3, 9, 16, 19):
        scale = f"{float(2**level)}::float8"
        location = "ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)"
        sql = (
            f"SELECT {tile_x_sql(location, scale)}, {tile_y_sql(location, scale)} "
            f"FROM (VALUES {values}) AS p(lon, lat)"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            from_sql = cursor.fetchall()
        assert from_sql == [(tile_x(lon, level), tile_y(lat, level)) for lon, lat in POINTS]


def _edge_points(level: int, count: int) -> list[tuple[float, float]]:
    """Points on tiles' edges, as near as floats get, and a few units off either way."""
    scale, points = 2**level, []
    for k in range(count):
        x, y = _random.randrange(scale + 1), _random.randrange(scale + 1)
        lon = x / scale * 360.0 - 180.0
        lat = math.degrees(math.atan(math.sinh(math.pi * (1.0 - 2.0 * y / scale))))
        for steps in range(-3, 4):
            points.append(
                (
                    float(np.nextafter(lon, math.copysign(math.inf, steps)) if steps else lon),
                    _ulps(lat, steps + k % 2),
                )
            )
    return points


def _ulps(value: float, steps: int) -> float:
    for _ in range(abs(steps)):
        value = float(np.nextafter(value, math.copysign(math.inf, steps)))
    return value


EDGE_POINTS = [*_edge_points(16, 150), (-180.0, -90.0), (180.0, 90.0), (0.0, 85.0511287798066)]


@pytest.mark.parametrize("level", [3, 16, 19])
def test_numpy_gives_every_point_the_tile_python_gives_even_on_an_edge(level):
    points = POINTS + EDGE_POINTS
    lons, lats = np.array([p[0] for p in points]), np.array([p[1] for p in points])

    assert tile_columns(lons, level).tolist() == [tile_x(lon, level) for lon, _ in points]
    assert tile_rows(lats, level).tolist() == [tile_y(lat, level) for _, lat in points]
    assert tile_rows(lats, level).dtype == np.int64


def test_sql_gives_points_on_an_edge_the_tiles_numpy_gives(db):
    values = ", ".join("(%s::float8, %s::float8)" for _ in EDGE_POINTS)
    params = [coordinate for lonlat in EDGE_POINTS for coordinate in lonlat]
    scale = f"{float(2**16)}::float8"
    location = "ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {tile_x_sql(location, scale)}, {tile_y_sql(location, scale)} "
            f"FROM (VALUES {values}) AS p(lon, lat)",
            params,
        )
        from_sql = cursor.fetchall()
    lons, lats = np.array([p[0] for p in EDGE_POINTS]), np.array([p[1] for p in EDGE_POINTS])

    assert from_sql == list(
        zip(tile_columns(lons, 16).tolist(), tile_rows(lats, 16).tolist(), strict=True)
    )


# --- Packing of the filterable columns ----------------------------------------------------

CAMERAS = [
    {"source": "osm", "status": "active", "surveillance": "", "surveillance_type": "camera"},
    {
        "source": "community",
        "status": "removed",
        "surveillance": "indoor",
        "surveillance_type": "gunshot_detector",
        "camera_type": "panning",
        "capabilities": ["ptz", "face_recognition"],
    },
    {
        "source": "osm",
        "status": "active",
        "surveillance": "public",
        "surveillance_type": "alpr",
        "camera_type": "",
        "capabilities": list(CAPABILITIES),
    },
]


def test_dims_fit_in_a_positive_smallint_range():
    assert DIMS_BITS <= 15
    widths = [d.bits for d in DIMENSIONS]
    assert all(2**bits >= len(d.values) for bits, d in zip(widths, DIMENSIONS, strict=True))


@pytest.mark.parametrize("camera", CAMERAS)
def test_dims_round_trip(camera):
    decoded = decode(encode(camera))
    for column in ("source", "status", "surveillance", "surveillance_type", "camera_type"):
        assert decoded[column] == camera.get(column, "")
    assert sorted(decoded["capabilities"]) == sorted(camera.get("capabilities", []))


def test_sql_packs_dims_as_python_does(db):
    rows = " UNION ALL ".join(
        "SELECT %s::text AS source, %s::text AS status, %s::text AS surveillance, "
        "%s::text AS surveillance_type, %s::text AS camera_type, %s::varchar[] AS capabilities"
        for _ in CAMERAS
    )
    params = []
    for camera in CAMERAS:
        params += [camera.get(key, "") for key in ("source", "status", "surveillance")]
        params += [camera.get("surveillance_type", ""), camera.get("camera_type", "")]
        params.append(camera.get("capabilities", []))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {dims_sql('c')} FROM ({rows}) c", params)
        assert [row[0] for row in cursor.fetchall()] == [encode(c) for c in CAMERAS]


def test_mercator_limit_is_where_the_map_is_square():
    y = math.degrees(math.atan(math.sinh(math.pi)))
    assert y == pytest.approx(cells.MAX_MERCATOR_LAT, abs=1e-12)


@pytest.mark.django_db
def test_the_planner_has_statistics_on_every_dimension_the_density_query_filters_on():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_statisticsobjdef(oid) FROM pg_statistic_ext"
            " WHERE stxname = 'densitycell_dims'"
        )
        (definition,) = cursor.fetchone()
    conditions, _ = dims_conditions(
        CameraFilters(
            sources=("osm",), statuses=("active",), surveillances=("public",),
            surveillance_types=("camera",), camera_types=("dome",),
        )
    )  # fmt: skip
    for expression, condition in zip(dims_statistics_expressions(), conditions, strict=True):
        assert condition.startswith(expression)
        assert expression in definition
