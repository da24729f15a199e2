"""GET /api/cameras/{id}/: every attribute, photos, provenance; bad ids are JSON errors."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from mapping.camera_queries import with_features
from mapping.models import Camera, CameraPhoto
from tests.api.conftest import inside
from tests.factories import make_camera, point


def _jpeg(width: int, height: int) -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "JPEG")
    return ContentFile(buffer.getvalue())


@pytest.fixture
def camera(db, box):
    return make_camera(
        location=point(*inside(box)),
        osm_type="node",
        osm_id=123456789,
        osm_version=7,
        camera_type="dome",
        surveillance="public",
        directions=[45.0],
        height=6.5,
        operator="Ville de Paris",
        capabilities=["ptz"],
        tags={"man_made": "surveillance", "surveillance:type": "camera", "camera:type": "dome"},
        check_date=date(2024, 5, 1),
        confirmations=3,
        last_checked=datetime(2024, 6, 2, 8, 0, tzinfo=UTC),
        first_seen=datetime(2021, 1, 1, tzinfo=UTC),
        last_seen=datetime(2024, 6, 1, tzinfo=UTC),
    )


def test_detail_has_every_attribute_and_the_provenance(client, camera):
    response = client.get(f"/api/cameras/{camera.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    feature = response.json()
    assert feature["type"] == "Feature" and feature["id"] == camera.pk
    assert feature["geometry"]["type"] == "Point"
    props = feature["properties"]
    assert props["osm_url"] == "https://www.openstreetmap.org/node/123456789"
    assert (props["source"], props["osm_type"], props["osm_id"], props["osm_version"]) == (
        "osm",
        "node",
        123456789,
        7,
    )
    assert props["first_seen"] == "2021-01-01T00:00:00Z"
    assert props["last_seen"] == "2024-06-01T00:00:00Z"
    assert props["last_checked"] == "2024-06-02T08:00:00Z"
    assert props["check_date"] == "2024-05-01"
    assert props["confirmations"] == 3
    assert props["tags"]["camera:type"] == "dome"
    assert (props["licence"], props["attribution"]) == ("ODbL-1.0", "© OpenStreetMap contributors")
    assert props["photos"] == []
    assert "fov" in props
    # The geometry is the feature's own; position is the same point, for the box index.
    model_fields = {f.name for f in Camera._meta.concrete_fields} - {"id", "location", "position"}
    assert model_fields <= set(props)


def test_detail_agrees_with_the_list_feature(client, camera):
    detail = client.get(f"/api/cameras/{camera.pk}/").json()
    (listed,) = [json.loads(t) for t in with_features(Camera.objects.filter(pk=camera.pk))]
    assert detail["geometry"] == listed["geometry"]
    for key, value in listed["properties"].items():
        assert detail["properties"][key] == value, key


def test_detail_lists_photo_and_thumbnail_urls(client, camera):
    photo = CameraPhoto(camera=camera, width=640, height=480)
    photo.image.name = default_storage.save("photos/full.jpg", _jpeg(640, 480))
    photo.thumbnail.name = default_storage.save("thumbnails/thumb.jpg", _jpeg(320, 240))
    photo.save()
    (listed,) = client.get(f"/api/cameras/{camera.pk}/").json()["properties"]["photos"]
    assert listed["url"] == f"http://testserver{photo.image.url}"
    assert listed["thumbnail_url"] == f"http://testserver{photo.thumbnail.url}"
    assert (listed["width"], listed["height"]) == (640, 480)


def test_a_community_camera_has_no_osm_link_and_community_attribution(client, db, box):
    camera = make_camera(source="community", location=point(*inside(box)))
    props = client.get(f"/api/cameras/{camera.pk}/").json()["properties"]
    assert props["osm_url"] is None and props["osm_id"] is None
    assert props["attribution"] == "© Angle Mort contributors"


@pytest.mark.parametrize("bad", ["abc", "1.5", "12abc", "%20", "1e3"])
def test_a_malformed_id_is_a_400_in_json(client, db, bad):
    response = client.get(f"/api/cameras/{bad}/")
    assert response.status_code == 400
    assert response.json()["errors"]["id"][0].startswith("a camera id is a whole number")


@pytest.mark.parametrize("missing", ["0", "-4", "99999999999", "99999999999999999999999"])
def test_an_unknown_id_is_a_404_in_json(client, db, missing):
    response = client.get(f"/api/cameras/{missing}/")
    assert response.status_code == 404
    assert response.json()["detail"].startswith("no camera with id ")


@pytest.mark.parametrize("spelt", ["1_0", "\u0663", "+3", " 3"])
def test_an_id_is_ascii_digits_not_what_int_also_reads(client, db, spelt):
    """int() reads "1_0" as 10 and Arabic-Indic digits as theirs: camera 10 answered."""
    for _ in range(10):
        make_camera()
    response = client.get(f"/api/cameras/{spelt}/")
    assert response.status_code == 400
    assert response.json()["errors"]["id"][0].startswith("a camera id is a whole number")


def test_a_5000_digit_id_is_no_camera_rather_than_no_number(client, db):
    response = client.get(f"/api/cameras/{'9' * 5000}/")
    assert response.status_code == 404
    assert response.json()["detail"] == f"no camera with id {'9' * 40}"


def test_the_detail_refuses_parameters_it_does_not_read(client, db):
    camera = make_camera()
    response = client.get(f"/api/cameras/{camera.pk}/", {"foo": "bar"})
    assert response.status_code == 400
    assert "foo" in response.json()["errors"]
