"""Our own icon in the browser's tab: named by the map's and the admin's pages, and
/favicon.ico (asked for by browsers on pages that name none) sent to it instead of a 404.

That Chromium then reports no failed request is checked in tests/e2e/test_map_policy.py
(the map) and tests/e2e/test_admin.py (the admin, the API docs, the browsable API).
"""

from __future__ import annotations

import pytest

ICON = "/static/img/favicon.svg"
LINK = f'<link rel="icon" href="{ICON}" type="image/svg+xml">'


def test_the_icon_is_an_svg_we_serve(client):
    response = client.get(ICON)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("<svg") and "http" not in body.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    ), "the icon loads nothing from elsewhere"


@pytest.mark.parametrize("method", ["get", "head"])
def test_favicon_ico_is_sent_to_our_icon(client, method):
    response = getattr(client, method)("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == ICON


def test_favicon_ico_takes_no_post(client):
    assert client.post("/favicon.ico").status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "moderator"),
    [("/", False), ("/admin/login/", False), ("/admin/", True), ("/admin/mapping/camera/", True)],
)
def test_the_map_and_the_admin_name_the_icon(client, admin_client, url, moderator):
    response = (admin_client if moderator else client).get(url)
    assert response.status_code == 200
    assert response.content.decode().count(LINK) == 1
