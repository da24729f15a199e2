"""How a route request talks to PostgreSQL (mapping.snapping, mapping.routing, mapping.prepared).

On the hand-made graph sketched in test_routing.py (fixture `graph`): one statement
snaps both ends and cuts their segments, one more runs both searches; the statements
are prepared, and prepared or not they answer the same.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mapping.routing import SHORTEST, Search, find_paths, plan_routes, search_box
from mapping.snapping import (
    BETWEEN,
    DESTINATION_TO_SOURCE,
    DESTINATION_TO_TARGET,
    DESTINATION_VERTEX,
    ORIGIN_TO_SOURCE,
    ORIGIN_TO_TARGET,
    ORIGIN_VERTEX,
    snap_and_split,
    snap_points,
)
from tests.routing.geo import lonlat_at
from tests.routing.hand_graph import DESTINATION, ORIGIN

pytestmark = pytest.mark.django_db


def test_snapping_and_splitting_together_snap_like_snap_points(graph):
    start, end, edges = snap_and_split(ORIGIN, DESTINATION)
    assert [start, end] == snap_points([ORIGIN, DESTINATION])
    assert [(e["id"], e["source"], e["target"]) for e in edges] == [
        (DESTINATION_TO_TARGET, DESTINATION_VERTEX, end.target),
        (DESTINATION_TO_SOURCE, DESTINATION_VERTEX, end.source),
        (ORIGIN_TO_TARGET, ORIGIN_VERTEX, start.target),
        (ORIGIN_TO_SOURCE, ORIGIN_VERTEX, start.source),
    ]
    # O is 50 m along the 100 m segment N0-N1; D 50 m along N3-N6.
    assert [round(e["length_m"]) for e in edges] == [50, 50, 50, 50]
    assert all(e["exposed_m"] == 0 and e["camera_ids"] == [] for e in edges)


def test_two_ends_on_one_segment_get_the_piece_between_them(graph):
    start, end, edges = snap_and_split(lonlat_at(20, 5), lonlat_at(60, -5))
    assert start.segment_id == end.segment_id
    between = next(e for e in edges if e["id"] == BETWEEN)
    assert (between["source"], between["target"]) == (ORIGIN_VERTEX, DESTINATION_VERTEX)
    assert between["length_m"] == pytest.approx(40.0, abs=0.1)
    assert len(edges) == 5


def test_a_watched_piece_is_measured_like_a_segment(graph):
    _, camera = graph
    # Both ends on N1-N2, which the camera's 25 m disc at (100, 8) watches near N2.
    _, _, edges = snap_and_split(lonlat_at(10, 0), lonlat_at(60, 0))
    towards_n2 = next(e for e in edges if e["id"] == DESTINATION_TO_TARGET)
    assert towards_n2["camera_ids"] == [camera.pk]
    assert towards_n2["exposed_m"] == pytest.approx(24.0, abs=0.5)  # from x=76 to x=100
    assert towards_n2["weighted_exposure"] == pytest.approx(towards_n2["exposed_m"])


def test_the_second_search_runs_only_when_the_first_path_passes_a_camera(graph):
    start, end, edges = snap_and_split(ORIGIN, DESTINATION)
    box = search_box(start, end, 200)
    shortest, avoiding = find_paths(box, SHORTEST, Search(6.0), edges)
    assert shortest[2] > 0 and avoiding[2] == 0  # the south street is watched, the north not
    assert avoiding[1] > shortest[1]

    start, end, edges = snap_and_split(lonlat_at(0, 60), lonlat_at(150, 100))  # north only
    shortest, avoiding = find_paths(search_box(start, end, 200), SHORTEST, Search(6.0), edges)
    assert shortest[2] == 0
    assert avoiding is None


def test_a_box_that_does_not_connect_the_ends_finds_nothing(graph):
    start, end, edges = snap_and_split(ORIGIN, lonlat_at(550, 140))  # the island
    assert find_paths(search_box(start, end, 200), SHORTEST, Search(6.0), edges) == (None, None)


def test_a_routed_request_is_two_statements(graph, settings):
    settings.PREPARED_STATEMENTS = False  # through Django's cursor, so they are counted
    with CaptureQueriesContext(connection) as queries:
        plan_routes(ORIGIN, DESTINATION, 0.5)
    assert len(queries.captured_queries) == 2


def test_the_route_statements_are_prepared_once_per_connection(graph):
    plan_routes(ORIGIN, DESTINATION, 0.5)
    plan_routes(lonlat_at(0, 60), DESTINATION, 0.5)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    # Stored with $n placeholders: recognised by what only each of them holds.
    assert sum("'anglemort.route_lambda_2'" in text for text in prepared) == 1  # ROUTES
    assert sum("ST_LineSubstring" in text for text in prepared) == 1  # SNAP_AND_SPLIT


@pytest.mark.parametrize("avoid", [0.0, 0.5, 1.0, "strict"])
def test_prepared_and_unprepared_statements_plan_the_same_routes(graph, settings, avoid):
    walks = [(ORIGIN, DESTINATION), (lonlat_at(20, 5), lonlat_at(60, -5)),
             (lonlat_at(-100, 0), DESTINATION), (lonlat_at(0, 60), lonlat_at(250, 5))]  # fmt: skip
    prepared = [plan_routes(a, b, avoid) for a, b in walks]
    settings.PREPARED_STATEMENTS = False
    assert [plan_routes(a, b, avoid) for a, b in walks] == prepared
