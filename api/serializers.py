"""Cameras as GeoJSON Features: the list's shape and the detail with photos and provenance.

The list endpoint has PostgreSQL write its features (mapping/geojson_sql.py) for
speed; CameraFeatureSerializer describes that same shape for the OpenAPI schema,
and tests/api/test_features.py checks that both give identical features.
"""

from __future__ import annotations

from datetime import UTC
from decimal import ROUND_HALF_EVEN, Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from mapping.export import ATTRIBUTIONS, LICENCE
from mapping.geojson_sql import COORDINATE_DECIMALS, LIST_PROPERTIES, TIMESTAMP_FORMAT_PY
from mapping.models import Camera, CameraPhoto, CameraType, Surveillance, SurveillanceType

LIST_FIELDS = tuple(name for name, _ in LIST_PROPERTIES)


def round_like_postgis(value: float, decimals: int = COORDINATE_DECIMALS) -> float:
    """Round as ST_AsGeoJSON(geom, 6) does: half to even on the shortest decimal form.

    Python's round() works on the exact binary value, so 60.1721795 (stored as
    60.17217949999...) gives 60.172179 where PostGIS writes 60.17218; OpenStreetMap's
    7-decimal coordinates hit this for about one camera in ten.
    """
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_EVEN))


def _rounded(coordinates):
    if isinstance(coordinates, (tuple, list)):
        return [_rounded(item) for item in coordinates]
    return round_like_postgis(coordinates)


class PostgisGeometryField(GeometryField):
    """GeoJSON geometry with the coordinates PostgreSQL's features carry, to the digit.

    Coordinates are read from GEOS (the stored doubles, not a GDAL text export) and
    rounded by round_like_postgis, so a camera reads the same in the list (written by
    PostGIS) and in the detail (written here).
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        if value is None or isinstance(value, dict):
            return value
        return {"type": value.geom_type, "coordinates": _rounded(value.coords)}


class UtcDateTimeField(serializers.DateTimeField):
    """A timestamp in UTC to the second (2025-06-01T12:00:00Z), as the SQL features write it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(format=TIMESTAMP_FORMAT_PY, default_timezone=UTC, **kwargs)


class CameraFeatureSerializer(GeoFeatureModelSerializer):
    """One camera in the list: location, normalised attributes, optionally its field of view."""

    location = PostgisGeometryField()
    fov = PostgisGeometryField(
        allow_null=True,
        help_text="Field of view (Polygon or MultiPolygon); only with fov=1.",
    )
    updated_at = UtcDateTimeField()
    # Blank means unknown; ModelSerializer would drop allow_blank from read-only fields.
    surveillance = serializers.ChoiceField(Surveillance.choices, allow_blank=True, read_only=True)
    surveillance_type = serializers.ChoiceField(
        SurveillanceType.choices, allow_blank=True, read_only=True
    )
    camera_type = serializers.ChoiceField(CameraType.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Camera
        geo_field = "location"
        fields = ("id", "location", *LIST_FIELDS, "fov")
        read_only_fields = fields

    def __init__(self, *args, with_fov: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_fov:
            self.fields.pop("fov")


class CameraPhotoSerializer(serializers.ModelSerializer):
    """A photo re-encoded without metadata, with a thumbnail."""

    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    created_at = UtcDateTimeField()

    class Meta:
        model = CameraPhoto
        fields = ("id", "url", "thumbnail_url", "width", "height", "created_at")
        read_only_fields = fields

    def _absolute(self, file) -> str | None:
        if not file:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(file.url) if request else file.url

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, photo: CameraPhoto) -> str | None:
        return self._absolute(photo.image)

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail_url(self, photo: CameraPhoto) -> str | None:
        return self._absolute(photo.thumbnail)


class CameraDetailSerializer(CameraFeatureSerializer):
    """Everything known about one camera: attributes, raw tags, photos and provenance."""

    check_date = serializers.DateField(read_only=True, allow_null=True)
    last_checked = UtcDateTimeField(allow_null=True)
    first_seen = UtcDateTimeField()
    last_seen = UtcDateTimeField()
    removed_at = UtcDateTimeField(allow_null=True)
    osm_url = serializers.URLField(
        read_only=True, allow_null=True, help_text="The camera on openstreetmap.org."
    )
    photos = CameraPhotoSerializer(many=True, read_only=True)
    licence = serializers.SerializerMethodField()
    attribution = serializers.SerializerMethodField()

    class Meta(CameraFeatureSerializer.Meta):
        fields = (
            *CameraFeatureSerializer.Meta.fields,
            "osm_version",
            "osm_url",
            "check_date",
            "fixme",
            "last_checked",
            "first_seen",
            "last_seen",
            "removed_at",
            "tags",
            "photos",
            "licence",
            "attribution",
        )
        read_only_fields = fields

    def get_licence(self, camera: Camera) -> str:
        return LICENCE["id"]

    def get_attribution(self, camera: Camera) -> str:
        return ATTRIBUTIONS.get(camera.source, "")
