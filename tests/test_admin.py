"""The admin shows Leaflet map widgets for cameras and submissions."""

from __future__ import annotations

import pytest

from tests.factories import make_camera

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/admin/mapping/camera/add/", "/admin/mapping/submission/add/"])
def test_admin_add_form_renders_a_leaflet_map(admin_client, url):
    response = admin_client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "leaflet" in html.lower()
    assert 'id="id_location-map"' in html or "id_location" in html
    assert "L.Map" in html or "leaflet.js" in html


def test_admin_change_form_shows_the_camera_location(admin_client):
    camera = make_camera(operator="Helsingin kaupunki")
    response = admin_client.get(f"/admin/mapping/camera/{camera.pk}/change/")
    html = response.content.decode()
    assert response.status_code == 200
    # The widget serialises the stored point into its textarea as GeoJSON.
    assert "2.3522" in html
    assert "Helsingin kaupunki" in html


def test_admin_camera_search_finds_by_osm_id_and_operator(admin_client):
    make_camera(osm_id=123456789, operator="Alpha Security")
    make_camera(osm_id=987654321, operator="Beta Watch")
    by_id = admin_client.get("/admin/mapping/camera/", {"q": "123456789"}).content.decode()
    assert "Alpha Security" in by_id and "Beta Watch" not in by_id
    by_operator = admin_client.get("/admin/mapping/camera/", {"q": "beta"}).content.decode()
    assert "Beta Watch" in by_operator and "Alpha Security" not in by_operator


def test_the_demo_admin_command_prints_where_to_log_in_with_a_working_password(client, capsys):
    from django.core.management import call_command

    call_command("create_demo_admin", site="http://127.0.0.1:8013/")
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8013/admin/" in out
    password = out.split("password '")[1].split("'")[0]
    assert client.login(username="admin", password=password)
