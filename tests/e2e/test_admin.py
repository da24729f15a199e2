"""The admin in a real browser under its Content-Security-Policy (mapping/content_security.py).

A moderator logs in, opens the cameras, a camera with its map widget, the submission queue,
a submission and the page that asks why to reject it, and changes their password. Chromium
reports every breach of the policy as a `securitypolicyviolation` event: none may occur,
no script may fail, and django-leaflet's widget, started by inline scripts that carry the
response's nonce, must really draw the camera on its map. The last step shows that the
test sees a widget whose scripts lack the nonce.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model

from mapping import admin_login, content_security
from mapping.photos import read_photos
from mapping.submissions import submit
from tests.e2e.conftest import DESKTOP, LOCAL_HOSTS, report_policy_violations
from tests.factories import make_camera, point
from tests.submissions import images

pytestmark = [pytest.mark.e2e]

PASSWORD = "e2e-moderator-passphrase"
CAMERA_LON, CAMERA_LAT = 2.3522, 48.8566


@pytest.fixture
def tiles_from_another_origin(settings, monkeypatch, live_server):
    """Tiles from http://127.0.0.1:PORT while pages come from http://localhost:PORT (or the
    other way round): another origin, which only the policy's tile origin lets the map
    widget show."""
    import leaflet

    server = urlsplit(live_server.url)
    other = "127.0.0.1" if server.hostname == "localhost" else "localhost"
    settings.TILE_URL = f"http://{other}:{server.port}/static/img/blank-tile.png"
    tiles = [("blank", settings.TILE_URL, {"attribution": "blank test tiles"})]
    monkeypatch.setitem(leaflet.app_settings, "TILES", tiles)
    return settings.TILE_URL


@pytest.fixture
def admin_page(browser, live_server, tiles_from_another_origin):
    """A browser page that records policy violations, console errors and script errors."""
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    seen = {"violations": [], "console": [], "errors": [], "requests": []}
    report_policy_violations(context, seen["violations"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda message: console_error(message, seen["console"]))
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.on("request", lambda request: seen["requests"].append(request.url))
    page.seen = seen
    page.base_url = live_server.url
    yield page
    context.close()


def console_error(message, errors: list[str]) -> None:
    """Keep console errors: a failed load too, the browser's own /favicon.ico included
    (the admin names our icon; the API's pages name none, and /favicon.ico redirects)."""
    if message.type == "error":
        errors.append(f"{message.text} ({message.location.get('url', '')})")


def assert_clean(page, where: str) -> None:
    """No policy violation, console error or script error so far; then start afresh."""
    seen = page.seen
    assert seen["violations"] == [], f"{where}: policy violations {seen['violations']}"
    assert seen["console"] == [], f"{where}: console errors {seen['console']}"
    assert seen["errors"] == [], f"{where}: script errors {seen['errors']}"
    foreign = [u for u in seen["requests"] if urlsplit(u).hostname not in (*LOCAL_HOSTS, None)]
    assert foreign == [], f"{where}: requests to another host {foreign}"


def open_admin(page, path: str) -> None:
    page.goto(page.base_url + path)
    page.wait_for_load_state("load")


def map_state(page, map_id: str) -> dict | None:
    """What django-leaflet's widget drew: its map's centre, markers and loaded tiles."""
    return page.evaluate(
        """(mapId) => {
            const map = window['leafletmap' + mapId];
            const box = document.getElementById(mapId);
            if (!map || !box || !box.classList.contains('leaflet-container')) return null;
            return {
                center: map.getCenter(),
                markers: box.querySelectorAll('.leaflet-marker-icon').length,
                tiles: [...box.querySelectorAll('img.leaflet-tile-loaded')].map((t) => t.src),
            };
        }""",
        map_id,
    )


def wait_for_map(page, map_id: str) -> dict:
    for _ in range(150):
        state = map_state(page, map_id)
        if state and state["markers"] and state["tiles"]:
            return state
        page.wait_for_timeout(100)
    raise AssertionError(
        f"the map widget {map_id} never showed its marker and tiles; "
        f"policy violations: {page.seen['violations']}"
    )


def log_in(page, then: str) -> None:
    get_user_model().objects.create_superuser("moderator", password=PASSWORD)
    open_admin(page, f"/admin/login/?next={then}")
    page.get_by_label("Username").fill("moderator")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(f"{re.escape(then)}$"))


def test_the_admin_works_under_its_policy_and_the_map_widget_starts(
    admin_page, tiles_from_another_origin, monkeypatch
):
    page = admin_page
    camera = make_camera(location=point(CAMERA_LON, CAMERA_LAT), operator="Prefecture test")
    photos = read_photos([images.upload(images.phone_jpeg())])
    submission = submit("new", location=point(2.3722, 48.8566), photos=photos).submission

    log_in(page, "/admin/mapping/camera/")
    assert page.locator("#result_list").get_by_text("Prefecture test").count() == 1
    assert_clean(page, "login and camera list")

    # The camera's page: the widget puts the stored point on its map, from its textarea.
    open_admin(page, f"/admin/mapping/camera/{camera.pk}/change/")
    state = wait_for_map(page, "id_location-map")
    assert state["markers"] == 1
    assert state["center"]["lat"] == pytest.approx(CAMERA_LAT, abs=1e-4)
    assert state["center"]["lng"] == pytest.approx(CAMERA_LON, abs=1e-4)
    assert all(t.startswith(tiles_from_another_origin) for t in state["tiles"])
    geometry = page.locator("textarea#id_location").input_value()
    assert '"Point"' in geometry and "2.3522" in geometry
    assert_clean(page, "camera change form")

    # The moderation screens: the queue, a submission with its map, photo and buttons...
    open_admin(page, "/admin/mapping/submission/")
    row = page.locator("#result_list tbody tr").filter(has=page.locator("td", has_text="new"))
    assert row.count() == 1
    open_admin(page, f"/admin/mapping/submission/{submission.pk}/change/")
    assert wait_for_map(page, "id_location-map")["markers"] == 1
    thumbnail = page.locator("img.photo-thumbnail")
    assert thumbnail.evaluate("(img) => getComputedStyle(img).maxWidth") == "240px"
    assert page.locator("#moderation").get_by_role("button", name="Approve").is_visible()
    assert_clean(page, "submission change form")

    # ...and rejecting from the queue, which asks why on a page of its own.
    open_admin(page, "/admin/mapping/submission/")
    page.locator(f'input[name="_selected_action"][value="{submission.pk}"]').check()
    page.locator('select[name="action"]').select_option("reject_selected")
    page.get_by_role("button", name="Go").click()
    page.get_by_label("Reason").fill("Not a camera: a lamp.")
    page.get_by_role("button", name="Reject").click()
    page.locator(".messagelist").get_by_text("1 submission rejected.").wait_for()
    assert_clean(page, "rejecting from the queue")

    open_admin(page, "/admin/password_change/")
    assert page.get_by_label("Old password").is_visible()
    assert_clean(page, "password change form")

    # Control: without the nonce on django-leaflet's scripts the widget does not start,
    # and the test sees why.
    monkeypatch.setattr(content_security, "NONCE_ATTRIBUTE", "nonce_leaflet_does_not_read")
    open_admin(page, f"/admin/mapping/camera/{camera.pk}/change/")
    page.wait_for_timeout(500)
    assert map_state(page, "id_location-map") is None
    assert any(v.startswith("script-src-elem refused inline") for v in page.seen["violations"])


def test_the_api_docs_and_the_browsable_api_work_under_the_general_policy(admin_page):
    page = admin_page
    # Swagger UI, started by /api/docs/?script= (an inline start would be refused).
    open_admin(page, "/api/docs/")
    page.locator(".swagger-ui .opblock-summary-path").first.wait_for()
    assert page.locator('.opblock-summary-path[data-path="/api/cameras/"]').count() >= 1
    assert_clean(page, "API docs")
    # DRF's browsable API (a moderator's view of the queue): its own scripts, its inline
    # styles allowed.
    log_in(page, "/api/submissions/")
    assert page.locator(".response-info").is_visible()
    assert page.evaluate("() => typeof window.jQuery") == "function"
    assert_clean(page, "browsable API")


@pytest.fixture
def locked_username():
    """Lock a username as twenty failures from other addresses would, and lift the lock
    afterwards: the throttle cache outlives the test, and later ones log in by that name."""
    names = []

    def lock(name: str) -> None:
        names.append(name)
        for _ in range(20):
            admin_login.record_failure(admin_login.username_counters(name), time.time())

    yield lock
    for name in names:
        admin_login.forget_username(name)


def test_a_browser_that_logged_in_keeps_a_device_cookie_that_gets_it_past_a_username_lock(
    browser, admin_page, locked_username
):
    """Chromium stores the device cookie as sent (HttpOnly, SameSite=Strict, the admin's
    path), no script on the page can read it, and it sends it with the login form: once
    failures elsewhere lock the username, this browser logs in and a fresh one does not."""
    page = admin_page
    log_in(page, "/admin/")
    (device,) = [c for c in page.context.cookies() if c["name"] == "anglemort_admin_device"]
    assert device["httpOnly"] and device["sameSite"] == "Strict" and device["path"] == "/admin/"
    assert device["expires"] - time.time() == pytest.approx(180 * 86400, abs=60)
    assert "anglemort_admin_device" not in page.evaluate("() => document.cookie")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state("load")

    locked_username("moderator")

    stranger = browser.new_context(viewport=DESKTOP, locale="en-GB").new_page()
    for who in (stranger, page):
        who.goto(page.base_url + "/admin/login/?next=/admin/")
        who.get_by_label("Username").fill("moderator")
        who.get_by_label("Password").fill(PASSWORD)
        who.get_by_role("button", name="Log in").click()
        who.wait_for_load_state("load")
    assert "Too many failed login attempts" in stranger.content()
    stranger.context.close()
    assert urlsplit(page.url).path == "/admin/"
    assert page.get_by_role("button", name="Log out").is_visible()
    assert_clean(page, "login from a known device")
