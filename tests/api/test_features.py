"""The features PostgreSQL writes are exactly what the DRF serializer would produce."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django.contrib.gis.geos import MultiPolygon
from rest_framework.renderers import JSONRenderer

from api.serializers import CameraFeatureSerializer
from mapping.camera_queries import CameraFilters, filter_cameras, with_features
from mapping.models import Camera
from tests.api.conftest import inside
from tests.factories import make_camera, point, square
from tests.helsinki import HELSINKI_BBOX


def _serialized(cameras, with_fov: bool) -> dict[int, dict]:
    data = CameraFeatureSerializer(cameras, many=True, with_fov=with_fov).data
    features = json.loads(JSONRenderer().render(data))["features"]
    return {feature["id"]: feature for feature in features}


def _from_sql(cameras, with_fov: bool) -> dict[int, dict]:
    features = [json.loads(text) for text in with_features(cameras, with_fov)]
    return {feature["id"]: feature for feature in features}


def _awkward_cameras(box):
    lon, lat = inside(box)
    return [
        make_camera(
            location=point(lon, lat),
            operator='Ville "de" Paris \\ back\nslash\ttab',
            name="Café ☕ «centre»",
            zone="traffic",
            mount="wall",
            operator_type="public",
            vendor="Axis",
            ref="A-1",
            directions=[0.0, 90.5, 359.9],
            tilt=12.5,
            height=4.0,
            capabilities=["alpr", "face_recognition"],
            camera_type="dome",
            surveillance="public",
            updated_at=datetime(2024, 3, 1, 12, 30, 45, 123456, tzinfo=UTC),
        ),
        make_camera(
            source="community",
            location=point(*inside(box, 0.123456789, 0.987654321)),
            surveillance_type="",
            fov=MultiPolygon(square(lon, lat, 0.0001), srid=4326),
        ),
        make_camera(
            location=point(*inside(box, 0.3, 0.3)),
            status="removed",
            removed_at=datetime(2024, 1, 1, tzinfo=UTC),
            osm_type="way",
            operator="\x01control",
        ),
    ]


def test_sql_features_match_the_serializer_for_awkward_values(db, box):
    cameras = Camera.objects.filter(pk__in=[c.pk for c in _awkward_cameras(box)]).order_by("id")
    for with_fov in (False, True):
        assert _from_sql(cameras, with_fov) == _serialized(cameras, with_fov)


def test_sql_features_escape_text_into_valid_json(db, box):
    camera = _awkward_cameras(box)[0]
    (text,) = with_features(Camera.objects.filter(pk=camera.pk))
    properties = json.loads(text)["properties"]
    assert properties["operator"] == 'Ville "de" Paris \\ back\nslash\ttab'
    assert properties["name"] == "Café ☕ «centre»"
    assert properties["updated_at"] == "2024-03-01T12:30:45Z"


def test_fov_appears_only_when_asked(db, box):
    _awkward_cameras(box)
    cameras = filter_cameras(CameraFilters(bbox=box)).order_by("id")
    without = _from_sql(cameras, with_fov=False)
    with_fov = _from_sql(cameras, with_fov=True)
    assert all("fov" not in f["properties"] for f in without.values())
    fovs = [f["properties"]["fov"] for f in with_fov.values()]
    assert sorted(fov is None for fov in fovs) == [False, True, True]
    assert next(fov for fov in fovs if fov)["type"] == "MultiPolygon"


def test_sql_features_match_the_serializer_on_the_helsinki_data(db, helsinki):
    cameras = filter_cameras(CameraFilters(bbox=HELSINKI_BBOX, sources=("osm",))).order_by("id")
    from_sql = _from_sql(cameras, with_fov=True)
    assert len(from_sql) == helsinki.cameras
    assert from_sql == _serialized(cameras, with_fov=True)
