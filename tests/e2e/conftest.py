"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

One browser for the whole session (starting Chromium is the slow part); a fresh context
(cookies, language) per test. Tiles come from a blank PNG we serve, so every request the
page makes can be checked to stay on 127.0.0.1. Each test gets the Helsinki demo data
through the `helsinki` fixture, which re-imports after the live server's flush.

Every page also reports what its Content-Security-Policy refused (REPORT_VIOLATIONS): a
map session that saw a refusal fails, as one that raised a script error does.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Screenshots for the README are rewritten only on request, so a test run leaves the tree clean.
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"
UPDATE_SCREENSHOTS = os.environ.get("UPDATE_SCREENSHOTS") == "1"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

# Runs in every document before its own scripts. Chromium fires `securitypolicyviolation`
# for each thing the page's policy refused: a script, a <style> block, a style="" attribute
# parsed from HTML (innerHTML, a Leaflet divIcon's html). The events go to the test through
# a binding, which survives navigations (a list on window would not).
REPORT_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (event) => {
    window.reportViolation(
        `${event.effectiveDirective} refused ${event.blockedURI || 'inline'}`
        + ` at ${event.sourceFile || document.location.pathname}:${event.lineNumber}`
        + (event.sample ? ` (${event.sample})` : '')
    );
});
"""


def report_policy_violations(context, violations: list[str]) -> None:
    """Append to `violations` what the policy refuses in any page of this browser context."""
    context.expose_function("reportViolation", lambda text: violations.append(text))
    context.add_init_script(REPORT_VIOLATIONS)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed: `make test` installs it (apt package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def local_tiles(settings, monkeypatch):
    """Blank tiles from our own static files: no tile server is contacted in tests.

    The admin's map widgets (django-leaflet) read their tiles from the settings once, at
    import: their copy is replaced too, as setting TILE_URL before starting would do.
    """
    import leaflet

    settings.TILE_URL = "/static/img/blank-tile.png"
    settings.TILE_ATTRIBUTION = "blank test tiles"
    tiles = [("blank", settings.TILE_URL, {"attribution": settings.TILE_ATTRIBUTION})]
    monkeypatch.setitem(leaflet.app_settings, "TILES", tiles)


@dataclass
class MapSession:
    """A page on the live server, with every URL it requested, every script error, every
    refusal of its Content-Security-Policy and every request that failed."""

    page: object
    base_url: str
    screenshot_dir: Path
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def open(self, path: str = "/", lat: float | None = None, lon: float | None = None, zoom=None):
        """Load the page (its response is returned) and wait for the map."""
        response = self.page.goto(self.base_url + path)
        self.wait_until("() => window.angleMort !== undefined")
        if lat is not None:
            self.page.evaluate(
                "([lat, lon, zoom]) => { window.angleMort.map.setView([lat, lon], zoom, "
                "{animate: false}); }",
                [lat, lon, zoom],
            )
        self.wait_for_map()
        return response

    def wait_until(self, function: str, arg=None, timeout_ms: int = 15_000):
        """Poll a JavaScript function until it returns something truthy, and return that.

        Playwright's wait_for_function compiles its predicate with eval inside the page,
        which the page's Content-Security-Policy forbids (rightly); evaluate() does not.
        """
        from playwright.sync_api import Error as PlaywrightError

        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            try:
                result = self.page.evaluate(function, arg)
            except PlaywrightError as error:  # a navigation replaced the page: ask again
                if "context was destroyed" not in str(error):
                    raise
                result = None
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {function} ({arg!r})")
            self.page.wait_for_timeout(50)

    def wait_for_map(self, layer: str | None = None, timeout_ms: int = 15_000) -> dict:
        """Wait until the layers match the view (and show `layer`); return the map's state."""
        return self.wait_until(
            """(layer) => {
                const map = document.getElementById('map');
                const zoom = String(window.angleMort.map.getZoom());
                const ready = map.dataset.loading === 'false' && map.dataset.zoom === zoom
                    && (!layer || map.dataset.layer === layer);
                return ready && {...map.dataset};
            }""",
            layer,
            timeout_ms,
        )

    def point_of(self, lat: float, lon: float) -> dict:
        """Page coordinates of a map position (to click it like a person)."""
        return self.page.evaluate(
            """([lat, lon]) => {
                const p = window.angleMort.map.latLngToContainerPoint([lat, lon]);
                const box = document.getElementById('map').getBoundingClientRect();
                return {x: box.left + p.x, y: box.top + p.y};
            }""",
            [lat, lon],
        )

    def pan_to(self, lat: float, lon: float) -> dict:
        """Centre the map on a position (as dragging it there would) and wait for the layers."""
        self.page.evaluate(
            "([lat, lon]) => { window.angleMort.map.panTo([lat, lon], {animate: false}); }",
            [lat, lon],
        )
        return self.wait_for_map()

    def set_zoom(self, zoom: int) -> dict:
        self.page.evaluate(
            "(zoom) => { window.angleMort.map.setZoom(zoom, {animate: false}); }", zoom
        )
        return self.wait_for_map()

    def zoom_in(self) -> dict:
        """Click the map's "Zoom in" button and wait for the next zoom's layers.

        Leaflet starts the zoom on the next animation frame: waiting for the map right after
        the click can find the old zoom's layers ready, and a loop would click again.
        """
        before = self.page.evaluate("window.angleMort.map.getZoom()")
        self.page.get_by_role("button", name="Zoom in").click()
        self.wait_until("(zoom) => window.angleMort.map.getZoom() > zoom", before)
        return self.wait_for_map()

    def click_map(self, lat: float, lon: float) -> None:
        point = self.point_of(lat, lon)
        self.page.mouse.click(point["x"], point["y"])

    def screenshot(self, name: str) -> Path:
        """docs/img/NAME.png with UPDATE_SCREENSHOTS=1, else a file in the test's tmp dir."""
        self.screenshot_dir.mkdir(parents=True, exist_ok=True)
        path = self.screenshot_dir / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def foreign_requests(self) -> list[str]:
        """Every requested URL whose host is not this machine (data: and blob: are local)."""
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme in ("http", "https", "ws", "wss")
            and urlsplit(url).hostname not in LOCAL_HOSTS
        ]


def _session(browser, live_server, viewport, locale, tmp_path) -> Iterator[MapSession]:
    # A fixed device position (tests/e2e/test_map.py DEVICE_POSITION): no location service.
    context = browser.new_context(
        viewport=viewport,
        locale=locale,
        accept_downloads=True,
        geolocation={"latitude": 60.1705, "longitude": 24.9420},
        permissions=["geolocation"],
    )
    violations: list[str] = []
    report_policy_violations(context, violations)
    page = context.new_page()
    page.set_default_timeout(15_000)
    shots = DOCS_SCREENSHOTS if UPDATE_SCREENSHOTS else tmp_path / "screenshots"
    session = MapSession(
        page=page, base_url=live_server.url, screenshot_dir=shots, violations=violations
    )
    page.on("request", lambda request: session.requests.append(request.url))
    page.on("pageerror", lambda error: session.errors.append(str(error)))
    page.on("response", lambda response: _record_error_status(response, session.failures))
    page.on("requestfailed", lambda request: _record_failure(request, session.failures))
    page.on("console", lambda message: _record_load_failure(message, session.failures))
    try:
        yield session
    finally:
        context.close()
    assert session.errors == [], f"script errors on the page: {session.errors}"
    assert session.violations == [], f"refused by the policy: {session.violations}"
    assert session.foreign_requests() == [], "the page contacted another host"


def _record_error_status(response, failures: list[str]) -> None:
    if response.status >= 400:
        failures.append(f"{response.status} {response.url}")


def _record_failure(request, failures: list[str]) -> None:
    """A request that got no answer. The page aborts on purpose the fetches a move made
    useless, and Leaflet the tiles it no longer shows: those are not failures."""
    if request.failure != "net::ERR_ABORTED":
        failures.append(f"{request.failure} {request.url}")


def _record_load_failure(message, failures: list[str]) -> None:
    """Resources the browser fetches for itself (/favicon.ico when a page names no icon)
    raise no request event: their failure shows only as a console error. Chromium keeps
    a failed icon in mind for the browser's run: the first test to meet it reports it."""
    if message.type == "error" and message.text.startswith("Failed to load resource"):
        failures.append(f"{message.text} {message.location.get('url', '')}")


@pytest.fixture
def map_session(browser, live_server, local_tiles, helsinki, tmp_path) -> Iterator[MapSession]:
    """The map in English on a desktop screen, with the Helsinki demo data loaded."""
    yield from _session(browser, live_server, DESKTOP, "en-GB", tmp_path)


@pytest.fixture
def session_factory(browser, live_server, local_tiles, helsinki, tmp_path):
    """Open more sessions (another language, a phone screen) within one test."""
    opened: list[Iterator[MapSession]] = []

    def make(viewport=DESKTOP, locale="en-GB") -> MapSession:
        generator = _session(browser, live_server, viewport, locale, tmp_path)
        opened.append(generator)
        return next(generator)

    yield make
    for generator in opened:
        next(generator, None)
