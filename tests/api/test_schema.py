"""The OpenAPI schema is valid and complete; the docs page loads only our own files."""

from __future__ import annotations

import re

import pytest
from drf_spectacular.validation import validate_schema

FILTERS = {
    "in_bbox",
    "source",
    "status",
    "surveillance",
    "surveillance_type",
    "camera_type",
    "capability",
    "operator",
    "updated_since",
}


@pytest.fixture
def schema(client, db) -> dict:
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on an invalid document


def _parameters(schema, path) -> dict[str, dict]:
    return {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}


@pytest.mark.parametrize(
    "path",
    ["/api/cameras/", "/api/density/", "/api/export/cameras.geojson", "/api/export/cameras.csv"],
)
def test_every_read_endpoint_documents_every_filter(schema, path):
    parameters = _parameters(schema, path)
    assert set(parameters) >= FILTERS
    assert all(parameters[name].get("description") for name in FILTERS)
    assert schema["paths"][path]["get"]["description"]


def test_list_parameters_and_pagination_are_documented(schema):
    parameters = _parameters(schema, "/api/cameras/")
    assert {"page", "page_size", "fov"} <= set(parameters)
    assert parameters["source"]["schema"]["items"]["enum"] == ["community", "osm"]
    page = schema["components"]["schemas"]["PaginatedCameraFeatureList"]
    assert set(page["required"]) == {"type", "count", "next", "previous", "features"}
    assert page["properties"]["features"]["items"] == {"$ref": "#/components/schemas/CameraFeature"}


def test_density_requires_box_and_zoom(schema):
    parameters = _parameters(schema, "/api/density/")
    assert parameters["in_bbox"]["required"] and parameters["zoom"]["required"]
    assert parameters["zoom"]["schema"] == {"type": "integer", "minimum": 0, "maximum": 22}


def test_detail_documents_an_integer_id(schema):
    (parameter,) = [
        p for p in schema["paths"]["/api/cameras/{id}/"]["get"]["parameters"] if p["in"] == "path"
    ]
    assert parameter["schema"]["type"] == "integer"


def test_docs_page_loads_only_our_own_static_files(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, "the page should load Swagger UI"
    # Swagger UI from the sidecar's static files, its start-up script from this page (not
    # inline: the page's Content-Security-Policy runs our own scripts only).
    start = "/api/docs/?script="
    assert start in sources
    assert all(s.startswith("/static/drf_spectacular_sidecar/") for s in sources if s != start)
    assert "cdn" not in html.lower()
    for source in sources:
        assert client.get(source).status_code == 200, source
    script = client.get(start)
    assert script["Content-Type"].startswith("application/javascript")
    assert 'url: "/api/schema/"' in script.content.decode()


# --- One language: English ---------------------------------------------------------------------

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}
STATUS_DESCRIPTION = (
    "Camera status: one or more of active, removed, comma-separated (any of them matches). "
    "Default: active only; status=active,removed gives both.\n\n"
    "* `active` - active\n* `removed` - removed"
)


def test_the_schema_is_english_whatever_the_language_of_the_request(client, db):
    """Client generators and people diff the schema: it is one document. Asked in French, it
    mixed English filter texts with French choice labels, and gained French titles."""
    english = client.get("/api/schema/?format=json")
    french = client.get("/api/schema/?format=json", **FRENCH)
    assert french.status_code == 200
    assert french.content == english.content
    assert french["Content-Language"] == "en"
    schema = french.json()
    status = _parameters(schema, "/api/cameras/")["status"]
    assert status["description"] == STATUS_DESCRIPTION  # the filter's text and its choices
    assert "title" not in status["schema"]["items"]
    assert schema["components"]["schemas"]["StatusEnum"]["description"] == (
        "* `pending` - pending\n* `approved` - approved\n* `rejected` - rejected\n"
        "* `merged` - merged"
    )
    feature = schema["components"]["schemas"]["CameraFeature"]["properties"]["properties"]
    assert feature["properties"]["height"]["description"] == "Metres above the ground."


def test_the_schema_refuses_a_language_parameter_in_the_language_of_the_request(client, db):
    """drf-spectacular's ?lang= would translate it again; refused rather than ignored."""
    response = client.get("/api/schema/?lang=fr", **FRENCH)
    assert response.status_code == 400
    assert response.json()["errors"] == {"lang": ["paramètre inconnu ; paramètres connus : format"]}
