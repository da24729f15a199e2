"""The load test's map readers: the requests the front end would send for a view."""

from __future__ import annotations

import math
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapping.bench.viewers import (
    CAMERA_ZOOMS,
    Box,
    ReaderSettings,
    camera_box,
    camera_request,
    clipped,
    cluster_zoom,
    reader_views,
    screen_box,
    snap_to_tiles,
)
from mapping.density.cells import tile_lat

lons = st.floats(min_value=-179.0, max_value=179.0)
lats = st.floats(min_value=-80.0, max_value=80.0)
zooms = st.integers(min_value=2, max_value=18)


def _is_tile_edge_lon(lon: float, zoom: int) -> bool:
    width = 360 / 2**zoom
    column = (lon + 180) / width
    return abs(column - round(column)) * width < 3e-6


def _is_tile_edge_lat(lat: float, zoom: int) -> bool:
    row = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**zoom
    return abs(tile_lat(round(row), zoom) - lat) < 3e-6


@given(lons, lats, zooms)
def test_a_snapped_view_is_whole_tiles_holding_the_view(lon, lat, zoom):
    view = screen_box(lon, lat, zoom, pad=0.3)
    snapped = snap_to_tiles(view, zoom)
    inset = 3e-6  # edges move in by 2e-6 so that rounding never reaches the next tile
    assert snapped.west <= view.west + inset and snapped.east >= view.east - inset
    assert snapped.south <= view.south + inset and snapped.north >= view.north - inset
    assert _is_tile_edge_lon(snapped.west, zoom) and _is_tile_edge_lon(snapped.east, zoom)
    assert _is_tile_edge_lat(snapped.south, zoom) and _is_tile_edge_lat(snapped.north, zoom)
    # At most one tile more on each side than the view itself.
    tile_deg = 360 / 2**zoom
    assert snapped.east - snapped.west <= view.east - view.west + 2 * tile_deg


def test_views_a_few_metres_apart_send_the_same_request_and_far_apart_do_not():
    here = camera_request(2.35220, 48.85660, 16, 5000)
    assert camera_request(2.35225, 48.85662, 16, 5000) == here
    assert camera_request(2.36500, 48.85660, 16, 5000) != here
    assert camera_request(2.35220, 48.85660, 17, 5000) != here
    # What static/js/cameras.js sends (tests/e2e/test_map.py checks the map's own request).
    assert "&status=active&page_size=5000&properties=surveillance," in here


def test_a_view_larger_than_the_api_allows_is_clipped_around_its_centre():
    france = Box(-5.0, 41.0, 10.0, 51.0)
    small = clipped(france, 40.0)
    assert small.area <= 40.0
    assert math.isclose((small.west + small.east) / 2, 2.5)
    assert clipped(Box(0, 0, 1, 1), 40.0) == Box(0, 0, 1, 1)


READER = ReaderSettings(max_area=400, page_size=5000, marker_limit=5000)


def test_reader_views_are_reproducible_and_of_the_kind_asked():
    centres = [(2.35, 48.85), (4.83, 45.76), (5.37, 43.30)]

    def few(box):
        return 10

    first = reader_views(centres, 50, "street", 3, READER, few)
    assert first == reader_views(centres, 50, "street", 3, READER, few)
    assert first != reader_views(centres, 50, "street", 4, READER, few)
    for view in first:
        assert [kind for kind, _ in view] == ["street", "bbox"]
        assert view[0][1].startswith("/api/density/?in_bbox=")
        assert view[1][1].startswith("/api/cameras/?in_bbox=")
    density = reader_views(centres, 20, "density", 3, READER, few)
    for view in density:
        [(kind, path)] = view
        assert kind == "density" and path.startswith("/api/density/?in_bbox=") and "&zoom=" in path


def test_a_street_view_asks_for_markers_only_where_they_fit_and_counts_their_area():
    """The count covers the markers' area exactly (same box, cells nesting in its tiles),
    and markers follow only when the area holds at most marker_limit cameras."""
    centres = [(2.35, 48.85)]
    boxes = []

    def many(box):
        boxes.append(box)
        return READER.marker_limit + 1

    [view] = reader_views(centres, 1, "street", 5, READER, many)
    [(kind, path)] = view
    assert kind == "street"
    query = parse_qs(urlsplit(path).query)
    zoom = int(query["zoom"][0])
    assert query["in_bbox"] == [boxes[0].param()]
    [view_zoom] = [z for z in CAMERA_ZOOMS if camera_box(*centres[0], z) == boxes[0]]
    assert zoom == cluster_zoom(view_zoom)
    just_enough = reader_views(centres, 1, "street", 5, READER, lambda box: READER.marker_limit)
    markers = parse_qs(urlsplit(just_enough[0][1][1]).query)
    assert markers["in_bbox"] == query["in_bbox"]


@pytest.mark.parametrize(
    ("zoom", "expected"), [(14, 12), (15, 13), (16, 13), (17, 14), (18, 15), (19, 16)]
)
def test_street_squares_nest_in_the_tiles_of_the_view_and_read_stored_counts_up_to_zoom_16(
    zoom, expected
):
    """Cells of cluster_zoom are tiles of cluster_zoom + 3: never coarser than the view's
    tiles (so they cover its area exactly), stored up to level 16 (zoom 13)."""
    assert cluster_zoom(zoom) == expected
    assert zoom <= cluster_zoom(zoom) + 3 <= zoom + 1
