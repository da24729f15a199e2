"""Where a walker's point joins the walk graph, and the virtual edges that join it.

A point is snapped onto the nearest segment (KNN on the GiST index, the few nearest
then ranked by geodesic distance) at the projected point, not to a distant junction.
The segment is split there into two virtual edges, from a temporary vertex (-1 for
the origin, -2 for the destination) to its two ends, each measured for length and
watched metres exactly like stored segments (mapping.exposure.WATCHED).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from mapping.exposure import watched_sql, weight_parameters

ORIGIN_VERTEX = -1
DESTINATION_VERTEX = -2
# Edge ids of the virtual pieces; -1 is pgRouting's "no edge" marker, so start lower.
FIRST_VIRTUAL_EDGE = -10


@dataclass(frozen=True)
class Snap:
    """Where a requested point joins the walk graph."""

    segment_id: int
    source: int
    target: int
    fraction: float
    lon: float
    lat: float
    distance_m: float


SNAP_POINTS = """
SELECT p.ord, n.id, n.source, n.target, n.fraction, ST_X(n.snapped), ST_Y(n.snapped),
       n.distance_m
FROM unnest(%(lons)s::float8[], %(lats)s::float8[]) WITH ORDINALITY AS p(lon, lat, ord)
CROSS JOIN LATERAL (
    SELECT id, source, target, fraction, ST_LineInterpolatePoint(geom, fraction) AS snapped,
           distance_m
    FROM (
        SELECT s.id, s.source, s.target, s.geom,
               ST_LineLocatePoint(s.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))
                   AS fraction,
               ST_Distance(s.geom::geography,
                           ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)::geography) AS distance_m
        FROM (
            -- KNN on the GiST index; the few nearest in degrees are then ranked in metres.
            SELECT id, source, target, geom FROM mapping_streetsegment
            ORDER BY geom <-> ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)
            LIMIT 8
        ) AS s
    ) AS measured
    ORDER BY distance_m, id
    LIMIT 1
) AS n
ORDER BY p.ord
"""

# Pieces of the snapped segments, from the snapped fraction to an end (or to the other
# snapped point on the same segment), measured like segments (mapping.exposure.WATCHED).
VIRTUAL_PIECES = (
    """
WITH piece AS (
    SELECT * FROM unnest(%(edge_ids)s::bigint[], %(segment_ids)s::bigint[],
                         %(sources)s::bigint[], %(targets)s::bigint[],
                         %(from_fraction)s::float8[], %(to_fraction)s::float8[])
         AS p(id, segment_id, source, target, f_from, f_to)
),
cut AS MATERIALIZED (
    SELECT p.id, p.source, p.target, s.length_m AS segment_m,
           ST_Length(s.geom::geography) AS segment_geodesic_m,
           CASE WHEN p.f_from <= p.f_to
                THEN ST_LineSubstring(s.geom, p.f_from, p.f_to)
                ELSE ST_Reverse(ST_LineSubstring(s.geom, p.f_to, p.f_from)) END AS geom
    FROM piece p JOIN mapping_streetsegment s ON s.id = p.segment_id
),
lines AS NOT MATERIALIZED (
    SELECT id, geom,
           COALESCE(ST_Length(geom::geography) / NULLIF(segment_geodesic_m, 0) * segment_m, 0)
               AS length_m
    FROM cut
),
"""
    + watched_sql()
    + """
SELECT l.id, c.source, c.target, l.length_m, LEAST(l.length_m, COALESCE(w.exposed_m, 0)),
       COALESCE(w.weighted_exposure, 0), COALESCE(w.camera_ids, '{}'::bigint[]),
       ST_AsEWKT(l.geom)
FROM lines l JOIN cut c USING (id) LEFT JOIN watched w ON w.line_id = l.id
ORDER BY l.id
"""
)
VIRTUAL_EDGE_KEYS = (
    "id",
    "source",
    "target",
    "length_m",
    "exposed_m",
    "weighted_exposure",
    "camera_ids",
    "geom",
)


def snap_points(points: list[tuple[float, float]]) -> list[Snap | None]:
    """Where each (lon, lat) joins the nearest walkable segment (None: no segment at all)."""
    with connection.cursor() as cursor:
        cursor.execute(
            SNAP_POINTS, {"lons": [p[0] for p in points], "lats": [p[1] for p in points]}
        )
        found = {row[0]: Snap(*row[1:]) for row in cursor.fetchall()}
    return [found.get(n) for n in range(1, len(points) + 1)]


def snap(lon: float, lat: float) -> Snap | None:
    """Where one point joins the walk graph."""
    return snap_points([(lon, lat)])[0]


def virtual_edges(origin: Snap, destination: Snap) -> list[dict]:
    """Split each snapped segment at the snapped point into two edges to its ends."""
    # (snap, from vertex, from fraction, to fraction, to vertex)
    pieces = [
        (origin, ORIGIN_VERTEX, origin.fraction, 0.0, origin.source),
        (origin, ORIGIN_VERTEX, origin.fraction, 1.0, origin.target),
        (destination, DESTINATION_VERTEX, destination.fraction, 0.0, destination.source),
        (destination, DESTINATION_VERTEX, destination.fraction, 1.0, destination.target),
    ]
    if origin.segment_id == destination.segment_id:
        pieces.append(
            (origin, ORIGIN_VERTEX, origin.fraction, destination.fraction, DESTINATION_VERTEX)
        )
    params = {
        "edge_ids": [FIRST_VIRTUAL_EDGE - n for n in range(len(pieces))],
        "segment_ids": [p[0].segment_id for p in pieces],
        "sources": [p[1] for p in pieces],
        "targets": [p[4] for p in pieces],
        "from_fraction": [p[2] for p in pieces],
        "to_fraction": [p[3] for p in pieces],
        **weight_parameters(),
    }
    with connection.cursor() as cursor:
        cursor.execute(VIRTUAL_PIECES, params)
        rows = cursor.fetchall()
    return [dict(zip(VIRTUAL_EDGE_KEYS, row, strict=True)) for row in rows]
