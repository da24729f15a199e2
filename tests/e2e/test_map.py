"""The map in a real browser on the Helsinki demo data.

Each test is a visit a person makes: look at the cameras, zoom out to the density map,
filter and export, plan a walk by two clicks, report a camera with a photo, read the map
in French on a phone. The conftest checks after every test that the page raised no script
error and requested nothing from another host than 127.0.0.1.
"""

from __future__ import annotations

import json
import math
import re
import urllib.error
import urllib.request
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Polygon
from PIL import Image

from mapping.bench.viewers import MARKER_PROPERTIES, Box, cluster_zoom, snap_to_tiles
from mapping.density.cells import tile_lat, tile_x, tile_y
from mapping.models import Camera, Capability, Submission
from tests.e2e.conftest import PHONE
from tests.helsinki import HELSINKI_BBOX

pytestmark = [pytest.mark.e2e]

# Central Helsinki, where the demo extract's cameras are densest.
CENTRE_LAT, CENTRE_LON = 60.1700, 24.9445
CAMERA_ZOOM = 17
# Where the browser says the device is (tests/e2e/conftest.py grants the permission).
DEVICE_POSITION = (60.1705, 24.9420)


def require_endpoint(live_server, path: str) -> None:
    """Skip (naming the endpoint) only while another issue's endpoint does not exist yet."""
    try:
        urllib.request.urlopen(live_server.url + path, timeout=30)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            pytest.skip(f"{path.split('?')[0]} is not there yet (404)")


def active_cameras_in(bbox_text: str, **filters) -> int:
    box = Polygon.from_bbox(tuple(float(v) for v in bbox_text.split(",")))
    return Camera.objects.filter(status="active", location__intersects=box, **filters).count()


def last_request(session, path: str) -> dict[str, str]:
    """The query of the last request the page made to `path`, as a flat dict."""
    urls = [url for url in session.requests if urlsplit(url).path == path]
    assert urls, f"the page never requested {path}"
    return {key: values[0] for key, values in parse_qs(urlsplit(urls[-1]).query).items()}


def assert_tile_aligned(bbox_text: str, zoom: int, holds: str) -> None:
    """The box's edges are whole-tile edges of `zoom` (moved in by at most 3e-6 degrees, the
    inset and the rounding) and it holds the box `holds`: nearby views ask the same question."""
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in bbox_text.split(","))
    level_width = 360 / 2**zoom
    for lon in (min_lon, max_lon):
        column = (lon + 180) / level_width
        assert abs(column - round(column)) * level_width < 3e-6, f"{lon} is not a tile edge"
    for lat in (min_lat, max_lat):
        row = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**zoom
        assert abs(tile_lat(round(row), zoom) - lat) < 3e-6, f"{lat} is not a tile edge"
    west, south, east, north = (float(v) for v in holds.split(","))
    assert min_lon <= west and min_lat <= south and max_lon >= east and max_lat >= north


def isolated_camera(min_gap_m: float = 25.0) -> Camera:
    """A camera of the demo area with no other within min_gap_m, so a click hits only it."""
    for camera in Camera.objects.filter(status="active").order_by("id"):
        neighbours = Camera.objects.filter(
            location__dwithin=(camera.location, min_gap_m / 111_000.0)
        ).exclude(pk=camera.pk)
        if not neighbours.exists():
            return camera
    raise AssertionError("no isolated camera in the demo data")


def format_number(value: float, digits: int = 0) -> str:
    """What Intl.NumberFormat('en-GB', {maximumFractionDigits}) prints (halves away from 0)."""
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    text = f"{rounded:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if digits else text


def format_distance(metres: float) -> str:
    return (
        f"{format_number(metres / 1000, 2)} km" if metres >= 1000 else f"{format_number(metres)} m"
    )


def format_duration(seconds: float) -> str:
    minutes = max(1, math.floor(seconds / 60 + 0.5))
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def assert_route_figures(session, routes: dict[str, dict]) -> None:
    """The figures table says what the routes API answered, formatted for people."""
    page = session.page
    for variant, props in routes.items():
        cell = '.route-figures td[data-variant="{}"][data-figure="{}"]'
        session.wait_until(
            "([selector, text]) => document.querySelector(selector)?.textContent === text",
            [cell.format(variant, "length"), format_distance(props["length_m"])],
        )
        figures = {
            key: page.text_content(cell.format(variant, key))
            for key in ("length", "watched", "cameras", "duration", "detour")
        }
        assert figures["watched"] == format_distance(props["exposed_m"])
        count = props["camera_count"]
        assert figures["cameras"] == (f"{count} camera" if count == 1 else f"{count} cameras")
        assert figures["duration"] == format_duration(props["duration_s"])
        detour = props["detour_ratio"]
        assert figures["detour"] == (
            "none" if detour <= 1.0005 else f"+{format_number((detour - 1) * 100)} %"
        )


def test_exploring_the_map_markers_panel_filters_export_and_density(map_session, live_server):
    """A visit: every camera in view is drawn and opens its panel; a confirmation is sent;
    a filter narrows the markers and the export; zooming out shows the density squares."""
    require_endpoint(live_server, f"/api/cameras/?in_bbox={HELSINKI_BBOX}")
    page = map_session.page
    camera = isolated_camera()
    map_session.open(lat=camera.location.y, lon=camera.location.x, zoom=CAMERA_ZOOM)
    state = map_session.wait_for_map("cameras")

    asked = last_request(map_session, "/api/cameras/")
    assert asked["status"] == "active"
    assert asked["fov"] == "1", f"fields of view are drawn from zoom {CAMERA_ZOOM}"
    # Markers need four properties; the panel asks /api/cameras/{id}/ for the rest.
    assert asked["properties"] == ",".join(MARKER_PROPERTIES)
    assert int(state["loaded"]) == active_cameras_in(asked["in_bbox"]) > 0
    drawn_fovs = page.evaluate("() => window.angleMort.cameras.fovs.getLayers().length")
    assert drawn_fovs == active_cameras_in(asked["in_bbox"], fov__isnull=False) > 0
    view = page.evaluate("window.angleMort.map.getBounds().toBBoxString()")
    padded = page.evaluate("window.angleMort.map.getBounds().pad(0.3).toBBoxString()")
    assert_tile_aligned(asked["in_bbox"], CAMERA_ZOOM, holds=padded)
    in_view = active_cameras_in(view)
    expected = f"{in_view} camera in view" if in_view == 1 else f"{in_view} cameras in view"
    assert page.text_content("#status") == expected

    # From the keyboard: Enter on the focused map opens the camera at its centre.
    panel = page.locator('[data-section="camera"]')
    page.locator("#map").focus()
    page.keyboard.press("Enter")
    panel.get_by_role("link", name=f"node/{camera.osm_id}").wait_for()
    page.keyboard.press("Escape")
    assert not panel.is_visible()

    # The marker is on the canvas where the camera is: clicking there opens its panel.
    map_session.click_map(camera.location.y, camera.location.x)
    panel.locator("dl").first.wait_for()
    osm_link = panel.get_by_role("link", name=f"node/{camera.osm_id}")
    assert osm_link.get_attribute("href") == f"https://www.openstreetmap.org/node/{camera.osm_id}"
    assert "Confirmations" in panel.locator(".camera-details").text_content()
    map_session.screenshot("map")

    page.get_by_role("button", name="Still here").click()
    result = panel.locator(".camera-report-result.result-ok")
    result.wait_for()
    assert "pending moderation" in result.text_content()
    assert Submission.objects.get(kind="confirm", camera=camera).status == "pending"
    # One report a camera and visit: both buttons wait, the thanks stay when it reopens.
    assert page.get_by_role("button", name="Still here").is_disabled()
    assert page.get_by_role("button", name="No longer here").is_disabled()
    page.keyboard.press("Escape")
    map_session.click_map(camera.location.y, camera.location.x)
    panel.locator("dl").first.wait_for()
    assert "pending moderation" in result.text_content()
    assert page.get_by_role("button", name="Still here").is_disabled()
    assert Submission.objects.filter(camera=camera).count() == 1

    # A filter applies to the markers...
    map_session.set_zoom(15)
    page.get_by_role("button", name="Filters").click()
    with page.expect_response(lambda r: "camera_type=dome" in r.url):
        page.get_by_label("Camera type").select_option("dome")
    state = map_session.wait_for_map("cameras")
    asked = last_request(map_session, "/api/cameras/")
    assert asked["camera_type"] == "dome"
    domes = active_cameras_in(asked["in_bbox"], camera_type="dome")
    assert int(state["loaded"]) == domes
    assert active_cameras_in(asked["in_bbox"]) > domes, "the filter should hide some cameras"
    assert page.get_by_role("button", name="Filters (1)").is_visible()

    # ...to the export links...
    page.get_by_role("button", name="Export").click()
    href = page.get_by_role("link", name="GeoJSON").get_attribute("href")
    query = parse_qs(urlsplit(href).query)
    assert query["camera_type"] == ["dome"]
    assert "Open Database License" in page.text_content('[data-section="export"]')
    require_endpoint(live_server, "/api/export/cameras.geojson")
    exported = json.loads(page.request.get(live_server.url + href).text())
    assert len(exported["features"]) == active_cameras_in(query["in_bbox"][0], camera_type="dome")
    assert all(f["properties"]["camera_type"] == "dome" for f in exported["features"])
    assert "OpenStreetMap" in json.dumps(exported)

    # ...and to the density squares that replace the markers when zoomed out.
    require_endpoint(live_server, f"/api/density/?in_bbox={HELSINKI_BBOX}&zoom=12")
    zoom_out = page.get_by_role("button", name="Zoom out")
    while map_session.wait_for_map()["layer"] != "density":
        zoom_out.click()
    state = map_session.wait_for_map("density")
    asked = last_request(map_session, "/api/density/")
    assert asked["camera_type"] == "dome"
    assert int(asked["zoom"]) == int(state["zoom"]) < 14
    density_view = page.evaluate("window.angleMort.map.getBounds().toBBoxString()")
    assert_tile_aligned(asked["in_bbox"], int(asked["zoom"]), holds=density_view)
    assert int(state["loaded"]) > 0
    # Cells reach beyond the box, but at this zoom the view holds the whole demo area.
    dome_total = active_cameras_in(asked["in_bbox"], camera_type="dome")
    assert page.text_content("#status").startswith(f"{dome_total} camera")
    legend = page.locator('[data-legend="density"]')
    assert legend.is_visible()
    assert not page.locator('[data-legend="cameras"]').is_visible()
    assert legend.locator(".density-classes li .swatch").count() >= 1

    page.get_by_role("button", name="Close the panel").click()
    page.get_by_role("button", name="Filters").click()
    with page.expect_response(lambda r: "/api/density/" in r.url and "dome" not in r.url):
        page.get_by_role("button", name="Clear the filters").click()
    state = map_session.wait_for_map("density")
    asked = last_request(map_session, "/api/density/")
    assert "camera_type" not in asked
    total = active_cameras_in(asked["in_bbox"])
    assert page.text_content("#status").startswith(f"{total} cameras in this area")
    page.get_by_role("button", name="Close the panel").click()
    map_session.screenshot("density")

    while map_session.wait_for_map()["layer"] != "cameras":
        map_session.zoom_in()
    assert page.locator('[data-legend="cameras"]').is_visible()


def test_a_country_view_is_counted_around_the_centre_of_the_map(map_session):
    """Zoomed out beyond the API's box limit, the density is asked for around the map's
    centre: around the middle of its degrees, a view centred on Helsinki at zoom 4 was
    counted around latitude 48 and showed no camera."""
    centre = (60.1699, 24.9384)
    map_session.open(lat=centre[0], lon=centre[1], zoom=4)
    map_session.wait_for_map("density")
    asked = last_request(map_session, "/api/density/")
    west, south, east, north = (float(v) for v in asked["in_bbox"].split(","))
    assert west < centre[1] < east and south < centre[0] < north
    status = map_session.page.text_content("#status")
    assert status.endswith("counted around the centre of the view")
    total = active_cameras_in(asked["in_bbox"])
    assert total == active_cameras_in(str(HELSINKI_BBOX)) > 0
    assert status.startswith(f"{total} cameras in this area")


def test_street_level_counts_in_squares_where_markers_would_not_fit(map_session, settings):
    """Where the area around the view holds more cameras than the marker limit, street
    level shows their counts in squares (read from the stored sums, no camera page is
    asked for); zooming in far enough brings the markers back."""
    limit = 40
    settings.MAP_MARKER_LIMIT = limit
    page = map_session.page
    # East of the centre at zoom 15: the densest cameras lie in the view and the west margin.
    map_session.open(lat=CENTRE_LAT, lon=CENTRE_LON + 0.03, zoom=15)
    state = map_session.wait_for_map("clusters")
    assert int(state["zoom"]) == 15

    asked = last_request(map_session, "/api/density/")
    assert int(asked["zoom"]) == cluster_zoom(15) == 13, "128 px squares, stored counts"
    padded = page.evaluate("window.angleMort.map.getBounds().pad(0.3).toBBoxString()")
    assert_tile_aligned(asked["in_bbox"], 15, holds=padded)
    total = active_cameras_in(asked["in_bbox"])
    assert total > limit
    cells = {
        (tile_x(c.location.x, 16), tile_y(c.location.y, 16))
        for c in Camera.objects.filter(status="active").filter(
            location__intersects=Polygon.from_bbox(
                tuple(float(v) for v in asked["in_bbox"].split(","))
            )
        )
    }
    assert int(state["loaded"]) == len(cells) > 1
    # The status line counts the view's tiles, as the density layer does, not the margin.
    west, south, east, north = (
        float(v)
        for v in page.evaluate("window.angleMort.map.getBounds().toBBoxString()").split(",")
    )
    in_view = active_cameras_in(snap_to_tiles(Box(west, south, east, north), 15).param())
    assert 0 < in_view < total
    assert page.text_content("#status") == (
        f"{in_view} cameras in this area · zoom in to see each camera"
    )
    map_session.screenshot("street-squares")
    page.locator("#map").focus()
    page.keyboard.press("Enter")
    assert page.text_content("#status") == "Zoom in to see each camera."
    assert not [url for url in map_session.requests if "/api/cameras/" in url]
    assert page.locator('[data-legend="density"]').is_visible()
    assert not page.locator('[data-legend="cameras"]').is_visible()

    # A small pan inside the loaded area asks nothing more.
    def api_requests() -> list[str]:
        return [url for url in map_session.requests if "/api/" in url]

    asked_before = api_requests()
    centre = page.evaluate("window.angleMort.map.getCenter()")
    map_session.pan_to(centre["lat"] + 0.001, centre["lng"] + 0.002)
    assert map_session.wait_for_map("clusters")
    assert api_requests() == asked_before

    # With the route tool open, a click on a square places the start and does not zoom.
    page.get_by_role("button", name="Plan a route").click()
    square = page.evaluate(
        """() => {
            const view = window.angleMort.map.getBounds();
            const inView = window.angleMort.density.layer.getLayers()
                .map((cell) => cell.getBounds().getCenter())
                .filter((centre) => view.contains(centre));
            return inView.length && {lat: inView[0].lat, lng: inView[0].lng};
        }"""
    )
    assert square, "a square in the view"
    map_session.click_map(square["lat"], square["lng"])
    page.wait_for_timeout(400)  # a zoom would have started by now
    assert map_session.wait_for_map("clusters")["zoom"] == "15"
    assert page.evaluate("window.angleMort.planner.start !== null")
    page.get_by_role("button", name="Close the panel").click()

    while map_session.wait_for_map()["layer"] != "cameras":
        map_session.zoom_in()
    state = map_session.wait_for_map("cameras")
    zoom = int(state["zoom"])
    markers = last_request(map_session, "/api/cameras/")
    counted = last_request(map_session, "/api/density/")
    assert counted["in_bbox"] == markers["in_bbox"], "the count was of the markers' area"
    assert int(counted["zoom"]) == cluster_zoom(zoom), "what the load test asks (viewers.py)"
    assert int(state["loaded"]) == active_cameras_in(markers["in_bbox"]) <= limit


def test_route_planned_by_two_clicks_shows_both_routes_and_their_figures(map_session, live_server):
    start = (60.1675, 24.9410)  # lat, lon: near the Esplanadi
    end = (60.1725, 24.9480)  # near the railway square
    require_endpoint(live_server, f"/api/routes/?from={start[1]},{start[0]}&to={end[1]},{end[0]}")
    page = map_session.page
    map_session.open(lat=(start[0] + end[0]) / 2, lon=(start[1] + end[1]) / 2, zoom=16)
    page.get_by_role("button", name="Plan a route").click()
    map_session.click_map(*start)
    with page.expect_response(lambda r: urlsplit(r.url).path == "/api/routes/") as answer:
        map_session.click_map(*end)
    collection = answer.value.json()
    routes = {f["properties"]["variant"]: f["properties"] for f in collection["features"]}
    assert set(routes) == {"shortest", "avoiding"}

    assert_route_figures(map_session, routes)
    drawn = page.evaluate(
        """() => window.angleMort.planner.lines.getLayers()
            .flatMap((layer) => (layer.getLayers ? layer.getLayers() : []))
            .map((line) => [line.feature.properties.variant, line.getLatLngs().length])"""
    )
    assert sorted(drawn) == sorted(
        [f["properties"]["variant"], len(f["geometry"]["coordinates"])]
        for f in collection["features"]
    )
    passed = set(routes["shortest"]["cameras"]) | set(routes["avoiding"]["cameras"])
    ringed = set(page.evaluate("[...window.angleMort.cameras.highlighted]"))
    assert ringed == passed
    map_session.screenshot("route")

    gpx_href = page.get_by_role("link", name=re.compile("GPX")).get_attribute("href")
    gpx = page.request.get(live_server.url + gpx_href)
    assert gpx.ok and "<gpx" in gpx.text()

    # The slider (from the keyboard) and the strict toggle ask again and show the new figures.
    page.get_by_label("Avoid cameras").focus()
    with page.expect_response(lambda r: "avoid=1" in r.url) as answer:
        page.keyboard.press("End")
    assert_route_figures(
        map_session,
        {f["properties"]["variant"]: f["properties"] for f in answer.value.json()["features"]},
    )
    with page.expect_response(lambda r: "avoid=strict" in r.url) as answer:
        page.get_by_label(re.compile("^Strict")).check()
    strict = answer.value.json()
    assert_route_figures(
        map_session, {f["properties"]["variant"]: f["properties"] for f in strict["features"]}
    )
    for notice in {f["properties"].get("notice") for f in strict["features"]} - {None}:
        assert page.get_by_text(notice).is_visible()


def test_street_level_falls_back_to_markers_when_the_count_fails(map_session, settings):
    """The count asked before markers is a saving, not a condition: if it fails, the
    markers are asked for anyway, and the map is not left empty with an error."""
    settings.MAP_MARKER_LIMIT = 40
    page = map_session.page
    page.route(
        "**/api/density/**",
        lambda route: route.fulfill(
            status=503, content_type="application/json", body='{"detail": "busy"}'
        ),
    )
    map_session.open(lat=CENTRE_LAT, lon=CENTRE_LON, zoom=16)
    state = map_session.wait_for_map("cameras")
    assert [url for url in map_session.requests if "/api/density/" in url], "a count was asked"
    markers = last_request(map_session, "/api/cameras/")
    assert int(state["loaded"]) == active_cameras_in(markers["in_bbox"]) > 0
    assert "camera" in page.text_content("#status")
    assert "Could not load" not in page.text_content("#status")


def test_a_route_shows_the_cameras_it_passes_where_the_map_shows_counts(
    map_session, live_server, settings
):
    """In a dense area the map counts cameras in squares instead of drawing markers, so
    no marker is there to be ringed: the planner draws the passed cameras itself, at
    their places; once markers are back it draws only those no marker rings."""
    settings.MAP_MARKER_LIMIT = 3
    start = (60.1675, 24.9410)  # lat, lon: the walk of the test above
    end = (60.1725, 24.9480)
    page = map_session.page
    map_session.open(lat=(start[0] + end[0]) / 2, lon=(start[1] + end[1]) / 2, zoom=16)
    map_session.wait_for_map("clusters")
    page.get_by_role("button", name="Plan a route").click()
    map_session.click_map(*start)
    with page.expect_response(lambda r: urlsplit(r.url).path == "/api/routes/") as answer:
        map_session.click_map(*end)
    collection = answer.value.json()
    passed = set()
    for feature in collection["features"]:
        passed |= set(feature["properties"]["cameras"])
    assert passed, "the walk passes cameras"
    assert map_session.wait_for_map("clusters"), "still counted after fitting the routes"

    def drawn() -> dict:
        return page.evaluate(
            """() => {
                const {map, planner} = window.angleMort;
                if (!map.hasLayer(planner.passed)) return null;
                return Object.fromEntries(planner.passed.getLayers().map(
                    (dot) => [dot.cameraId, [dot.getLatLng().lng, dot.getLatLng().lat]]));
            }"""
        )

    dots = drawn()
    assert dots is not None, "the passed cameras are on the map"
    assert {int(camera_id) for camera_id in dots} == passed
    for camera in Camera.objects.filter(pk__in=passed):
        assert dots[str(camera.pk)] == pytest.approx(
            [camera.location.x, camera.location.y], abs=1e-6
        )
    map_session.screenshot("route-over-squares")

    page.get_by_role("button", name="Close the panel").click()
    # Markers around one of them (at the deepest zoom the map draws markers however many).
    lon, lat = dots[str(min(passed))]
    page.evaluate(
        "([lat, lon]) => window.angleMort.map.setView([lat, lon], window.angleMort.map.getMaxZoom())",
        [lat, lon],
    )
    map_session.wait_for_map("cameras")
    loaded = set(page.evaluate("[...window.angleMort.cameras.byId.keys()]"))
    assert loaded & passed, "some passed cameras are markers now"
    assert set(page.evaluate("[...window.angleMort.cameras.highlighted]")) == passed
    dots = drawn()
    assert {int(camera_id) for camera_id in dots} == passed - loaded, "a dot or a ring each"


def test_new_camera_with_a_photo_waits_in_the_moderation_queue(map_session, live_server, tmp_path):
    """A resident stands by a camera that is already mapped and reports it as new: the
    position comes from the device, is corrected by a click, the direction by dragging the
    arrow; the answer says it waits for moderation and points at the likely duplicate."""
    page = map_session.page
    mapped = isolated_camera()
    # About 3 m north of the mapped camera: within the duplicate radius (15 m).
    where = (mapped.location.y + 0.00003, mapped.location.x)
    map_session.open(lat=where[0], lon=where[1], zoom=18)
    page.get_by_role("button", name="Add a camera").click()

    page.get_by_role("button", name="Use my position").click()
    device = f"Position: {DEVICE_POSITION[0]:.6f}, {DEVICE_POSITION[1]:.6f}"
    page.get_by_text(device).wait_for()
    map_session.pan_to(*where)
    map_session.click_map(*where)
    assert page.text_content(".add-location") != device

    page.locator("label.picture", has_text="dome").click()
    page.locator("label.picture", has_text="wall").click()
    page.get_by_role("button", name="Add a direction").click()
    handle = page.locator(".direction-handle").first
    box = handle.bounding_box()
    camera_point = map_session.point_of(*where)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(camera_point["x"] + 40, camera_point["y"] + 2, steps=5)
    page.mouse.move(camera_point["x"] + 70, camera_point["y"], steps=5)
    page.mouse.up()
    direction = float(page.locator(".direction-list input").first.input_value())
    assert 80 <= direction <= 100, "dragging the arrow east should point the camera east"
    page.get_by_role("group", name="It watches").get_by_label("public space").check()
    page.get_by_text("More details (optional)").click()
    capabilities = page.get_by_role("group", name="Capabilities")
    assert capabilities.get_by_role("checkbox").count() == len(Capability.values)
    capabilities.get_by_label("face recognition").check()

    photo = tmp_path / "camera.jpg"
    Image.new("RGB", (640, 480), (120, 160, 200)).save(photo, "JPEG")
    page.set_input_files('input[name="photos"]', str(photo))
    page.locator(".photo-previews img").wait_for()
    map_session.screenshot("add-camera")

    page.get_by_role("button", name="Send for moderation").click()
    page.locator(".add-result .pending").wait_for()
    assert "pending moderation" in page.text_content(".add-result")
    assert "already mapped very close" in page.text_content(".add-result .warnings")
    duplicate = page.get_by_role("button", name=f"Possible duplicate: camera {mapped.pk}")
    assert duplicate.is_visible()

    submission = Submission.objects.get(kind="new")
    assert submission.status == "pending"
    lon, lat = submission.location.coords
    assert math.dist((lon, lat), (where[1], where[0])) < 0.00002  # about 2 m at zoom 18
    assert submission.attributes["camera_type"] == "dome"
    assert submission.attributes["mount"] == "wall"
    assert submission.attributes["surveillance"] == "public"
    assert submission.attributes["capabilities"] == ["face_recognition"]
    assert submission.attributes["directions"] == [pytest.approx(direction, abs=1)]
    assert mapped.pk in submission.duplicate_candidates
    assert submission.photos.count() == 1

    get_user_model().objects.create_superuser("moderator", password="e2e-moderator-pw")
    page.goto(live_server.url + "/admin/login/?next=/admin/mapping/submission/")
    page.get_by_label("Username").fill("moderator")
    page.get_by_label("Password").fill("e2e-moderator-pw")
    page.get_by_role("button", name="Log in").click()
    # The whole address: the login page's own (?next=/admin/mapping/submission/) ends alike.
    page.wait_for_url(re.compile(r"^https?://[^/]+/admin/mapping/submission/$"))
    row = page.locator(
        "#result_list tbody tr",
        has=page.locator(f'a[href$="/admin/mapping/submission/{submission.pk}/change/"]'),
    )
    assert row.count() == 1
    assert "pending" in row.text_content()
    # Its page: the decision buttons sit below the form, as wide as it (they were squeezed
    # to nothing beside the floated main column, and the page scrolled sideways).
    row.locator("a").first.click()
    moderation = page.locator("#moderation")
    moderation.wait_for()
    width = page.evaluate("document.documentElement.clientWidth")
    assert moderation.bounding_box()["width"] > width / 2
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.get_by_role("button", name="Approve").is_visible()


def test_language_follows_the_browser_and_switches_and_the_map_fits_a_phone(
    session_factory, settings
):
    french = session_factory(locale="fr-FR")
    french.open()
    page = french.page
    assert any(urlsplit(url).path == "/static/img/blank-tile.png" for url in french.requests)
    assert "blank test tiles" in page.text_content("footer")
    assert page.get_attribute("html", "lang") == "fr"
    assert page.get_by_role("button", name="Filtres").is_visible()
    assert page.get_by_role("button", name="Ajouter une caméra").is_visible()
    status = page.text_content("#status")
    assert "caméra" in status or "Impossible" in status, status  # from the JS catalog

    with page.expect_navigation():
        page.get_by_label("Langue").select_option("en")
    french.wait_until("() => document.documentElement.lang === 'en'")
    assert page.get_by_role("button", name="Filters").is_visible()
    assert page.get_by_role("button", name="Plan a route").is_visible()

    phone = session_factory(viewport={"width": 360, "height": 740}, locale="fr-FR")
    phone.open(lat=CENTRE_LAT, lon=CENTRE_LON, zoom=16)
    overflow = phone.page.evaluate(
        "document.scrollingElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, "the page scrolls sideways at 360 px"
    for button in phone.page.locator(".tool").all():
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    phone.page.get_by_role("button", name="Itinéraire").click()
    phone.screenshot("phone")

    # The request check can fail: a third-party tile server is caught (and kept offline).
    settings.TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    control = session_factory()
    control.page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    control.open()
    foreign = control.foreign_requests()
    assert foreign and all(url.startswith("https://tile.openstreetmap.org/") for url in foreign)
    control.requests.clear()


def test_on_a_phone_what_you_choose_stays_above_the_panel(session_factory):
    """The panel is a bottom sheet over half of a phone's map: a camera tapped in the
    lower half, or a new camera placed at "the map centre", ended up under it."""
    session = session_factory(viewport=PHONE)
    page = session.page
    camera = isolated_camera()
    session.open(lat=camera.location.y, lon=camera.location.x, zoom=CAMERA_ZOOM)
    session.wait_for_map("cameras")
    # Move the camera into the lower part of the screen, where the sheet will open.
    size = page.evaluate("(() => window.angleMort.map.getSize())()")
    page.evaluate("(dy) => window.angleMort.map.panBy([0, -dy], {animate: false})", size["y"] // 3)
    session.wait_for_map("cameras")

    def in_sight(lat: float, lon: float) -> bool:
        point = session.point_of(lat, lon)
        sheet = page.locator("#panel").bounding_box()
        return point["y"] < sheet["y"]

    session.click_map(camera.location.y, camera.location.x)
    page.locator('[data-section="camera"] dl').first.wait_for()
    assert in_sight(camera.location.y, camera.location.x)

    page.get_by_role("button", name="Close the panel").click()
    page.get_by_role("button", name="Add a camera").click()
    page.get_by_role("button", name="Use the map centre").click()
    placed = page.evaluate("window.angleMort.adder.marker.getLatLng()")
    assert in_sight(placed["lat"], placed["lng"])


def test_the_scale_and_the_status_stay_readable_beside_what_covers_them(session_factory, settings):
    """The scale's text overflowed its box at some zooms and, on a phone, the tile
    server's attribution ran over it; the status line hid under the side panel."""
    settings.TILE_ATTRIBUTION = (  # as long as OpenStreetMap's own
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    )
    phone = session_factory(viewport=PHONE)
    page = phone.page
    for zoom in range(3, 19):
        phone.open(lat=60.1699, lon=24.9384, zoom=zoom)
        scale = page.locator(".leaflet-control-scale-line").bounding_box()
        credit = page.locator(".leaflet-control-attribution").bounding_box()
        apart_x = max(scale["x"], credit["x"]) >= min(
            scale["x"] + scale["width"], credit["x"] + credit["width"]
        )
        apart_y = max(scale["y"], credit["y"]) >= min(
            scale["y"] + scale["height"], credit["y"] + credit["height"]
        )
        assert apart_x or apart_y, (zoom, scale, credit)
        assert page.evaluate(
            "(() => { const s = document.querySelector('.leaflet-control-scale-line');"
            " return s.scrollWidth <= s.clientWidth + 1; })()"
        ), zoom

    desk = session_factory(viewport={"width": 900, "height": 700})
    desk.open(lat=60.1699, lon=24.9384, zoom=15)
    desk.wait_for_map()
    desk.page.get_by_role("button", name="Filters").click()
    status = desk.page.locator("#status").bounding_box()
    panel = desk.page.locator("#panel").bounding_box()
    assert status["x"] + status["width"] <= panel["x"]


def test_a_refused_camera_shows_each_error_beside_its_field(map_session):
    """The server's errors used to gather in one box under the button: the field at
    fault is now marked, its message beside it, and it has the focus."""
    page = map_session.page
    map_session.open(lat=60.1699, lon=24.9384, zoom=18)
    page.get_by_role("button", name="Add a camera").click()
    page.get_by_role("button", name="Use the map centre").click()
    page.get_by_text("More details (optional)").click()
    height = page.get_by_label("Height above the ground (metres)")
    height.fill("-5")
    before = Submission.objects.count()
    page.get_by_role("button", name="Send for moderation").click()
    note = page.locator(".field-error")
    note.first.wait_for()
    assert note.count() == 1
    assert note.text_content().startswith("height:")
    assert height.get_attribute("aria-invalid") == "true"
    assert height.get_attribute("aria-describedby") == note.get_attribute("id")
    assert page.evaluate("document.activeElement.name") == "height"
    assert Submission.objects.count() == before

    height.fill("4")
    page.get_by_role("button", name="Send for moderation").click()
    page.locator(".add-result .pending").wait_for()
    assert page.locator(".field-error").count() == 0
    assert height.get_attribute("aria-invalid") is None
    assert Submission.objects.count() == before + 1


def test_a_photo_offers_where_it_was_taken_before_anything_is_sent(map_session):
    """The GPS position a phone writes into a JPEG is read in the browser and offered as
    the camera's place; it was only offered after sending, too late to use."""
    from tests.submissions import images

    page = map_session.page
    map_session.open(lat=60.1699, lon=24.9384, zoom=17)
    page.get_by_role("button", name="Add a camera").click()
    page.set_input_files(
        'input[name="photos"]',
        [
            {"name": "wall.jpg", "mimeType": "image/jpeg", "buffer": images.phone_jpeg()},
            {"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"not an image"},
        ],
    )
    offer = page.locator(".photo-position")
    offer.get_by_role("button", name="Place the camera there").wait_for()
    lon, lat = images.GPS_LON_LAT
    assert f"{lat:.6f}, {lon:.6f}" in offer.text_content()
    page.get_by_text("notes.jpg: no preview (is it a photo?)").wait_for()
    assert not any("/api/submissions/" in url for url in map_session.requests)

    offer.get_by_role("button", name="Place the camera there").click()
    placed = page.evaluate("window.angleMort.adder.marker.getLatLng()")
    assert placed == pytest.approx({"lat": lat, "lng": lon}, abs=1e-6)
    assert page.text_content(".add-location") == f"Position: {lat:.6f}, {lon:.6f}"


def test_the_view_is_in_the_address_and_survives_a_reload_and_the_language(session_factory):
    """A link shows the same place, and switching the language no longer sends the
    visitor back to the default view."""
    session = session_factory(locale="en-GB")
    page = session.page
    session.open(lat=60.1652, lon=24.9512, zoom=16)
    session.wait_for_map()
    assert page.evaluate("window.location.hash") == "#map=16/60.16520/24.95120"

    page.reload()
    session.wait_until("() => window.angleMort !== undefined")
    session.wait_for_map()
    centre = page.evaluate("(() => window.angleMort.map.getCenter())()")
    assert page.evaluate("window.angleMort.map.getZoom()") == 16
    assert centre == pytest.approx({"lat": 60.1652, "lng": 24.9512}, abs=1e-4)

    with page.expect_navigation():
        page.get_by_label("Language").select_option("fr")
    session.wait_until("() => window.angleMort !== undefined")
    session.wait_for_map()
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert page.evaluate("window.angleMort.map.getZoom()") == 16
    centre = page.evaluate("(() => window.angleMort.map.getCenter())()")
    assert centre == pytest.approx({"lat": 60.1652, "lng": 24.9512}, abs=1e-4)
