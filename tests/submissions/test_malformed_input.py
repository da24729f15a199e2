"""Submissions and moderation refuse malformed input with a field-level 400 and write
nothing: values that a lenient parser used to take for something else (2.5 for camera 2,
true for a coordinate) or that crashed it (JSON nested too deep, 1e400)."""

from __future__ import annotations

import json

import pytest

from mapping.models import Camera, CameraPhoto, Submission
from tests.factories import make_camera
from tests.submissions import images

pytestmark = pytest.mark.django_db

URL = "/api/submissions/"
LON, LAT = 2.3522, 48.8566
DEEP = 50_000  # far beyond what Python's JSON decoder recurses into


def rows() -> tuple[int, int, int]:
    return Submission.objects.count(), CameraPhoto.objects.count(), Camera.objects.count()


def refused(response, field: str) -> dict:
    assert response.status_code == 400, response.content[:200]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert field in body["errors"], body
    assert body["detail"].startswith(f"{field}: ")
    return body


def test_a_json_body_nested_too_deep_is_a_400_not_a_500(anonymous_client):
    before = rows()
    nested = '{"kind": "new", "location": "2.35,48.85", "attributes": ' + "[" * DEEP
    nested += "]" * DEEP + "}"
    response = anonymous_client.post(URL, nested, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deep" in response.json()["detail"]
    assert rows() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("attributes", "[" * DEEP + "]" * DEEP),
        ("location", '{"type": "Point", "coordinates": ' + "[" * DEEP + "]" * DEEP + "}"),
    ],
)
def test_a_form_field_nested_too_deep_is_refused_by_name(anonymous_client, field, value):
    before = rows()
    fields = {"kind": "new", "location": f"{LON},{LAT}", field: value}
    refused(anonymous_client.post(URL, fields, format="multipart"), field)
    assert rows() == before


@pytest.mark.parametrize(
    "camera_id",
    [2.5, 1e300, "1_0", "\u0663", "1e3", True, "  ", [1]],
)
def test_a_camera_id_is_a_whole_number_or_refused(anonymous_client, camera_id):
    """2.5 used to confirm camera 2 and 1e400 (inf once parsed) gave a 500; "1_0" and
    Arabic-Indic digits named cameras 10 and 3."""
    for pk in (1, 2, 3, 10):
        make_camera(id=pk) if not Camera.objects.filter(pk=pk).exists() else None
    before = rows()
    body = {"kind": "confirm", "camera": camera_id}
    response = anonymous_client.post(URL, json.dumps(body), content_type="application/json")
    assert refused(response, "camera")["errors"]["camera"] != ["This field is required."]
    assert rows() == before


def test_an_infinite_camera_id_is_refused(anonymous_client):
    before = rows()
    body = '{"kind": "confirm", "camera": 1e400}'  # Python reads inf
    refused(anonymous_client.post(URL, body, content_type="application/json"), "camera")
    assert rows() == before


def test_a_camera_id_as_form_digits_still_works(anonymous_client):
    camera = make_camera()
    response = anonymous_client.post(
        URL, {"kind": "confirm", "camera": f" {camera.pk} "}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["camera"] == camera.pk


@pytest.mark.parametrize("coordinates", [[True, False], [2.35, True]])
def test_booleans_are_not_coordinates(anonymous_client, coordinates):
    """float(True) is 1.0: a camera was approved at 1,0."""
    before = rows()
    location = json.dumps({"type": "Point", "coordinates": coordinates})
    response = anonymous_client.post(URL, {"kind": "new", "location": location}, format="multipart")
    refused(response, "location")
    assert rows() == before


def test_a_misspelt_field_is_refused_not_dropped(anonymous_client):
    """`photo` for `photos`: the photo was dropped and the report accepted without it."""
    camera = make_camera()
    before = rows()
    response = anonymous_client.post(
        URL,
        {"kind": "confirm", "camera": camera.pk, "photo": images.upload(images.phone_jpeg())},
        format="multipart",
    )
    body = refused(response, "photo")
    assert "photos" in body["errors"]["photo"][0]  # the known names are listed
    assert rows() == before


def test_a_merge_names_its_camera_by_a_whole_number(anonymous_client, moderator_client):
    existing = make_camera(id=2) if not Camera.objects.filter(pk=2).exists() else None
    assert existing is None or existing.pk == 2
    pending = anonymous_client.post(
        URL, {"kind": "new", "location": f"{LON},{LAT}"}, format="multipart"
    ).json()
    response = moderator_client.post(f"{URL}{pending['id']}/merge/", {"camera": 2.7}, format="json")
    refused(response, "camera")
    assert Submission.objects.get(pk=pending["id"]).status == "pending"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("foo=bar", "foo"),
        ("page_size=abc", "page_size"),
        ("page_size=0", "page_size"),
        ("page=abc", "page"),
        ("page=0", "page"),
        ("camera=abc", "camera"),
    ],
)
def test_the_moderation_queue_names_a_bad_parameter(moderator_client, query, field):
    """DRF took page_size=abc for the default, answered page=abc with a bare 404 and
    camera=abc with "Select a valid choice"; foo=bar was ignored."""
    refused(moderator_client.get(f"{URL}?{query}"), field)


def test_a_malformed_submission_id_is_a_400_and_an_unknown_one_a_404(moderator_client):
    refused(moderator_client.get(f"{URL}abc/"), "id")
    refused(moderator_client.post(f"{URL}1_0/approve/"), "id")
    assert moderator_client.get(f"{URL}987654321/").status_code == 404


@pytest.mark.parametrize(("field", "value"), [("pseudonym", "a\x01b"), ("note", "bell\x07")])
def test_control_characters_are_refused_in_what_moderators_read(anonymous_client, field, value):
    camera = make_camera()
    before = rows()
    fields = {"kind": "confirm", "camera": camera.pk, field: value}
    refused(anonymous_client.post(URL, fields, format="multipart"), field)
    assert rows() == before
    fields[field] = "line one\nline two" if field == "note" else "Mouette"
    assert anonymous_client.post(URL, fields, format="multipart").status_code == 201
