"""What a street-level view asks the API, counted in a real browser (page.on("request")).

A view whose area holds few cameras asks for its markers once: the first page's `count`
says there are no more (static/js/streetplan.js). A crowded one never downloads its
cameras to find out that they are too many: at most one first page of `limit` markers,
then the count in squares, and none at all once squares say the area is crowded.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from mapping.bench.viewers import cluster_zoom
from mapping.views import map_config
from tests.e2e.test_map import (
    CENTRE_LAT,
    CENTRE_LON,
    active_cameras_in,
    assert_only_first_pages,
)

pytestmark = [pytest.mark.e2e]

FIRST_PAGE_SIZE = 500  # settings.API_PAGE_SIZE, the map's first page (static/js/streetplan.js)


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


def test_a_street_view_with_few_cameras_asks_for_its_markers_once(map_session):
    """Opened at street level, and moved to another street view: one request each, the
    markers' first page, whose count says it holds them all."""
    map_session.open(f"/#map=16/{CENTRE_LAT}/{CENTRE_LON}")
    state = map_session.wait_for_map("cameras")
    asked = api_requests(map_session)
    assert [path for path, _ in asked] == ["/api/cameras/"]
    query = asked[0][1]
    assert int(query["page_size"]) == FIRST_PAGE_SIZE and "page" not in query
    in_area = active_cameras_in(query["in_bbox"])
    assert int(state["loaded"]) == in_area
    assert 0 < in_area <= FIRST_PAGE_SIZE
    assert map_session.page.text_content("#status").endswith("in view")

    # Closer, where fields of view are drawn too: what is loaded does not serve it.
    before = len(map_session.requests)
    state = set_view(map_session, CENTRE_LAT - 0.004, CENTRE_LON + 0.005, 17)
    assert state["layer"] == "cameras"
    asked = api_requests(map_session, before)
    assert [path for path, _ in asked] == ["/api/cameras/"]
    assert asked[0][1]["fov"] == "1"
    assert int(state["loaded"]) == active_cameras_in(asked[0][1]["in_bbox"]) > 0


def pages_asked(asked) -> list[tuple[str, str | None]]:
    """(page_size, page) of each camera page asked for."""
    return [
        (query["page_size"], query.get("page")) for path, query in asked if path == "/api/cameras/"
    ]


def test_an_area_larger_than_the_first_page_gets_the_rest_in_one_request(session_factory, settings):
    """A first page of 50 (API_PAGE_SIZE lowered) and an area of more than twice that: the
    area is asked again in one full page, not in many pages of 50. Just under the area's
    count: the first page's next page holds the rest, and nothing is asked twice."""
    view = f"/#map=16/{CENTRE_LAT}/{CENTRE_LON}"
    settings.API_PAGE_SIZE = 50
    small = session_factory()
    small.open(view)
    state = small.wait_for_map("cameras")
    asked = api_requests(small)
    full = str(map_config()["pageSize"])
    assert pages_asked(asked) == [("50", None), (full, None)]
    assert [path for path, _ in asked] == ["/api/cameras/"] * 2
    in_area = active_cameras_in(asked[0][1]["in_bbox"])
    assert in_area > 2 * 50
    assert int(state["loaded"]) == in_area

    settings.API_PAGE_SIZE = in_area - 1
    nearly = session_factory()
    nearly.open(view)
    state = nearly.wait_for_map("cameras")
    asked = api_requests(nearly)
    assert pages_asked(asked) == [(str(in_area - 1), None), (str(in_area - 1), "2")]
    assert [path for path, _ in asked] == ["/api/cameras/"] * 2
    assert int(state["loaded"]) == in_area
    ids = nearly.page.evaluate("window.angleMort.cameras.features.map((f) => f.id)")
    assert len(set(ids)) == in_area


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
    """More cameras than the limit: a first page of `limit` markers says so and the count
    in squares follows; a pan nearby, and a zoom in from the density map, ask only the
    count, as the squares already drawn say the area is crowded."""
    limit = 40
    settings.MAP_MARKER_LIMIT = limit
    page = map_session.page
    pages = []
    page.on(
        "response",
        lambda response: (
            pages.append(response) if urlsplit(response.url).path == "/api/cameras/" else None
        ),
    )
    map_session.open(f"/#map=15/{CENTRE_LAT}/{CENTRE_LON}")
    state = map_session.wait_for_map("clusters")
    asked = api_requests(map_session)
    assert [path for path, _ in asked] == ["/api/cameras/", "/api/density/"]
    markers, counted = asked[0][1], asked[1][1]
    assert int(markers["page_size"]) == limit
    assert counted["in_bbox"] == markers["in_bbox"]
    assert int(counted["zoom"]) == cluster_zoom(15)
    first_page = pages[0].json()
    assert len(first_page["features"]) == limit
    assert first_page["count"] == active_cameras_in(markers["in_bbox"]) > limit
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
    assert_only_first_pages(map_session, limit)
