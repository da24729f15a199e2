"""The map in Chromium under its own Content-Security-Policy, which allows no inline style.

A style attribute parsed from HTML (innerHTML, a Leaflet divIcon's `html`, a tooltip's
text) is refused by `style-src 'self'`; one set through element.style (CSSOM), as Leaflet
positions everything, is not. Whether any of our code or Leaflet's writes the first kind
shows only by running each feature: this visit does, and the conftest fails it on any
`securitypolicyviolation` event. It also checks that no request of the page fails (the
browser's own /favicon.ico included) and, last, that an inline style really is reported.
"""

from __future__ import annotations

import pytest

from mapping.photos import files_removed_on_error, read_photos, store_photos
from tests.e2e.conftest import PHONE
from tests.e2e.test_map import CENTRE_LAT, CENTRE_LON, isolated_camera
from tests.submissions import images

pytestmark = [pytest.mark.e2e]

ROUTE_START = (60.1675, 24.9410)  # lat, lon: near the Esplanadi
ROUTE_END = (60.1725, 24.9480)  # near the railway square


def style_sources(response) -> list[str]:
    """The sources the page's style-src allows, read from the header Chromium enforced."""
    policy = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert "style-src-attr" not in directives and "style-src-elem" not in directives
    return directives["style-src"].split()


def assert_clean(session, where: str) -> None:
    assert session.violations == [], f"{where}: refused by the policy {session.violations}"
    assert session.failures == [], f"{where}: failed requests {session.failures}"
    assert session.errors == [], f"{where}: script errors {session.errors}"


def hover_a_square(session) -> str:
    """Point at a density square in the view and return its tooltip's text."""
    page = session.page
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
    point = session.point_of(square["lat"], square["lng"])
    page.mouse.move(point["x"], point["y"])
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.wait_for()
    text = tooltip.text_content()
    page.mouse.move(5, 5)
    return text


def test_every_feature_of_the_map_runs_without_inline_styles(
    map_session, session_factory, settings, tmp_path
):
    page = map_session.page
    camera = isolated_camera()
    with files_removed_on_error() as written:
        store_photos(read_photos([images.upload(images.phone_jpeg())]), written, camera=camera)

    # Street level: markers, fields of view, Leaflet's controls, the legend.
    response = map_session.open(lat=camera.location.y, lon=camera.location.x, zoom=17)
    assert style_sources(response) == ["'self'"]
    state = map_session.wait_for_map("cameras")
    assert int(state["loaded"]) > 0
    assert page.evaluate("() => window.angleMort.cameras.fovs.getLayers().length") > 0
    for control in ("zoom", "attribution", "scale"):
        assert page.locator(f".leaflet-control-{control}").is_visible()
    page.locator("#legend summary").click()
    page.locator("#legend summary").click()
    # The keyboard's centre cross, then the camera's panel with its photo.
    page.locator("#map").focus()
    page.keyboard.press("ArrowUp")
    map_session.wait_for_map()
    map_session.pan_to(camera.location.y, camera.location.x)
    map_session.click_map(camera.location.y, camera.location.x)
    photo = page.locator('[data-section="camera"] .camera-photos img')
    photo.wait_for()
    map_session.wait_until(
        "() => document.querySelector('.camera-photos img')?.naturalWidth > 0", timeout_ms=5_000
    )
    assert page.locator(".camera-head img").is_visible()
    assert_clean(map_session, "markers, fields of view and the camera panel")

    # Filters, then the export panel.
    page.get_by_role("button", name="Filters").click()
    with page.expect_response(lambda r: "camera_type=dome" in r.url):
        page.get_by_label("Camera type").select_option("dome")
    map_session.wait_for_map()
    assert page.get_by_role("button", name="Filters (1)").is_visible()
    page.get_by_role("button", name="Clear the filters").click()
    page.get_by_role("button", name="Export").click()
    assert "in_bbox=" in page.get_by_role("link", name="GeoJSON").get_attribute("href")
    page.get_by_role("button", name="Close the panel").click()
    assert_clean(map_session, "filters and export")

    # Zoomed out: the density squares, their legend (colours set through CSSOM), a tooltip.
    state = map_session.set_zoom(12)
    assert state["layer"] == "density" and int(state["loaded"]) > 0
    assert page.locator(".density-classes .swatch").count() >= 1
    assert "camera" in hover_a_square(map_session)
    assert_clean(map_session, "density")

    # A walk: both ends (divIcons from an HTML string), both routes, the slider, strict.
    map_session.open(
        lat=(ROUTE_START[0] + ROUTE_END[0]) / 2, lon=(ROUTE_START[1] + ROUTE_END[1]) / 2, zoom=16
    )
    page.get_by_role("button", name="Plan a route").click()
    map_session.click_map(*ROUTE_START)
    with page.expect_response(lambda r: "/api/routes/" in r.url):
        map_session.click_map(*ROUTE_END)
    page.locator(".route-figures").wait_for()
    assert page.locator(".route-end").count() == 2
    assert page.evaluate("() => window.angleMort.planner.lines.getLayers().length") > 0
    page.get_by_label("Avoid cameras").focus()
    with page.expect_response(lambda r: "avoid=1" in r.url):
        page.keyboard.press("End")
    with page.expect_response(lambda r: "avoid=strict" in r.url):
        page.get_by_label("Strict: never pass a camera if any other way exists").check()
    page.locator(".route-figures").wait_for()
    page.get_by_role("button", name="Close the panel").click()
    assert_clean(map_session, "route planning")

    # A new camera: place it, a direction arrow (a divIcon from HTML) dragged, a photo
    # previewed (blob:) with the position it was taken at, a refusal, then a pending report.
    map_session.set_zoom(18)
    page.get_by_role("button", name="Add a camera").click()
    page.get_by_role("button", name="Use the map centre").click()
    page.locator("label.picture", has_text="dome").click()
    page.get_by_role("button", name="Add a direction").click()
    handle = page.locator(".direction-handle img").first
    handle.wait_for()
    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 40, box["y"] + 30, steps=5)
    page.mouse.up()
    page.set_input_files(
        'input[name="photos"]',
        [{"name": "wall.jpg", "mimeType": "image/jpeg", "buffer": images.phone_jpeg()}],
    )
    page.locator(".photo-previews img").wait_for()
    assert page.locator(".photo-previews img").get_attribute("src").startswith("blob:")
    page.locator(".photo-position").get_by_role("button", name="Place the camera there").wait_for()
    page.get_by_text("More details (optional)").click()
    height = page.get_by_label("Height above the ground (metres)")
    height.fill("-5")
    with page.expect_response(lambda r: "/api/submissions/" in r.url) as refused:
        page.get_by_role("button", name="Send for moderation").click()
    assert refused.value.status == 400
    page.locator(".field-error").wait_for()
    map_session.failures.clear()  # the 400 was asked for
    height.fill("4")
    page.get_by_role("button", name="Send for moderation").click()
    page.locator(".add-result .pending").wait_for()
    page.get_by_role("button", name="Close the panel").click()
    assert_clean(map_session, "adding a camera")

    # Street level where markers would not fit: counts in squares, and their tooltip.
    settings.MAP_MARKER_LIMIT = 40
    map_session.open(lat=CENTRE_LAT, lon=CENTRE_LON + 0.03, zoom=15)
    map_session.wait_for_map("clusters")
    assert "camera" in hover_a_square(map_session)
    assert_clean(map_session, "counts in squares")

    # The other language, by the form (a navigation: the listener is installed again).
    with page.expect_navigation():
        page.get_by_label("Language").select_option("fr")
    map_session.wait_until("() => window.angleMort !== undefined")
    map_session.wait_for_map()
    assert page.get_by_role("button", name="Filtres").is_visible()
    assert_clean(map_session, "the language switch")

    # A phone: the bottom sheet, the folded legend.
    phone = session_factory(viewport=PHONE, locale="fr-FR")
    phone.open(lat=camera.location.y, lon=camera.location.x, zoom=17)
    phone.wait_for_map("cameras")
    phone.click_map(camera.location.y, camera.location.x)
    phone.page.locator('[data-section="camera"] .camera-photos img').wait_for()
    phone.page.get_by_role("button", name="Fermer le panneau").click()
    phone.page.locator("#legend summary").click()
    phone.page.get_by_role("button", name="Itinéraire").click()
    assert_clean(phone, "a phone")

    # Control: an inline style parsed from HTML is refused and reported, a style set
    # through CSSOM is not.
    page.evaluate(
        """() => {
            const probe = document.createElement('div');
            probe.style.setProperty('color', 'red');
            document.body.append(probe);
            probe.innerHTML = '<span style="color: blue">probe</span>';
        }"""
    )
    reported = map_session.violations
    for _ in range(50):
        if reported:
            break
        page.wait_for_timeout(50)
    assert len(reported) == 1 and reported[0].startswith("style-src-attr refused inline")
    map_session.violations.clear()
