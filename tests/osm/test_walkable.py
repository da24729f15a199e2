"""Walkability rules and cutting ways into walk-graph edges (pure)."""

from __future__ import annotations

import pytest

from mapping.osm.walkable import WayNodes, is_walkable, junction_nodes, split_at_junctions


@pytest.mark.parametrize(
    "highway",
    [
        "footway",
        "path",
        "pedestrian",
        "steps",
        "living_street",
        "residential",
        "service",
        "track",
        "unclassified",
        "tertiary",
        "secondary",
        "primary",
        "primary_link",
    ],
)
def test_highways_people_walk_on_are_walkable(highway):
    assert is_walkable({"highway": highway})


@pytest.mark.parametrize(
    "tags",
    [
        {"highway": "footway", "footway": "crossing"},
        {"highway": "footway", "footway": "sidewalk"},
        {"highway": "cycleway", "foot": "designated"},
        {"highway": "cycleway", "foot": "yes"},
        {"highway": "trunk", "foot": "yes"},
        {"highway": "motorway", "foot": "permissive"},
        {"highway": "service", "access": "private", "foot": "yes"},
        {"highway": "pedestrian", "area": "yes"},
    ],
)
def test_crossings_sidewalks_and_foot_yes_overrides_are_walkable(tags):
    assert is_walkable(tags)


@pytest.mark.parametrize(
    "tags",
    [
        {"highway": "motorway"},
        {"highway": "trunk"},
        {"highway": "trunk_link"},
        {"highway": "cycleway"},
        {"highway": "construction"},
        {"highway": "footway", "foot": "no"},
        {"highway": "residential", "foot": "private"},
        {"highway": "service", "access": "private"},
        {"highway": "service", "access": "no"},
        {"highway": "primary", "foot": "use_sidepath"},
        {"highway": "residential", "area": "yes"},
        {"building": "yes"},
        {},
    ],
)
def test_forbidden_or_unsuitable_ways_are_not_walkable(tags):
    assert not is_walkable(tags)


def way(way_id, *nodes, highway="footway"):
    """nodes are (id, x, y); coordinates are whatever the sketch says."""
    return WayNodes(
        way_id, highway, f"way {way_id}", tuple((n, float(x), float(y)) for n, x, y in nodes)
    )


def test_ways_are_cut_at_every_shared_node():
    #   1 ---- 2 ---- 3        way 10: 1-2-3
    #          |               way 11: 2-4-5
    #          4 ---- 6        way 12: 4-6
    #          |
    #          5
    ways = [
        way(10, (1, 0, 2), (2, 1, 2), (3, 2, 2)),
        way(11, (2, 1, 2), (4, 1, 1), (5, 1, 0)),
        way(12, (4, 1, 1), (6, 2, 1)),
    ]
    segments = split_at_junctions(ways)
    assert sorted((s.way_id, s.source, s.target) for s in segments) == [
        (10, 1, 2),
        (10, 2, 3),
        (11, 2, 4),
        (11, 4, 5),
        (12, 4, 6),
    ]
    assert {s.coords for s in segments if s.way_id == 11} == {
        ((1.0, 2.0), (1.0, 1.0)),
        ((1.0, 1.0), (1.0, 0.0)),
    }


def test_nodes_between_junctions_stay_inside_one_segment():
    #   1 -- 2 -- 3 -- 4      one way, nothing crosses it: one edge 1->4 with four points
    segments = split_at_junctions([way(20, (1, 0, 0), (2, 1, 0), (3, 2, 0), (4, 3, 0))])
    assert [(s.source, s.target, len(s.coords)) for s in segments] == [(1, 4, 4)]
    assert segments[0].wkt() == "LINESTRING(0.0 0.0,1.0 0.0,2.0 0.0,3.0 0.0)"


def test_a_loop_is_cut_where_it_meets_itself():
    #   1 -- 2 -- 3
    #        |    |           way 30: 1-2-3-4-2 (a lollipop): node 2 is met twice
    #        5 -- 4
    segments = split_at_junctions(
        [way(30, (1, 0, 1), (2, 1, 1), (3, 2, 1), (4, 2, 0), (5, 1, 0), (2, 1, 1))]
    )
    assert [(s.source, s.target) for s in segments] == [(1, 2), (2, 2)]
    assert 2 in junction_nodes([way(30, (1, 0, 1), (2, 1, 1), (3, 2, 1), (2, 1, 1))])


def test_repeated_points_are_dropped_and_degenerate_pieces_skipped():
    # Two nodes at the same place would make an invalid line; a piece of one point is no edge.
    segments = split_at_junctions([way(40, (1, 0, 0), (2, 0, 0), (3, 1, 0))])
    assert [(s.source, s.target, s.coords) for s in segments] == [(1, 3, ((0.0, 0.0), (1.0, 0.0)))]
    assert split_at_junctions([way(41, (1, 5, 5), (2, 5, 5))]) == []
