"""Where a walker's point joins the walk graph, and the virtual edges that join it.

A point is snapped onto the nearest segment (KNN on the GiST index, the few nearest
then ranked by geodesic distance) at the projected point, not to a distant junction.
The segment is split there into two virtual edges, from a temporary vertex (-1 for
the origin, -2 for the destination) to its two ends, each measured for length and
watched metres exactly like stored segments (mapping.exposure.WATCHED).

A route request snaps both ends and cuts and measures the pieces in one statement
(snap_and_split): one round trip instead of two, the pieces being cheap next to the
planning of the statement that measures them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from mapping.exposure import watched_sql, weight_parameters
from mapping.prepared import fetch_prepared

ORIGIN_VERTEX = -1
DESTINATION_VERTEX = -2
# Edge ids of the virtual pieces; -1 is pgRouting's "no edge" marker, so start lower.
FIRST_VIRTUAL_EDGE = -10
# The pieces, in this order: origin to its segment's source and target, destination
# to its segment's source and target, and origin straight to destination when both
# are on the same segment.
ORIGIN_TO_SOURCE, ORIGIN_TO_TARGET, DESTINATION_TO_SOURCE, DESTINATION_TO_TARGET, BETWEEN = (
    FIRST_VIRTUAL_EDGE - n for n in range(5)
)


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


# The nearest segment of each point p(lon, lat, ord), defined before this fragment.
NEAREST = """
SELECT p.ord, n.id, n.source, n.target, n.fraction, ST_X(n.snapped) AS lon,
       ST_Y(n.snapped) AS lat, n.distance_m
FROM point AS p
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
"""

POINTS = """
point AS (
    SELECT * FROM unnest(%(lons)s::float8[], %(lats)s::float8[]) WITH ORDINALITY AS p(lon, lat, ord)
)
"""

SNAP_POINTS = "WITH " + POINTS + NEAREST + "ORDER BY p.ord"

# Pieces of the snapped segments, from the snapped fraction to an end (or to the other
# snapped point on the same segment), measured like segments (mapping.exposure.WATCHED).
# "snapped" holds the origin (ord 1) and the destination (ord 2); "piece" names, for
# each piece, the point it starts from (ord) and where it goes.
SNAP_AND_SPLIT = (
    """
WITH point AS (
    -- Two scalar pairs rather than arrays: the plan is the same whatever the values,
    -- so PostgreSQL keeps the prepared (generic) one.
    SELECT * FROM (VALUES (%(origin_lon)s::float8, %(origin_lat)s::float8, 1),
                          (%(destination_lon)s::float8, %(destination_lat)s::float8, 2))
         AS p(lon, lat, ord)
),
snapped AS MATERIALIZED (
"""
    + NEAREST
    + """
),
piece AS (
    SELECT %(origin_to_source)s::bigint AS id, o.ord, o.id AS segment_id,
           %(origin)s::bigint AS source, o.source AS target,
           o.fraction AS f_from, 0::float8 AS f_to
    FROM snapped o WHERE o.ord = 1
    UNION ALL
    SELECT %(origin_to_target)s, o.ord, o.id, %(origin)s, o.target, o.fraction, 1
    FROM snapped o WHERE o.ord = 1
    UNION ALL
    SELECT %(destination_to_source)s, d.ord, d.id, %(destination)s, d.source, d.fraction, 0
    FROM snapped d WHERE d.ord = 2
    UNION ALL
    SELECT %(destination_to_target)s, d.ord, d.id, %(destination)s, d.target, d.fraction, 1
    FROM snapped d WHERE d.ord = 2
    UNION ALL
    SELECT %(between)s, o.ord, o.id, %(origin)s, %(destination)s, o.fraction, d.fraction
    FROM snapped o JOIN snapped d ON d.ord = 2 AND d.id = o.id
    WHERE o.ord = 1
),
cut AS MATERIALIZED (
    SELECT p.id, p.ord, p.source, p.target, s.length_m AS segment_m,
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
SELECT s.ord, s.id, s.source, s.target, s.fraction, s.lon, s.lat, s.distance_m,
       e.id, e.source, e.target, e.length_m, e.exposed_m, e.weighted_exposure, e.camera_ids,
       e.geom
FROM snapped s
LEFT JOIN (
    SELECT l.id, c.ord, c.source, c.target, l.length_m,
           LEAST(l.length_m, COALESCE(w.exposed_m, 0)) AS exposed_m,
           COALESCE(w.weighted_exposure, 0) AS weighted_exposure,
           COALESCE(w.camera_ids, '{}'::bigint[]) AS camera_ids, ST_AsEWKT(l.geom) AS geom
    FROM lines l JOIN cut c USING (id) LEFT JOIN watched w ON w.line_id = l.id
) AS e ON e.ord = s.ord
ORDER BY e.id
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


def snap_and_split(
    origin: tuple[float, float], destination: tuple[float, float]
) -> tuple[Snap | None, Snap | None, list[dict]]:
    """Snap both (lon, lat) ends and cut their segments into virtual edges.

    Returns the two snaps (None when there is no segment at all) and the virtual
    edges as dicts (VIRTUAL_EDGE_KEYS; geom as EWKT), in ascending id order. The
    pieces are cut even for a snap that the caller will refuse (too far away, the
    same place twice): they are cheap, and one round trip is saved for every
    request that is routed.
    """
    params = {
        "origin_lon": origin[0],
        "origin_lat": origin[1],
        "destination_lon": destination[0],
        "destination_lat": destination[1],
        "origin": ORIGIN_VERTEX,
        "destination": DESTINATION_VERTEX,
        "origin_to_source": ORIGIN_TO_SOURCE,
        "origin_to_target": ORIGIN_TO_TARGET,
        "destination_to_source": DESTINATION_TO_SOURCE,
        "destination_to_target": DESTINATION_TO_TARGET,
        "between": BETWEEN,
        **weight_parameters(),
    }
    rows = fetch_prepared(SNAP_AND_SPLIT, params)
    snaps = {row[0]: Snap(*row[1:8]) for row in rows}
    edges = [
        dict(zip(VIRTUAL_EDGE_KEYS, row[8:], strict=True)) for row in rows if row[8] is not None
    ]
    return snaps.get(1), snaps.get(2), edges
