"""Walking routes that avoid cameras, with pgRouting on the street segments.

The cost of a segment is ``length_m + lambda * weighted_exposure``: lambda is how many
extra metres a walker accepts to avoid one (weighted) watched metre. The avoidance level
0..1 maps onto lambda by settings.ROUTE_AVOIDANCE_LAMBDAS; ``strict`` instead drops every
watched segment and, when that leaves no way through, falls back to the least-watched
route (lambda = ROUTE_LEAST_WATCHED_LAMBDA) and says so.

Speed: pgr_dijkstra reads only the segments in a box around both ends (a GiST index
scan), grown and retried when the ends are not connected inside it; nothing is built
per request beyond that. Each end is snapped onto the nearest segment at the projected
point, which is split into two virtual edges (vertices -1 and -2), so a route starts
where the walker stands, not at a distant junction. A route's length and watched
metres are the sums over its edges of the stored segment figures (and of the virtual
pieces, measured the same way), so what is shown is what the costs used.

pgr_dijkstra takes its edges as SQL text. That text is a constant here: the values it
needs (box, lambda, strict, virtual edges) are passed as transaction-local settings
with set_config(%s) and read back with current_setting(), so nothing is ever
formatted into SQL.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from itertools import pairwise

from django.conf import settings
from django.db import connection, transaction

from mapping.fov_geometry import metres_per_degree
from mapping.snapping import (
    DESTINATION_VERTEX,
    ORIGIN_VERTEX,
    Snap,
    snap_points,
    virtual_edges,
)

EARTH_RADIUS_M = 6_371_008.8

STRICT_FALLBACK_NOTICE = (
    "No route out of sight of every known camera was found near these points; "
    "this is the least-watched route instead."
)


class RouteError(ValueError):
    """A request that cannot be routed because of its input; names the parameter."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


class NoRouteError(Exception):
    """The two points are not connected by walkable ways."""


@dataclass
class Route:
    variant: str
    coordinates: list[tuple[float, float]]
    length_m: float
    exposed_m: float
    cameras: list[int]
    avoid: float | str
    notice: str | None = None
    detour_ratio: float = 1.0

    @property
    def duration_s(self) -> float:
        return self.length_m / settings.WALKING_SPEED_M_S


@dataclass
class RoutePlan:
    origin: Snap
    destination: Snap
    routes: list[Route] = field(default_factory=list)


CONFIGURE = """
SELECT set_config('anglemort.route_min_lon', %(min_lon)s, true),
       set_config('anglemort.route_min_lat', %(min_lat)s, true),
       set_config('anglemort.route_max_lon', %(max_lon)s, true),
       set_config('anglemort.route_max_lat', %(max_lat)s, true),
       set_config('anglemort.route_lambda', %(lambda)s, true),
       set_config('anglemort.route_strict', %(strict)s, true),
       set_config('anglemort.route_virtual', %(virtual)s, true)
"""

# Constant text given to pgr_dijkstra; every value comes from the settings above.
EDGES_SQL = """
SELECT id, source, target,
       length_m + (SELECT current_setting('anglemort.route_lambda')::float8)
                  * weighted_exposure AS cost
FROM mapping_streetsegment
WHERE geom && ST_MakeEnvelope(
          (SELECT current_setting('anglemort.route_min_lon')::float8),
          (SELECT current_setting('anglemort.route_min_lat')::float8),
          (SELECT current_setting('anglemort.route_max_lon')::float8),
          (SELECT current_setting('anglemort.route_max_lat')::float8), 4326)
  AND (exposed_m = 0 OR NOT (SELECT current_setting('anglemort.route_strict')::boolean))
UNION ALL
SELECT id, source, target,
       length_m + (SELECT current_setting('anglemort.route_lambda')::float8)
                  * weighted_exposure AS cost
FROM jsonb_to_recordset((SELECT current_setting('anglemort.route_virtual')::jsonb))
     AS v(id bigint, source bigint, target bigint, length_m float8, exposed_m float8,
          weighted_exposure float8)
WHERE exposed_m = 0 OR NOT (SELECT current_setting('anglemort.route_strict')::boolean)
"""

# The path's edges, each turned to run the way the walker goes, as one line with the
# sums of its edges' lengths and watched metres and the cameras that see them.
ROUTE = """
WITH path AS (
    SELECT path_seq, node, edge
    FROM pgr_dijkstra(%(edges_sql)s, %(origin)s::bigint, %(destination)s::bigint,
                      directed => false)
    WHERE edge <> -1
),
virtual AS (
    SELECT * FROM jsonb_to_recordset(%(virtual)s::jsonb)
         AS v(id bigint, source bigint, target bigint, length_m float8, exposed_m float8,
              camera_ids bigint[], geom text)
),
step AS (
    SELECT p.path_seq, e.*
    FROM path p
    CROSS JOIN LATERAL (
        SELECT CASE WHEN p.node = s.source THEN s.geom ELSE ST_Reverse(s.geom) END AS geom,
               s.length_m, s.exposed_m, s.camera_ids
        FROM mapping_streetsegment s WHERE s.id = p.edge
        UNION ALL
        SELECT CASE WHEN p.node = v.source THEN ST_GeomFromEWKT(v.geom)
                    ELSE ST_Reverse(ST_GeomFromEWKT(v.geom)) END,
               v.length_m, v.exposed_m, v.camera_ids
        FROM virtual v WHERE v.id = p.edge
    ) AS e
)
SELECT ST_AsGeoJSON(ST_RemoveRepeatedPoints(ST_MakeLine(array_agg(geom ORDER BY path_seq))), 7),
       sum(length_m), sum(exposed_m),
       ARRAY(SELECT DISTINCT unnest(camera_ids) FROM step ORDER BY 1)
FROM step
HAVING count(*) > 0
"""


def avoidance_lambda(level: float) -> float:
    """Lambda for an avoidance level in 0..1, linear between the settings' points."""
    points = sorted(settings.ROUTE_AVOIDANCE_LAMBDAS)
    level = min(max(level, points[0][0]), points[-1][0])
    for (x0, y0), (x1, y1) in pairwise(points):
        if x0 <= level <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (level - x0) / (x1 - x0)
    return points[-1][1]


def geodesic_distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lon, lat) points on the mean Earth sphere.

    Good to a few tenths of a percent: plenty for a limit on how far apart they are.
    """
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def search_box(a: Snap, b: Snap, margin_m: float) -> dict[str, str]:
    """The box around both snapped points grown by margin_m, as set_config strings."""
    k_lon, k_lat = metres_per_degree(max(abs(a.lat), abs(b.lat)))
    d_lon, d_lat = margin_m / k_lon, margin_m / k_lat
    return {
        "min_lon": repr(max(-180.0, min(a.lon, b.lon) - d_lon)),
        "min_lat": repr(max(-90.0, min(a.lat, b.lat) - d_lat)),
        "max_lon": repr(min(180.0, max(a.lon, b.lon) + d_lon)),
        "max_lat": repr(min(90.0, max(a.lat, b.lat) + d_lat)),
    }


def find_path(box: dict[str, str], lam: float, strict: bool, edges: list[dict]) -> tuple | None:
    """One Dijkstra inside the box: (coordinates, length_m, exposed_m, camera ids), or
    None when the ends are not connected there."""
    costs = [{k: v for k, v in e.items() if k not in {"geom", "camera_ids"}} for e in edges]
    with connection.cursor() as cursor:
        cursor.execute(
            CONFIGURE,
            {
                **box,
                "lambda": repr(float(lam)),
                "strict": "true" if strict else "false",
                "virtual": json.dumps(costs),
            },
        )
        cursor.execute(
            ROUTE,
            {
                "edges_sql": EDGES_SQL,
                "origin": ORIGIN_VERTEX,
                "destination": DESTINATION_VERTEX,
                "virtual": json.dumps(edges),
            },
        )
        row = cursor.fetchone()
    if row is None:
        return None
    coordinates = [tuple(point) for point in json.loads(row[0])["coordinates"]]
    return coordinates, row[1], row[2], list(row[3])


def search_margins(distance_m: float) -> list[float]:
    """Margins of the successive search boxes, in metres."""
    first = max(settings.ROUTE_SEARCH_MARGIN_MIN_M, settings.ROUTE_SEARCH_MARGIN_RATIO * distance_m)
    return [first * settings.ROUTE_SEARCH_GROWTH**n for n in range(settings.ROUTE_SEARCH_TRIES)]


def _route(variant: str, found: tuple, avoid: float | str, notice: str | None = None) -> Route:
    coordinates, length_m, exposed_m, cameras = found
    return Route(variant, coordinates, length_m, min(exposed_m, length_m), cameras, avoid, notice)


def plan_routes(
    origin: tuple[float, float], destination: tuple[float, float], avoid: float | str
) -> RoutePlan:
    """The shortest and the camera-avoiding walk between two (lon, lat) points.

    avoid is a level in 0..1 or "strict". Raises RouteError for input that cannot be
    routed (far from any way, too far apart, same place) and NoRouteError when no
    walkable connection exists.
    """
    if geodesic_distance_m(origin, destination) > settings.ROUTE_MAX_DISTANCE_M:
        raise RouteError(
            "to",
            f"the points are more than {settings.ROUTE_MAX_DISTANCE_M:g} m apart; "
            "plan a shorter walk",
        )
    start, end = snap_points([origin, destination])
    for name, found in (("from", start), ("to", end)):
        if found is None or found.distance_m > settings.ROUTE_MAX_SNAP_DISTANCE_M:
            raise RouteError(
                name,
                f"no walkable way within {settings.ROUTE_MAX_SNAP_DISTANCE_M:g} m of this point",
            )
    if start.segment_id == end.segment_id and math.isclose(start.fraction, end.fraction):
        raise RouteError("to", "both points join the walkable ways at the same place")
    plan = RoutePlan(start, end)
    with transaction.atomic():  # set_config(..., true) lasts until the end of it
        edges = virtual_edges(start, end)
        shortest = box = margin = None
        for margin in search_margins(
            geodesic_distance_m((start.lon, start.lat), (end.lon, end.lat))
        ):
            box = search_box(start, end, margin)
            shortest = find_path(box, 0.0, False, edges)
            if shortest is not None:
                break
        if shortest is None:
            raise NoRouteError("no walkable route connects these points")
        plan.routes.append(_route("shortest", shortest, 0.0))
        if shortest[2] <= 0:
            # Nothing to avoid: any other route costs at least its own length, more.
            plan.routes.append(_route("avoiding", shortest, avoid))
        else:
            plan.routes.append(_avoiding_route(start, end, box, margin, avoid, edges))
    shortest_length = plan.routes[0].length_m
    for route in plan.routes:
        route.detour_ratio = route.length_m / shortest_length if shortest_length > 0 else 1.0
    return plan


def _avoiding_route(start: Snap, end: Snap, box, margin: float, avoid, edges) -> Route:
    """The avoiding variant inside the box where the shortest route was found; strict mode
    also tries one larger box before falling back to the least-watched route."""
    if avoid != "strict":
        found = find_path(box, avoidance_lambda(float(avoid)), False, edges)
        return _route("avoiding", found, float(avoid))
    for grown in (box, search_box(start, end, margin * settings.ROUTE_SEARCH_GROWTH)):
        found = find_path(grown, 0.0, True, edges)
        if found is not None:
            return _route("avoiding", found, "strict")
    found = find_path(box, settings.ROUTE_LEAST_WATCHED_LAMBDA, False, edges)
    return _route("avoiding", found, "strict", STRICT_FALLBACK_NOTICE)
