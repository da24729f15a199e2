"""What a street-level view asks the API, counted in a real browser (page.on("request")).

A street view asks how many cameras its area holds (the stored per-cell sums), then its
markers in one page where they fit (static/js/streetplan.js); where the density squares
drawn already tell the count, the markers come straight away. A crowded area never has
its cameras downloaded: its count in squares only.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from mapping.bench.viewers import cluster_zoom
from mapping.views import map_config
from tests.e2e.test_map import CENTRE_LAT, CENTRE_LON, active_cameras_in

pytestmark = [pytest.mark.e2e]


def api_requests(session, since: int = 0) -> list[tuple[str, dict[str, str]]]:
    """(path, query) of each API request the page made, from the `since`-th request on."""
    found = []
    for url in session.requests[since:]:
        parts = urlsplit(url)
        if parts.path.startswith("/api/"):
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            found.append((parts.path, query))
    return found


def set_view(session, lat: float, lon: float, zoom: int) -> dict:
    session.page.evaluate(
        "([lat, lon, zoom]) => { window.angleMort.map.setView([lat, lon], zoom, {animate: false}); }",
        [lat, lon, zoom],
    )
    return session.wait_for_map()


def test_a_street_view_asks_the_count_then_its_markers_in_one_page(map_session):
    """Opened at street level, and moved to another street view: the area's count, then
    its markers in one page of the same area."""
    map_session.open(f"/#map=16/{CENTRE_LAT}/{CENTRE_LON}")
    state = map_session.wait_for_map("cameras")
    asked = api_requests(map_session)
    assert [path for path, _ in asked] == ["/api/density/", "/api/cameras/"]
    counted, markers = asked[0][1], asked[1][1]
    assert counted["in_bbox"] == markers["in_bbox"]
    assert int(counted["zoom"]) == cluster_zoom(16)
    assert int(markers["page_size"]) == map_config()["pageSize"] and "page" not in markers
    in_area = active_cameras_in(markers["in_bbox"])
    assert 0 < int(state["loaded"]) == in_area
    assert map_session.page.text_content("#status").endswith("in view")

    # Closer, where fields of view are drawn too: what is loaded does not serve it.
    before = len(map_session.requests)
    state = set_view(map_session, CENTRE_LAT - 0.004, CENTRE_LON + 0.005, 17)
    assert state["layer"] == "cameras"
    asked = api_requests(map_session, before)
    assert [path for path, _ in asked] == ["/api/density/", "/api/cameras/"]
    assert asked[1][1]["fov"] == "1"
    assert int(state["loaded"]) == active_cameras_in(asked[1][1]["in_bbox"]) > 0


def test_zooming_in_from_the_density_map_asks_for_the_markers_once(map_session):
    """The density squares drawn at zoom 13 count the area loaded at zoom 14 (their cells
    nest in its tiles): its markers are asked for straight away, in one full page."""
    map_session.open(lat=CENTRE_LAT, lon=CENTRE_LON, zoom=13)
    assert map_session.wait_for_map("density")
    before = len(map_session.requests)
    state = set_view(map_session, CENTRE_LAT, CENTRE_LON, 14)
    assert state["layer"] == "cameras"
    asked = api_requests(map_session, before)
    assert [path for path, _ in asked] == ["/api/cameras/"]
    assert int(asked[0][1]["page_size"]) == map_config()["pageSize"]
    assert int(state["loaded"]) == active_cameras_in(asked[0][1]["in_bbox"]) > 0


def test_a_crowded_street_view_does_not_download_its_cameras(map_session, settings):
    """More cameras than the limit: the count in squares alone; a pan nearby, and a zoom
    in from the density map, ask only the count again."""
    limit = 40
    settings.MAP_MARKER_LIMIT = limit
    page = map_session.page
    map_session.open(f"/#map=15/{CENTRE_LAT}/{CENTRE_LON}")
    state = map_session.wait_for_map("clusters")
    asked = api_requests(map_session)
    assert [path for path, _ in asked] == ["/api/density/"]
    counted = asked[0][1]
    assert int(counted["zoom"]) == cluster_zoom(15)
    assert active_cameras_in(counted["in_bbox"]) > limit
    assert int(state["loaded"]) > 1  # squares
    assert page.evaluate("window.angleMort.cameras.features.length") == 0

    # Half a view east: out of the squares loaded, and still crowded.
    before = len(map_session.requests)
    state = set_view(map_session, CENTRE_LAT, CENTRE_LON + 0.03, 15)
    assert state["layer"] == "clusters"
    assert [path for path, _ in api_requests(map_session, before)] == ["/api/density/"]

    set_view(map_session, CENTRE_LAT, CENTRE_LON, 13)
    before = len(map_session.requests)
    state = set_view(map_session, CENTRE_LAT, CENTRE_LON, 14)
    assert state["layer"] == "clusters"
    assert [path for path, _ in api_requests(map_session, before)] == ["/api/density/"]
    assert not [path for path, _ in api_requests(map_session) if path == "/api/cameras/"]
