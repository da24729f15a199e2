"""Routes on a small hand-made graph in the Paris test area (mapping.routing).

Coordinates in metres east/north of the test-area centre; N0..N7 are graph vertices,
O and D the requested origin and destination, C the camera (a 25 m disc), X a second
camera used by the strict-fallback test, Z an island the rest cannot reach:

        N4 (0,100) ------------------------ N5 (200,100)      N7 ---- N8   (island,
         |                  X (100,105)       |                           500 m east)
         |                                    |
  N0 ---- N1 (0,0) ------- N2 (100,0) ------- N3 (200,0) ---- N6 (300,0)
 (-100,0)        O (-50,-8)    C (100,8)                  D (250,-5)

The south street N1-N3 (200 m) passes the camera; the north detour N1-N4-N5-N3 (400 m)
is unwatched. From O to D: 300 m in view for about 46 m, or 500 m unseen. At a low avoidance level the walker takes the south street, at the default
one the detour. The graph is the `graph` fixture (tests/routing/hand_graph.py).
"""

from __future__ import annotations

import math

import pytest

from mapping.analysis import refresh_derived_data
from mapping.routing import (
    STRICT_FALLBACK_NOTICE,
    NoRouteError,
    RouteError,
    avoidance_lambda,
    geodesic_distance_m,
    plan_routes,
)
from mapping.snapping import snap
from tests.factories import make_camera, point
from tests.routing.geo import assert_continuous_on_the_graph, lonlat_at
from tests.routing.hand_graph import DESTINATION, NORTH_LENGTH_M, ORIGIN, SOUTH_LENGTH_M

pytestmark = pytest.mark.django_db


def test_avoidance_levels_map_onto_the_documented_lambdas(settings):
    settings.ROUTE_AVOIDANCE_LAMBDAS = ((0.0, 0.0), (0.5, 6.0), (1.0, 40.0))
    assert avoidance_lambda(0.0) == 0.0
    assert avoidance_lambda(0.25) == pytest.approx(3.0)
    assert avoidance_lambda(0.5) == pytest.approx(6.0)
    assert avoidance_lambda(1.0) == pytest.approx(40.0)


def test_great_circle_distance_is_close_to_the_geodesic():
    # One degree of latitude at 60 N is 111.4 km on the ellipsoid, 111.2 km on the sphere.
    assert geodesic_distance_m((24.9, 60.0), (24.9, 61.0)) == pytest.approx(111_400, rel=0.005)


def test_a_point_snaps_onto_the_nearest_segment_at_the_projected_point(graph):
    found = snap(*lonlat_at(30, -12))
    segments, _ = graph
    assert found.segment_id == segments[(1, 2)].pk
    assert found.fraction == pytest.approx(0.3, abs=0.01)
    assert (found.lon, found.lat) == pytest.approx(lonlat_at(30, 0), abs=1e-7)
    assert found.distance_m == pytest.approx(12.0, abs=0.1)


def test_the_shortest_route_passes_the_camera_and_the_default_one_avoids_it(graph):
    _, camera = graph
    plan = plan_routes(ORIGIN, DESTINATION, 0.5)
    shortest, avoiding = plan.routes
    assert shortest.variant == "shortest"
    assert shortest.length_m == pytest.approx(SOUTH_LENGTH_M, abs=1)
    assert shortest.exposed_m == pytest.approx(2 * math.sqrt(25**2 - 8**2), abs=1)
    assert shortest.cameras == [camera.pk]
    assert avoiding.variant == "avoiding"
    assert avoiding.length_m == pytest.approx(NORTH_LENGTH_M, abs=1)
    assert avoiding.exposed_m == 0
    assert avoiding.cameras == []
    assert avoiding.detour_ratio == pytest.approx(NORTH_LENGTH_M / SOUTH_LENGTH_M, abs=0.01)
    assert shortest.detour_ratio == 1.0


def test_a_low_avoidance_level_accepts_the_camera_to_save_the_detour(graph):
    # lambda(0.1) = 0.8: 46 watched metres cost 37 m more, less than the 200 m detour.
    _, avoiding = plan_routes(ORIGIN, DESTINATION, 0.1).routes
    assert avoiding.length_m == pytest.approx(SOUTH_LENGTH_M, abs=1)


def test_level_zero_is_the_shortest_route(graph):
    shortest, avoiding = plan_routes(ORIGIN, DESTINATION, 0.0).routes
    assert avoiding.coordinates == shortest.coordinates


def test_strict_mode_keeps_out_of_every_field_of_view(graph):
    _, avoiding = plan_routes(ORIGIN, DESTINATION, "strict").routes
    assert avoiding.exposed_m == 0
    assert avoiding.notice is None
    assert avoiding.avoid == "strict"


def test_strict_mode_falls_back_to_the_least_watched_route_and_says_so(graph):
    second = make_camera(location=point(*lonlat_at(100, 105)))
    refresh_derived_data([second.pk])
    shortest, avoiding = plan_routes(ORIGIN, DESTINATION, "strict").routes
    assert avoiding.notice == STRICT_FALLBACK_NOTICE
    assert 0 < avoiding.exposed_m <= shortest.exposed_m


def test_each_route_is_one_line_from_snapped_start_to_snapped_end(graph):
    plan = plan_routes(ORIGIN, DESTINATION, 0.5)
    for route in plan.routes:
        assert route.coordinates[0] == pytest.approx((plan.origin.lon, plan.origin.lat), abs=1e-7)
        assert route.coordinates[-1] == pytest.approx(
            (plan.destination.lon, plan.destination.lat), abs=1e-7
        )
        assert_continuous_on_the_graph(route)


def test_two_points_on_the_same_segment_walk_straight_between_them(graph):
    plan = plan_routes(lonlat_at(20, 5), lonlat_at(60, -5), 0.5)
    for route in plan.routes:
        assert route.length_m == pytest.approx(40.0, abs=0.5)
        assert len(route.coordinates) == 2


def test_a_point_far_from_any_way_is_refused_naming_it(graph):
    with pytest.raises(RouteError) as refused:
        plan_routes(ORIGIN, lonlat_at(100, 1500), 0.5)
    assert refused.value.field == "to"
    assert "500 m" in refused.value.message


def test_points_too_far_apart_are_refused(graph, settings):
    settings.ROUTE_MAX_DISTANCE_M = 200.0
    with pytest.raises(RouteError) as refused:
        plan_routes(ORIGIN, DESTINATION, 0.5)
    assert "200 m apart" in refused.value.message


def test_unconnected_points_have_no_route(graph):
    with pytest.raises(NoRouteError):
        plan_routes(ORIGIN, lonlat_at(550, 140), 0.5)


def test_a_walk_starting_exactly_at_a_junction_is_continuous(graph):
    # Snapped at a segment's end: one virtual piece has no length at all.
    plan = plan_routes(lonlat_at(-100, 0), DESTINATION, 0.5)
    assert plan.origin.fraction in (0.0, 1.0)
    for route in plan.routes:
        assert_continuous_on_the_graph(route)
    shortest, avoiding = plan.routes
    assert shortest.length_m == pytest.approx(SOUTH_LENGTH_M + 50, abs=1)
    assert avoiding.length_m == pytest.approx(NORTH_LENGTH_M + 50, abs=1)
