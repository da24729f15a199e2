"""The hand-made graph of the routing tests (sketch at the top of test_routing.py).

Vertices in metres east/north of the Paris test-area centre.
"""

from __future__ import annotations

from tests.factories import make_camera, make_segment, point
from tests.routing.geo import lonlat_at

NODE_BASE = 9_200_000_000
VERTICES = {
    0: (-100, 0),
    1: (0, 0),
    2: (100, 0),
    3: (200, 0),
    4: (0, 100),
    5: (200, 100),
    6: (300, 0),
    7: (500, 150),
    8: (600, 150),
}
EDGES = [(0, 1), (1, 2), (2, 3), (3, 6), (1, 4), (4, 5), (5, 3), (7, 8)]
ORIGIN = lonlat_at(-50, -8)
DESTINATION = lonlat_at(250, -5)
SOUTH_LENGTH_M = 50 + 200 + 50
NORTH_LENGTH_M = 50 + 400 + 50


def build_graph():
    """The segments (keyed by vertex pair) and camera C, its exposure computed."""
    from mapping.analysis import refresh_derived_data

    segments = {
        (a, b): make_segment(
            [lonlat_at(*VERTICES[a]), lonlat_at(*VERTICES[b])], NODE_BASE + a, NODE_BASE + b
        )
        for a, b in EDGES
    }
    camera = make_camera(location=point(*lonlat_at(100, 8)))
    refresh_derived_data([camera.pk])  # the incremental path a moderated camera takes
    return segments, camera
