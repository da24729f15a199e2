"""How much of each street segment is watched, stored on StreetSegment, set-based.

For every segment, in one statement over all of them:

- ``exposed_m``: metres inside the union of the fields of view (a stretch seen by two
  cameras counts once);
- ``camera_ids``: the cameras whose field of view covers some length of it (touching
  at a single point does not count);
- ``weighted_exposure``: each watched stretch counts with the highest weight among the
  cameras that see it (settings.EXPOSURE_WEIGHTS; a camera weighs the most of "plain"
  and the weights of its capabilities and type). With weight levels w1 < w2 < ...
  it is the sum over levels of (w_k - w_k-1) x metres seen by cameras weighing at
  least w_k, which is exactly the length integral of the highest weight.

Overlaps are merged as intervals along the line (fractions from its start), not by a
polygon union: it is faster, and exact where unions of many slightly different polygons
are not. Lengths are geodesic, scaled to the stored length_m so exposed_m never
exceeds it. The same SQL (WATCHED) measures the pieces of split segments for routing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction

# A camera's weight: the largest of "plain" and the weights of what it can do.
CAMERA_WEIGHT = """
GREATEST(
    %(plain_weight)s::float8,
    COALESCE((SELECT max((%(weights)s::jsonb ->> trait)::float8)
              FROM unnest(array_append(c.capabilities, c.surveillance_type)) AS trait), 0)
)
"""

# CTEs measuring the watched metres of a CTE "lines (id, geom, length_m)" defined before
# them; the result is "watched (line_id, exposed_m, weighted_exposure, camera_ids)",
# with a row only for lines that some camera sees.
WATCHED = """
pair AS MATERIALIZED (
    SELECT l.id AS line_id, c.id AS camera_id, {weight} AS weight,
           ST_CollectionExtract(ST_Intersection(c.fov, l.geom), 2) AS piece
    FROM mapping_camera c
    JOIN lines l ON l.geom && c.fov AND ST_Intersects(c.fov, l.geom)
    WHERE c.status = 'active' AND c.fov IS NOT NULL
),
seen AS MATERIALIZED (
    SELECT * FROM pair WHERE ST_Length(piece) > 0
),
part AS MATERIALIZED (
    -- Each watched stretch as an interval of its line (fractions from the line's start).
    SELECT line_id, weight, LEAST(a, b) AS lo, GREATEST(a, b) AS hi
    FROM (
        SELECT seen.line_id, seen.weight,
               ST_LineLocatePoint(l.geom, ST_StartPoint(d.geom)) AS a,
               ST_LineLocatePoint(l.geom, ST_EndPoint(d.geom)) AS b
        FROM seen
        JOIN lines l ON l.id = seen.line_id
        CROSS JOIN LATERAL ST_Dump(seen.piece) AS d
    ) AS located
),
level_part AS (
    -- At each weight level present on a line, the stretches of cameras at least as heavy.
    SELECT lv.line_id, lv.weight, p.lo, p.hi
    FROM (SELECT DISTINCT line_id, weight FROM part) AS lv
    JOIN part p ON p.line_id = lv.line_id AND p.weight >= lv.weight
),
run AS (
    -- Overlapping stretches merge: a new run starts past the end of every earlier one.
    SELECT line_id, weight, lo, hi,
           sum(starts_run) OVER (PARTITION BY line_id, weight ORDER BY lo, hi) AS run_no
    FROM (
        SELECT level_part.*,
               CASE WHEN lo <= max(hi) OVER (PARTITION BY line_id, weight ORDER BY lo, hi
                                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                    THEN 0 ELSE 1 END AS starts_run
        FROM level_part
    ) AS flagged
),
layer AS (
    -- Metres seen at each level, measured on the geography and scaled to length_m.
    SELECT m.line_id, m.weight,
           sum(ST_Length(ST_LineSubstring(l.geom, m.lo, m.hi)::geography))
               / NULLIF(min(ST_Length(l.geom::geography)), 0) * min(l.length_m) AS watched_m
    FROM (SELECT line_id, weight, min(lo) AS lo, max(hi) AS hi
          FROM run GROUP BY line_id, weight, run_no) AS m
    JOIN lines l ON l.id = m.line_id
    GROUP BY m.line_id, m.weight
),
stepped AS (
    SELECT line_id, watched_m,
           weight - COALESCE(lag(weight) OVER (PARTITION BY line_id ORDER BY weight), 0)
               AS weight_step
    FROM layer
),
watched AS MATERIALIZED (
    SELECT st.line_id, max(st.watched_m) AS exposed_m,
           sum(st.weight_step * st.watched_m) AS weighted_exposure,
           min(w.camera_ids) AS camera_ids
    FROM stepped st
    JOIN (SELECT line_id, array_agg(DISTINCT camera_id ORDER BY camera_id) AS camera_ids
          FROM seen GROUP BY line_id) AS w USING (line_id)
    GROUP BY st.line_id
)
"""

# {scope} is one of the constant SCOPE_* fragments below (about the segment s), never input.
# Over every segment, "lines" is not materialised, so the camera join can use the segments'
# spatial index. Over a few (SCOPE_NEAR_CAMERAS) it is: those few are found first and each
# looks its cameras up in their fields of view's index. Inlined, the planner started from
# every camera with a field of view and tested the scope on each segment it met: 65 s for
# the 221 cameras of a city imported beside 2.5 million (36,000 with a field of view).
REFRESH_EXPOSURE = (
    """
WITH lines AS {materialized} (
    SELECT s.id, s.geom, s.length_m FROM mapping_streetsegment s WHERE {scope}
),
"""
    + WATCHED
    + """,
-- Rounded to the millimetre: float sums depend on the order rows arrive in, and an
-- unchanged segment must compare equal on the next refresh (it is then not rewritten).
fresh AS (
    SELECT l.id,
           round(LEAST(l.length_m, COALESCE(w.exposed_m, 0))::numeric, 3)::float8 AS exposed_m,
           round(COALESCE(w.weighted_exposure, 0)::numeric, 3)::float8 AS weighted_exposure,
           COALESCE(w.camera_ids, '{{}}'::bigint[]) AS camera_ids
    FROM lines l LEFT JOIN watched w ON w.line_id = l.id
)
UPDATE mapping_streetsegment AS s
SET exposed_m = f.exposed_m, weighted_exposure = f.weighted_exposure, camera_ids = f.camera_ids
FROM fresh f
WHERE s.id = f.id
  AND (s.exposed_m, s.weighted_exposure, s.camera_ids)
      IS DISTINCT FROM (f.exposed_m, f.weighted_exposure, f.camera_ids)
"""
)

SCOPE_ALL = "true"
# Segments seen before (by id or through the listed cameras) or now by the changed cameras.
# As one set of ids, each part found its own way (the position index for the fields of
# view): written as three ORs, the planner tested every segment of the table against the
# changed cameras, 11.8 s on the 500,000-segment graph for the 221 cameras of a city's
# import (the field-of-view part alone through the cameras: milliseconds). The segments
# that list a camera come from their GIN index (migration 0012), not a read of the graph.
SCOPE_NEAR_CAMERAS = """
s.id IN (
    SELECT unnest(%(segment_ids)s::bigint[])
    UNION
    SELECT listed.id FROM mapping_streetsegment AS listed
    WHERE listed.camera_ids && %(camera_ids)s::bigint[]
    UNION
    SELECT seen.id
    FROM mapping_camera AS c
    JOIN mapping_streetsegment AS seen ON seen.geom && c.fov AND ST_Intersects(c.fov, seen.geom)
    WHERE c.id = ANY(%(camera_ids)s::bigint[])
)
"""

SEGMENTS_SEEN_BY = """
SELECT DISTINCT s.id
FROM mapping_camera c
JOIN mapping_streetsegment s ON s.geom && c.fov AND ST_Intersects(c.fov, s.geom)
WHERE c.id = ANY(%(camera_ids)s::bigint[]) AND c.fov IS NOT NULL
"""


def watched_sql() -> str:
    """The WATCHED CTEs with the camera weight filled in (both constant text)."""
    return WATCHED.format(weight=CAMERA_WEIGHT)


def weight_parameters() -> dict:
    """Query parameters the camera weight expression needs."""
    weights = {str(key): float(value) for key, value in settings.EXPOSURE_WEIGHTS.items()}
    return {"plain_weight": weights.get("plain", 1.0), "weights": json.dumps(weights)}


def segments_seen_by(camera_ids: Iterable[int]) -> list[int]:
    """Ids of the segments the cameras' current fields of view reach (before a change)."""
    with connection.cursor() as cursor:
        cursor.execute(SEGMENTS_SEEN_BY, {"camera_ids": list(camera_ids)})
        return [row[0] for row in cursor.fetchall()]


def refresh_exposure(
    camera_ids: Iterable[int] | None = None, segment_ids: Iterable[int] = ()
) -> int:
    """Recompute exposure; return how many segments changed.

    camera_ids None: every segment. Otherwise only the segments that the given cameras
    see now, the ones that listed them, and segment_ids (those their old fields of view
    reached, from segments_seen_by before the fields of view were recomputed).
    """
    if camera_ids is None:
        sql = REFRESH_EXPOSURE.format(
            materialized="NOT MATERIALIZED", scope=SCOPE_ALL, weight=CAMERA_WEIGHT
        )
        params = weight_parameters()
    else:
        sql = REFRESH_EXPOSURE.format(
            materialized="MATERIALIZED", scope=SCOPE_NEAR_CAMERAS, weight=CAMERA_WEIGHT
        )
        params = {
            **weight_parameters(),
            "camera_ids": list(camera_ids),
            "segment_ids": list(segment_ids),
        }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")  # JIT compiling costs more than the query
        cursor.execute(sql, params)
        return cursor.rowcount
