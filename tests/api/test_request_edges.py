"""What every API path answers to requests no endpoint reads: a parameter given twice, an
unknown ?format=, an unknown path, too many fields. JSON with a named field, never a
silent choice and never Django's HTML pages."""

from __future__ import annotations

import pytest

from tests.api.conftest import body, inside
from tests.factories import make_camera, point

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def store_every_answer(settings):
    settings.API_RESPONSE_CACHE_MIN_MS = 0


def json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:200]
    assert response["Content-Type"].split(";")[0] in {"application/json", "application/geo+json"}
    return body(response)


@pytest.mark.parametrize(
    "path",
    [
        "/api/cameras/?in_bbox={box}&status=removed&status=active",
        "/api/density/?in_bbox={box}&zoom=12&zoom=5",
        "/api/export/cameras.geojson?status=removed&status=active",
        "/api/export/cameras.csv?in_bbox={box}&in_bbox={box}",
        "/api/routes/?from=2.35,48.85&from=2.36,48.85&to=2.37,48.85",
        "/api/cameras/1/?fov=1&fov=0",
    ],
)
def test_a_parameter_given_twice_is_refused_by_name(client, box, path):
    url = path.format(box=box)
    name = next(n for n in ("status", "zoom", "in_bbox", "from", "fov") if url.count(f"{n}=") > 1)
    error = json_error(client.get(url), 400)
    assert list(error["errors"]) == [name]
    assert error["errors"][name] == [
        "given 2 times; give it once (several values of a filter: one parameter, comma-separated)"
    ]


def test_a_repeated_parameter_is_refused_before_the_cache_could_answer_it(client, box):
    """The cache files answers under the sorted parameters: once `status=active` alone
    was fine, but `status=removed&status=active` (answered as removed, the last) was then
    served to `status=active&status=removed` as well."""
    make_camera(location=point(*inside(box)))
    active = client.get(f"/api/cameras/?in_bbox={box}&status=active")
    assert body(active)["count"] == 1
    for order in ("removed&status=active", "active&status=removed"):
        response = client.get(f"/api/cameras/?in_bbox={box}&status={order}")
        assert "X-Cache" not in response
        assert json_error(response, 400)["errors"].keys() == {"status"}
    assert client.get(f"/api/cameras/?in_bbox={box}&status=active")["X-Cache"] == "hit"


@pytest.mark.parametrize(
    ("path", "formats"),
    [
        ("/api/cameras/?format=xml", "geojson or json"),
        ("/api/density/?in_bbox={box}&zoom=12&format=xml", "geojson or json"),
        ("/api/export/cameras.csv?format=json", "csv"),
        ("/api/routes/?from=2.35,48.85&to=2.36,48.85&format=xml", "json or gpx"),
    ],
)
def test_an_unknown_format_is_a_400_naming_the_formats(client, box, path, formats):
    error = json_error(client.get(path.format(box=box)), 400)
    assert error["errors"] == {"format": [f"expected {formats}"]}


def test_an_unknown_api_path_is_a_json_404_and_the_site_keeps_its_page(client):
    for path in ("/api/export/cameras.json", "/api/cameras/17/photos/", "/api/nothing"):
        assert json_error(client.get(path), 404) == {"detail": "no such API endpoint"}
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


def test_too_many_fields_and_a_foreign_host_are_json_400s(client, settings):
    many = "&".join(f"p{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    error = json_error(client.get(f"/api/cameras/?{many}"), 400)
    assert error["detail"].startswith("bad request:")
    error = json_error(client.get("/api/cameras/", HTTP_HOST="evil.example"), 400)
    assert error["detail"].startswith("bad request:")
    assert client.get("/", HTTP_HOST="evil.example")["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "path",
    [
        "/api/cameras/?status=bogus",
        "/api/cameras/?in_bbox={box}&page=999",
        "/api/density/?zoom=abc",
    ],
)
def test_if_none_match_any_does_not_hide_a_refusal(client, box, path):
    """`If-None-Match: *` gave a 304, as if the client held an answer, to requests the
    view refuses."""
    response = client.get(path.format(box=box), headers={"If-None-Match": "*"})
    assert response.status_code in (400, 404)
    assert "errors" in body(response) or "detail" in body(response)


def test_an_export_answers_application_json_when_asked(client, box):
    """The conventions say Accept: application/json switches GeoJSON to application/json;
    the export answered 406."""
    make_camera(location=point(*inside(box)))
    response = client.get(
        f"/api/export/cameras.geojson?in_bbox={box}", headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert body(response)["type"] == "FeatureCollection"
    default = client.get(f"/api/export/cameras.geojson?in_bbox={box}")
    assert default["Content-Type"] == "application/geo+json; charset=utf-8"
