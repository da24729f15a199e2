"""Every HTML page carries a Content-Security-Policy (mapping/content_security.py): the
admin's strict one with a per-response nonce, a general one elsewhere; the map keeps its own.

That the policies really let the pages work is checked in Chromium (tests/e2e/test_admin.py).
"""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from mapping.photos import read_photos
from mapping.submissions import submit
from mapping.views import content_security_policy
from tests.factories import make_camera, point
from tests.submissions import images

pytestmark = pytest.mark.django_db

TILES = "https://tiles.example"
NONCE = re.compile(r"script-src 'self' 'nonce-([A-Za-z0-9_-]{24})';")
# A <script> element that runs (not a JSON data block) and loads nothing: it needs the nonce.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)([^>]*)>", re.I)


@pytest.fixture(autouse=True)
def _tile_server(settings):
    settings.TILE_URL = f"{TILES}/{{z}}/{{x}}/{{y}}.png"


def expected_admin_policy(nonce: str) -> str:
    return (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; "
        f"img-src 'self' data: {TILES}; "
        "connect-src 'self'; "
        "object-src 'none'; "
        "base-uri 'self'; "
        "form-action 'self'; "
        "frame-ancestors 'none'"
    )


def nonce_of(response) -> str:
    match = NONCE.search(response["Content-Security-Policy"])
    assert match, response["Content-Security-Policy"]
    return match.group(1)


def assert_admin_policy(response) -> str:
    """The exact admin policy, its nonce on every inline script, and no style attribute."""
    nonce = nonce_of(response)
    assert response["Content-Security-Policy"] == expected_admin_policy(nonce)
    html = response.content.decode()
    for attributes in INLINE_SCRIPT.findall(html):
        assert f'nonce="{nonce}"' in attributes, attributes
    assert not re.search(r"\sstyle=", html), "a style attribute the policy would refuse"
    return html


def a_submission(**fields):
    fields.setdefault("location", point(2.3722, 48.8566))
    photos = read_photos([images.upload(images.phone_jpeg())])
    return submit("new", photos=photos, **fields).submission


def test_the_login_page_has_the_admin_policy(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert 'id="login-form"' in assert_admin_policy(response)


def test_a_camera_change_form_has_the_policy_and_its_map_scripts_carry_the_nonce(admin_client):
    camera = make_camera(operator="Helsingin kaupunki")
    submission = a_submission()
    photo = submission.photos.get()
    photo.camera = camera
    photo.save()
    response = admin_client.get(f"/admin/mapping/camera/{camera.pk}/change/")
    assert response.status_code == 200
    html = assert_admin_policy(response)
    nonce = nonce_of(response)
    # django-leaflet's inline scripts, two per map (the field's setup, the map's start),
    # each with this response's nonce (assert_admin_policy).
    assert html.count(f'<script nonce="{nonce}">') >= 2
    assert "L.Map.djangoMap('id_location-map'" in html
    assert 'class="photo-thumbnail"' in html and "/static/css/admin.css" in html
    # A new nonce for each response.
    again = admin_client.get(f"/admin/mapping/camera/{camera.pk}/change/")
    assert nonce_of(again) != nonce


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/mapping/camera/",
        "/admin/mapping/camera/add/",
        "/admin/mapping/submission/",
        "/admin/mapping/streetsegment/add/",
        "/admin/mapping/building/add/",
        "/admin/mapping/importrun/",
        "/admin/auth/user/",
        "/admin/password_change/",
        "/admin/no-such-page/",
    ],
)
def test_admin_pages_have_the_admin_policy(admin_client, url):
    response = admin_client.get(url, follow=True)
    assert response.status_code in (200, 404)
    assert_admin_policy(response)


def test_the_moderation_pages_have_the_admin_policy(admin_client):
    submission = a_submission()
    change = admin_client.get(f"/admin/mapping/submission/{submission.pk}/change/")
    html = assert_admin_policy(change)
    assert 'id="moderation"' in html and 'class="photo-thumbnail"' in html
    assert html.count(f'<script nonce="{nonce_of(change)}">') == 2  # its location's map
    # Rejecting from the queue asks why on a page of its own.
    reject = admin_client.post(
        "/admin/mapping/submission/",
        {"action": "reject_selected", ACTION_CHECKBOX_NAME: [submission.pk]},
    )
    assert "Reject this submission? Its photos will be deleted." in assert_admin_policy(reject)


def test_other_html_pages_get_the_general_policy(admin_client, client):
    general = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    )
    docs = client.get("/api/docs/")
    assert docs["Content-Security-Policy"] == general
    assert not INLINE_SCRIPT.findall(docs.content.decode())  # started by /api/docs/?script=
    browsable = admin_client.get("/api/submissions/", HTTP_ACCEPT="text/html")
    assert browsable["Content-Type"].startswith("text/html")
    assert browsable["Content-Security-Policy"] == general
    assert not INLINE_SCRIPT.findall(browsable.content.decode())
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404 and missing["Content-Security-Policy"] == general


def test_the_map_keeps_its_own_policy_and_answers_in_data_get_none(client):
    page = client.get("/")
    assert page["Content-Security-Policy"] == content_security_policy(TILES)
    assert f"img-src 'self' data: blob: {TILES};" in page["Content-Security-Policy"]
    assert "nonce" not in page["Content-Security-Policy"]
    cameras = client.get("/api/cameras/", {"in_bbox": "2.35,48.85,2.36,48.86"})
    assert cameras.status_code == 200 and "Content-Security-Policy" not in cameras
