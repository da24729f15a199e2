"""The map page without a browser: its policy headers, its language, its translation catalogs."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from django.urls import reverse

from mapping.bbox import BBox
from mapping.camera_queries import CameraFilters
from mapping.density.queries import camera_density
from mapping.views import content_security_policy, map_config, tile_origin

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "locale" / "fr" / "LC_MESSAGES"
CONTEXT_SEPARATOR = "\x04"  # between a msgctxt and its msgid in a compiled catalogue
GETTEXT_CALL = re.compile(r"""\b(?:gettext|ngettext)\(\s*"((?:[^"\\]|\\.)*)"\s*[,)]""", re.S)


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        ("http://127.0.0.1:8080/tiles/{z}/{x}/{y}.png", "http://127.0.0.1:8080"),
        ("/static/img/blank-tile.png", ""),
    ],
)
def test_tile_origin_is_what_the_policy_must_allow(url, origin):
    assert tile_origin(url) == origin


def test_policy_allows_only_ourselves_and_the_tile_server():
    policy = dict(
        part.split(" ", 1) for part in content_security_policy("https://tiles.example").split("; ")
    )
    assert policy["default-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'", "no inline style (tests/e2e/test_map_policy.py)"
    assert policy["img-src"].split() == ["'self'", "data:", "blob:", "https://tiles.example"]


@pytest.mark.django_db
def test_page_sends_its_policy_and_speaks_the_browsers_language(client, settings):
    settings.TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    english = client.get(reverse("map"), HTTP_ACCEPT_LANGUAGE="en")
    french = client.get(reverse("map"), HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert "img-src 'self' data: blob: https://tiles.example;" in english["Content-Security-Policy"]
    assert '<html lang="en">' in english.text and '<html lang="fr">' in french.text
    assert "Plan a route" in english.text
    assert "Itinéraire" in french.text and "Plan a route" not in french.text
    assert "OpenStreetMap" in french.text and "ODbL" in french.text


def _js_strings() -> set[str]:
    found = set()
    for source in (ROOT / "static" / "js").glob("*.js"):
        for match in GETTEXT_CALL.finditer(source.read_text()):
            found.add(_unescape(match.group(1)))
    return found


def _unescape(text: str) -> str:
    """A .po string's escapes (\\" and \\n) read back, non-ASCII letters kept."""
    return text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def po_entries(path: Path) -> dict[str, list[str]]:
    """msgid -> its msgstr (or plural forms) from a .po file, continuation lines joined.
    A msgid with a context (pgettext) is keyed "context\x04msgid", as gettext stores it."""
    entries: dict[str, list[str]] = {}
    for block in path.read_text().split("\n\n"):
        fields: dict[str, str] = {}
        current = None
        for line in block.splitlines():
            keyword = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line)
            if keyword:
                current = keyword.group(1)
                fields[current] = keyword.group(2)
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
        if fields.get("msgid"):
            key = _unescape(fields["msgid"])
            if "msgctxt" in fields:
                key = f"{_unescape(fields['msgctxt'])}{CONTEXT_SEPARATOR}{key}"
            entries[key] = [
                _unescape(value)
                for key, value in sorted(fields.items())
                if key.startswith("msgstr")
            ]
    return entries


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_compiled_french_catalog_is_complete_and_up_to_date(domain):
    """Every message is translated, and the committed .mo (the app runs without gettext
    installed) says the same as the .po."""
    entries = po_entries(LOCALE / f"{domain}.po")
    with (LOCALE / f"{domain}.mo").open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)
    assert len(entries) > 20
    for msgid, translations in entries.items():
        assert all(translations), f"untranslated: {msgid}"
        if len(translations) == 1:
            context, _, text = msgid.rpartition(CONTEXT_SEPARATOR)
            found = catalog.pgettext(context, text) if context else catalog.gettext(text)
            assert found == translations[0], f"stale .mo for: {msgid}"


def test_every_string_of_the_scripts_is_in_the_french_catalog():
    known = po_entries(LOCALE / "djangojs.po")
    missing = sorted(text for text in _js_strings() if text not in known)
    assert missing == [], "run makemessages -d djangojs and translate these"


@pytest.mark.parametrize(
    ("limit", "expected"), [(40, 40), (5000, 5000), (20_000, 5000), (0, 1), (-3, 1)]
)
def test_street_markers_fit_in_one_page(settings, limit, expected):
    """The map asks for markers only where they fit in one page of the list endpoint; a
    larger MAP_MARKER_LIMIT is lowered to it, and one below 1 raised to 1."""
    settings.API_MAX_PAGE_SIZE = 5000
    settings.MAP_MARKER_LIMIT = limit
    config = map_config()
    assert config["markerLimit"] == expected <= config["pageSize"]


@pytest.mark.django_db
def test_street_squares_up_to_the_cluster_zoom_read_stored_counts():
    """clusterMaxZoom is the finest density zoom answered from the stored counts: the
    squares the map counts a street with are sums, not cameras, up to it."""
    cluster_max = map_config()["clusterMaxZoom"]
    box = BBox(24.93, 60.16, 24.96, 60.18)
    active = CameraFilters(bbox=box, statuses=("active",))
    assert camera_density(active, cluster_max).from_aggregate
    assert not camera_density(active, cluster_max + 1).from_aggregate
