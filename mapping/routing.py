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
needs (box, lambdas, strict flags, virtual edges) are passed as transaction-local
settings with set_config(%s) and read back with current_setting(), so nothing is ever
formatted into SQL. The settings, both searches and both lines are one statement
(ROUTES), prepared (mapping.prepared): a request is usually two round trips, this and
the snapping.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from itertools import pairwise

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mapping.fov_geometry import metres_per_degree
from mapping.prepared import fetch_prepared
from mapping.snapping import DESTINATION_VERTEX, ORIGIN_VERTEX, Snap, snap_and_split

EARTH_RADIUS_M = 6_371_008.8

# Lazy: said in the language of the request that reads the route.
STRICT_FALLBACK_NOTICE = gettext_lazy(
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
    # (lon, lat) of the cameras by id, the same cameras as `cameras`.
    camera_positions: dict[int, tuple[float, float]] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return self.length_m / settings.WALKING_SPEED_M_S


@dataclass
class RoutePlan:
    origin: Snap
    destination: Snap
    routes: list[Route] = field(default_factory=list)

    @property
    def camera_positions(self) -> dict[int, tuple[float, float]]:
        """(lon, lat) of every camera either route passes, by id in id order."""
        merged = {}
        for route in self.routes:
            merged.update(route.camera_positions)
        return dict(sorted(merged.items()))


# Constant text given to pgr_dijkstra for search {slot} (1 or 2) of a statement; every
# value comes from the settings that statement sets first (ROUTES, "config").
EDGES_SQL = """
SELECT id, source, target,
       length_m + (SELECT current_setting('anglemort.route_lambda_{slot}')::float8)
                  * weighted_exposure AS cost
FROM mapping_streetsegment
WHERE geom && ST_MakeEnvelope(
          (SELECT current_setting('anglemort.route_min_lon')::float8),
          (SELECT current_setting('anglemort.route_min_lat')::float8),
          (SELECT current_setting('anglemort.route_max_lon')::float8),
          (SELECT current_setting('anglemort.route_max_lat')::float8), 4326)
  AND (exposed_m = 0 OR NOT (SELECT current_setting('anglemort.route_strict_{slot}')::boolean))
UNION ALL
SELECT id, source, target,
       length_m + (SELECT current_setting('anglemort.route_lambda_{slot}')::float8)
                  * weighted_exposure AS cost
FROM jsonb_to_recordset((SELECT current_setting('anglemort.route_virtual')::jsonb))
     AS v(id bigint, source bigint, target bigint, length_m float8, exposed_m float8,
          weighted_exposure float8)
WHERE exposed_m = 0 OR NOT (SELECT current_setting('anglemort.route_strict_{slot}')::boolean)
"""
FIRST_EDGES_SQL = EDGES_SQL.format(slot=1)
SECOND_EDGES_SQL = EDGES_SQL.format(slot=2)

# One or two searches and their lines in one statement (one round trip, no transaction
# of its own: set_config(..., true) lasts until the statement's implicit one ends).
# "config" runs first because each pgr_dijkstra takes its edges text from it. The second
# search runs only when asked and when the first path passes a camera (else the first
# is also the answer); it reads the first path, so it runs after it. Each path's edges
# are turned to run the way the walker goes and joined into one line, with the sums of
# their lengths and watched metres (added in path order) and the active cameras that see
# them, with their places (a map showing counts instead of markers draws them from these).
# A camera removed or deleted since the exposure was last computed (after an import with
# --defer-derived, until refresh_derived) is no longer named, nor drawn.
ROUTES = """
WITH config AS MATERIALIZED (
    SELECT count(set_config(name, value, true)) AS settings
    FROM (VALUES ('anglemort.route_min_lon', %(min_lon)s::text),
                 ('anglemort.route_min_lat', %(min_lat)s::text),
                 ('anglemort.route_max_lon', %(max_lon)s::text),
                 ('anglemort.route_max_lat', %(max_lat)s::text),
                 ('anglemort.route_virtual', %(virtual_costs)s::text),
                 ('anglemort.route_lambda_1', %(lambda_1)s::text),
                 ('anglemort.route_strict_1', %(strict_1)s::text),
                 ('anglemort.route_lambda_2', %(lambda_2)s::text),
                 ('anglemort.route_strict_2', %(strict_2)s::text)) AS s(name, value)
),
virtual AS MATERIALIZED (
    SELECT * FROM jsonb_to_recordset(%(virtual)s::jsonb)
         AS v(id bigint, source bigint, target bigint, length_m float8, exposed_m float8,
              camera_ids bigint[], geom text)
),
first_path AS MATERIALIZED (
    SELECT path_seq, node, edge
    FROM pgr_dijkstra((SELECT %(first_edges)s::text FROM config),
                      %(origin)s::bigint, %(destination)s::bigint, directed => false)
    WHERE edge <> -1
),
second_path AS MATERIALIZED (
    SELECT path_seq, node, edge
    FROM pgr_dijkstra(
        (SELECT %(second_edges)s::text FROM config
         WHERE %(second)s::boolean AND EXISTS (
             SELECT 1 FROM first_path p
             LEFT JOIN mapping_streetsegment s ON s.id = p.edge
             LEFT JOIN virtual v ON v.id = p.edge
             WHERE COALESCE(s.exposed_m, v.exposed_m) > 0)),
        %(origin)s::bigint, %(destination)s::bigint, directed => false)
    WHERE edge <> -1
),
step AS MATERIALIZED (
    SELECT p.search, p.path_seq, e.*
    FROM (SELECT 1 AS search, * FROM first_path
          UNION ALL
          SELECT 2, * FROM second_path) AS p
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
SELECT search,
       ST_AsGeoJSON(ST_RemoveRepeatedPoints(ST_MakeLine(array_agg(geom ORDER BY path_seq))), 7),
       sum(length_m ORDER BY path_seq), sum(exposed_m ORDER BY path_seq),
       (SELECT json_agg(json_build_array(c.id, ST_X(c.location), ST_Y(c.location))
                        ORDER BY c.id)::text
        FROM mapping_camera AS c
        WHERE c.status = 'active'
          AND c.id IN (SELECT u FROM step AS t, unnest(t.camera_ids) AS u
                       WHERE t.search = step.search))
FROM step
GROUP BY search
ORDER BY search
"""

# A path found: its [lon, lat] coordinates, length_m, exposed_m, the ids of the cameras
# that see it and their (lon, lat) by id.
Found = tuple[list[tuple[float, float]], float, float, list[int], dict[int, tuple[float, float]]]

COORDINATE_DIGITS = 7  # about 1 cm: what ST_AsGeoJSON(..., 7) gives the lines


def _positions(text: str | None) -> dict[int, tuple[float, float]]:
    """Cameras' (lon, lat) by id from the statement's [[id, lon, lat], ...] JSON."""
    return {
        int(camera_id): (round(lon, COORDINATE_DIGITS), round(lat, COORDINATE_DIGITS))
        for camera_id, lon, lat in json.loads(text or "[]")
    }


@dataclass(frozen=True)
class Search:
    """One Dijkstra: lambda, and whether watched segments are left out."""

    lam: float
    strict: bool = False


SHORTEST = Search(0.0)


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


def find_paths(
    box: dict[str, str], first: Search, second: Search | None, edges: list[dict]
) -> tuple[Found | None, Found | None]:
    """Search first and, when the path it finds passes a camera, second, inside the box.

    None for a search that found no path (the ends are not connected there) or that
    did not run.
    """
    costs = [{k: v for k, v in e.items() if k not in {"geom", "camera_ids"}} for e in edges]
    other = second or first
    rows = fetch_prepared(
        ROUTES,
        {
            **box,
            "virtual_costs": json.dumps(costs),
            "lambda_1": repr(float(first.lam)),
            "strict_1": "true" if first.strict else "false",
            "lambda_2": repr(float(other.lam)),
            "strict_2": "true" if other.strict else "false",
            "virtual": json.dumps(edges),
            "first_edges": FIRST_EDGES_SQL,
            "second_edges": SECOND_EDGES_SQL,
            "second": second is not None,
            "origin": ORIGIN_VERTEX,
            "destination": DESTINATION_VERTEX,
        },
    )
    found: dict[int, Found] = {
        search: (
            [tuple(point) for point in json.loads(geojson)["coordinates"]],
            length_m,
            exposed_m,
            list(places),  # the ids, in id order
            places,
        )
        for search, geojson, length_m, exposed_m, places in (
            (search, geojson, length_m, exposed_m, _positions(text))
            for search, geojson, length_m, exposed_m, text in rows
        )
    }
    return found.get(1), found.get(2)


def find_path(box: dict[str, str], search: Search, edges: list[dict]) -> Found | None:
    """One Dijkstra inside the box, or None when the ends are not connected there."""
    return find_paths(box, search, None, edges)[0]


def search_margins(distance_m: float) -> list[float]:
    """Margins of the successive search boxes, in metres."""
    first = max(settings.ROUTE_SEARCH_MARGIN_MIN_M, settings.ROUTE_SEARCH_MARGIN_RATIO * distance_m)
    return [first * settings.ROUTE_SEARCH_GROWTH**n for n in range(settings.ROUTE_SEARCH_TRIES)]


def _route(variant: str, found: tuple, avoid: float | str, notice: str | None = None) -> Route:
    coordinates, length_m, exposed_m, cameras, positions = found
    return Route(
        variant,
        coordinates,
        length_m,
        min(exposed_m, length_m),
        cameras,
        avoid,
        notice,
        camera_positions=positions,
    )


# Ends joining the walk graph closer than this are at the same place: no walk between them.
SAME_PLACE_M = 0.01


def plan_routes(
    origin: tuple[float, float], destination: tuple[float, float], avoid: float | str
) -> RoutePlan:
    """The shortest and the camera-avoiding walk between two (lon, lat) points.

    avoid is a level in 0..1 or "strict". Raises RouteError for input that cannot be
    routed (far from any way, too far apart, same place) and NoRouteError when no
    walkable connection exists. Usually two statements: snapping with the virtual
    edges, then both searches in the first box that connects the ends.
    """
    if geodesic_distance_m(origin, destination) > settings.ROUTE_MAX_DISTANCE_M:
        raise RouteError(
            "to",
            _("the points are more than %(metres)s m apart; plan a shorter walk")
            % {"metres": f"{settings.ROUTE_MAX_DISTANCE_M:g}"},
        )
    start, end, edges = snap_and_split(origin, destination)
    for name, found in (("from", start), ("to", end)):
        if found is None or found.distance_m > settings.ROUTE_MAX_SNAP_DISTANCE_M:
            raise RouteError(
                name,
                _("no walkable way within %(metres)s m of this point")
                % {"metres": f"{settings.ROUTE_MAX_SNAP_DISTANCE_M:g}"},
            )
    if geodesic_distance_m((start.lon, start.lat), (end.lon, end.lat)) < SAME_PLACE_M:
        # Not only the same point of the same segment: a junction node joined from two of
        # its segments (1 mm apart, one point snaps to the end of one, the other to the
        # start of the next) gave a "route" of 0 m.
        raise RouteError("to", _("both points join the walkable ways at the same place"))
    plan = RoutePlan(start, end)
    avoiding_search = Search(0.0, True) if avoid == "strict" else Search(avoidance_lambda(avoid))
    shortest = avoiding = box = margin = None
    for margin in search_margins(geodesic_distance_m((start.lon, start.lat), (end.lon, end.lat))):
        box = search_box(start, end, margin)
        shortest, avoiding = find_paths(box, SHORTEST, avoiding_search, edges)
        if shortest is not None:
            break
    if shortest is None:
        raise NoRouteError(_("no walkable route connects these points"))
    plan.routes.append(_route("shortest", shortest, 0.0))
    if shortest[2] <= 0:
        # Nothing to avoid: any other route costs at least its own length, more.
        plan.routes.append(_route("avoiding", shortest, avoid))
    elif avoid != "strict":
        # Same box, same edges: the ends are connected for this search too.
        plan.routes.append(_route("avoiding", avoiding, float(avoid)))
    else:
        plan.routes.append(_strict_route(start, end, box, margin, avoiding, edges))
    shortest_length = plan.routes[0].length_m
    for route in plan.routes:
        route.detour_ratio = route.length_m / shortest_length if shortest_length > 0 else 1.0
    return plan


def _strict_route(
    start: Snap, end: Snap, box: dict[str, str], margin: float, found: Found | None, edges
) -> Route:
    """Strict mode: the unwatched route found in the box of the shortest route, else one
    in a larger box, else the least-watched route in the first box, with a notice."""
    if found is not None:
        return _route("avoiding", found, "strict")
    grown = search_box(start, end, margin * settings.ROUTE_SEARCH_GROWTH)
    found = find_path(grown, Search(0.0, True), edges)
    if found is not None:
        return _route("avoiding", found, "strict")
    found = find_path(box, Search(settings.ROUTE_LEAST_WATCHED_LAMBDA), edges)
    return _route("avoiding", found, "strict", STRICT_FALLBACK_NOTICE)
