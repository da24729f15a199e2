"""Baselines: the same work done the most direct way, measured in the same run.

Raw SQL for the rows an endpoint returns, PostgreSQL's own COPY for an export, a
raw pgr_dijkstra over the whole graph for a route, a bare pyosmium read for an
import. Each runs on a plain psycopg connection to the benchmark database.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import osmium
import psycopg
from django.conf import settings

from mapping.bench.stats import time_calls
from mapping.synthetic.cities import haversine_m as synthetic_haversine_m

# The rows of one /api/cameras/ page (active cameras by default, as the endpoint): the
# feature columns, in id order, one page long. The box test is the fastest exact one the
# schema offers, the one the API uses (the position index, mapping/plane_point.py): the
# same rows, and a baseline as quick as the raw SQL can be.
IN_BOX = "position <@ box(point(%s, %s), point(%s, %s))"
BBOX_PAGE_SQL = f"""
SELECT id, ST_AsGeoJSON(location, 6), source, osm_type, osm_id, status, surveillance,
       surveillance_type, zone, camera_type, mount, directions, tilt, height, operator,
       operator_type, capabilities, vendor, name, updated_at
FROM mapping_camera
WHERE {IN_BOX} AND status = 'active'
ORDER BY id
LIMIT %s
"""

BBOX_COUNT_SQL = f"""
SELECT count(*) FROM mapping_camera
WHERE {IN_BOX} AND status = 'active'
"""

# The naive density: group the cameras of the box into square cells of cell_deg.
GRID_COUNT_SQL = """
SELECT ST_SnapToGrid(location, %(cell)s) AS cell, count(*)
FROM mapping_camera
WHERE location && ST_MakeEnvelope(%(min_lon)s, %(min_lat)s, %(max_lon)s, %(max_lat)s, 4326)
GROUP BY 1
"""

# Every camera as a GeoJSON Feature (ST_AsGeoJSON of a record), streamed by the server.
COPY_FEATURES_SQL = """
COPY (
    SELECT ST_AsGeoJSON(t.*, 'location', 6) FROM (
        SELECT id, location, source, osm_type, osm_id, status, surveillance,
               surveillance_type, zone, camera_type, mount, directions, tilt, height,
               operator, operator_type, capabilities, vendor, name, updated_at
        FROM mapping_camera
    ) AS t
) TO STDOUT
"""

NEAREST_VERTEX_SQL = """
SELECT source FROM mapping_streetsegment
ORDER BY geom <-> ST_SetSRID(ST_MakePoint(%s, %s), 4326)
LIMIT 1
"""

DIJKSTRA_SQL = """
SELECT count(*), sum(cost) FROM pgr_dijkstra(%s, %s::bigint, %s::bigint, directed => false)
"""

# The simplest field of view: a disc of the maximum reach around every active camera.
DISCS_SQL = """
SELECT count(ST_Buffer(location::geography, %s)) FROM mapping_camera WHERE status = 'active'
"""


def haversine_m(a: Sequence[float], b: Sequence[float]) -> float:
    """Metres between two (lon, lat) points."""
    return float(synthetic_haversine_m(a[0], a[1], b[0], b[1]))


def whole_graph_edges_sql(lam: float) -> str:
    """Edges text for pgr_dijkstra over every segment; lam is a number from settings."""
    return (
        "SELECT id, source, target, length_m + "
        f"{float(lam)!r} * weighted_exposure AS cost FROM mapping_streetsegment"
    )


def bbox_page(conn: psycopg.Connection, box: Sequence[float], page: int) -> list[tuple]:
    """One page of the box's active cameras, raw SQL: the API's list answer without the API."""
    return conn.execute(BBOX_PAGE_SQL, [*box, page]).fetchall()


def time_grid_counts(conn, box: tuple[float, float, float, float], cell_deg: float, repeat: int):
    params = dict(zip(("min_lon", "min_lat", "max_lon", "max_lat"), box, strict=True))
    params["cell"] = cell_deg
    return time_calls(lambda i: conn.execute(GRID_COUNT_SQL, params).fetchall(), repeat)


def copy_features_rate(conn: psycopg.Connection) -> tuple[int, int, float]:
    """(rows, bytes, seconds) of COPY-ing every camera out as GeoJSON features."""
    rows = size = 0
    started = time.perf_counter()
    with conn.cursor() as cursor, cursor.copy(COPY_FEATURES_SQL) as copy:
        for data in copy:
            rows += bytes(data).count(b"\n")
            size += len(data)
    return rows, size, time.perf_counter() - started


def nearest_vertex(conn, lon: float, lat: float) -> int:
    return conn.execute(NEAREST_VERTEX_SQL, [lon, lat]).fetchone()[0]


def time_dijkstra_pairs(conn, pairs: Sequence[tuple[int, int]], lambdas: Sequence[float]):
    """One raw pgr_dijkstra per pair and per lambda (the variants an answer holds)."""
    edges = [whole_graph_edges_sql(lam) for lam in lambdas]

    def call(i: int):
        source, target = pairs[i % len(pairs)]
        for text in edges:
            conn.execute(DIJKSTRA_SQL, [text, source, target]).fetchone()

    return time_calls(call, len(pairs), warmup=1)


def time_discs(conn) -> float:
    """Seconds to build a disc of the maximum reach around every active camera."""
    started = time.perf_counter()
    conn.execute(DISCS_SQL, [settings.FOV_MAX_REACH_M]).fetchone()
    return time.perf_counter() - started


def osmium_read(path: Path, locations: bool = False) -> tuple[int, float]:
    """(surveillance nodes, seconds) for a bare pyosmium pass over the file."""
    started = time.perf_counter()
    processor = osmium.FileProcessor(str(path))
    if locations:
        processor = processor.with_locations()
    cameras = 0
    for obj in processor:
        if obj.tags.get("man_made") == "surveillance":
            cameras += 1
    return cameras, time.perf_counter() - started
