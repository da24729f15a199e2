"""Serializers for residents' submissions and their moderation (views: api.submissions).

Input is checked here in the order that costs least when refused: fields, then
the kind's rules (mapping.submissions.check_rules), and only then the photos,
which are decoded and re-encoded (mapping.photos).
"""

from __future__ import annotations

import json
import math
import unicodedata
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from api.parameters import MAX_ID, whole_number
from mapping.models import Camera, CameraPhoto, Submission, SubmissionKind
from mapping.photos import PhotoError, read_photos
from mapping.submission_attributes import AttributesInvalid, normalise_attributes
from mapping.submissions import check_rules, localized_warnings

LOCATION_HELP = (
    "Where the camera is: 'LON,LAT' (WGS 84, longitude first) or a GeoJSON Point. "
    "Required for kind=new; for kind=change, a corrected position."
)
ATTRIBUTES_HELP = (
    "A JSON object of OpenStreetMap tags describing the camera, e.g. "
    '{"surveillance:type": "camera", "camera:type": "fixed", "camera:direction": "90;270", '
    '"camera:mount": "wall", "height": "4", "surveillance": "public", '
    '"surveillance:zone": "street", "operator": "City", '
    '"surveillance:capabilities": "face_recognition", "manufacturer": "Axis"}. '
    "Camera field names (camera_type, directions, ...) are accepted too."
)


# --- Fields ---------------------------------------------------------------------------------


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "example": "24.9384,60.1699"},
            {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "enum": ["Point"]},
                    "coordinates": {
                        "type": "array",
                        "items": {"type": "number"},
                        "minItems": 2,
                        "maxItems": 2,
                    },
                },
                "required": ["type", "coordinates"],
            },
        ]
    }
)
class LocationField(serializers.Field):
    """A WGS 84 point from 'LON,LAT', [lon, lat] or a GeoJSON Point; shown as GeoJSON."""

    default_error_messages = {
        "invalid": gettext_lazy("expected 'LON,LAT' (longitude first) or a GeoJSON Point"),
        "range": gettext_lazy("longitude must be within -180..180 and latitude within -90..90"),
    }

    def to_internal_value(self, data: Any) -> Point:
        if isinstance(data, str):
            text = data.strip()
            if text.startswith("{"):
                try:
                    data = json.loads(text)
                except (ValueError, RecursionError):  # RecursionError: nested too deep
                    self.fail("invalid")
            else:
                data = text.split(",")
        if isinstance(data, dict):
            if data.get("type") != "Point":
                self.fail("invalid")
            data = data.get("coordinates")
        if not isinstance(data, list | tuple) or len(data) != 2:
            self.fail("invalid")
        if any(isinstance(value, bool) for value in data):  # float(True) is 1.0
            self.fail("invalid")
        try:
            lon, lat = (float(value) for value in data)
        except (TypeError, ValueError):
            self.fail("invalid")
        if not (math.isfinite(lon) and math.isfinite(lat)):
            self.fail("range")
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            self.fail("range")
        return Point(lon, lat, srid=4326)

    def to_representation(self, value: Point) -> dict[str, Any]:
        return {"type": "Point", "coordinates": [round(value.x, 7), round(value.y, 7)]}


class CameraIdField(serializers.PrimaryKeyRelatedField):
    """A camera by its id: a whole number, as a JSON integer or a form field's digits.

    DRF's own field takes what int() takes: 2.5 named camera 2 (the report went to
    another camera), 1e400 failed with a 500, "1_0" and Arabic-Indic digits named
    camera 10 and 3.
    """

    default_error_messages = {
        **serializers.PrimaryKeyRelatedField.default_error_messages,
        "incorrect_type": gettext_lazy("a camera id is a whole number, got {data_type}"),
    }

    def __init__(self, **kwargs) -> None:
        super().__init__(queryset=Camera.objects.all(), **kwargs)

    def to_internal_value(self, data: Any) -> Camera:
        if isinstance(data, str) and whole_number(data.strip()) is not None:
            data = whole_number(data.strip())
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=repr(data)[:40])
        if not 0 < data <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class StrictJSONField(serializers.JSONField):
    """DRF's JSONField, with JSON nested too deep to read refused as invalid, not a 500."""

    def to_internal_value(self, data: Any) -> Any:
        try:
            return super().to_internal_value(data)
        except RecursionError:
            self.fail("invalid")


class PhotoListField(serializers.ListField):
    """Uploaded files; an error names the photo ("photo 2: ...") instead of nesting by index."""

    child = serializers.FileField(allow_empty_file=True)  # mapping.photos says "empty"

    def run_child_validation(self, data: list) -> list:
        result = []
        for number, item in enumerate(data, start=1):
            try:
                result.append(self.child.run_validation(item))
            except serializers.ValidationError as error:
                messages = error.detail if isinstance(error.detail, list) else [error.detail]
                label = _("photo %(n)s") % {"n": number}
                raise serializers.ValidationError(
                    [f"{label}: {message}" for message in messages]
                ) from None
        return result


class PhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = CameraPhoto
        fields = ("id", "url", "thumbnail_url", "width", "height", "created_at")

    def _absolute(self, file) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(file.url) if request else file.url

    def get_url(self, photo: CameraPhoto) -> str:
        return self._absolute(photo.image)

    def get_thumbnail_url(self, photo: CameraPhoto) -> str:
        return self._absolute(photo.thumbnail)


class SubmissionSerializer(serializers.ModelSerializer):
    """A submission as its sender and the moderators see it; the warnings' messages in the
    language of the request (stored in English)."""

    location = LocationField(allow_null=True)
    photos = PhotoSerializer(many=True, read_only=True)
    moderator = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Submission
        fields = (
            "id",
            "kind",
            "status",
            "camera",
            "location",
            "attributes",
            "note",
            "pseudonym",
            "warnings",
            "duplicate_candidates",
            "photos",
            "created_at",
            "decided_at",
            "moderator",
            "reason",
        )
        read_only_fields = fields

    def to_representation(self, instance: Submission) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["warnings"] = localized_warnings(data.get("warnings"))
        return data


class CreatedSubmissionSerializer(SubmissionSerializer):
    suggested_location = LocationField(
        read_only=True,
        allow_null=True,
        help_text="The GPS position found in a photo, offered as the camera's location. "
        "Never stored: send it back as `location` (kind=change) if it is right.",
    )

    class Meta(SubmissionSerializer.Meta):
        fields = (*SubmissionSerializer.Meta.fields, "suggested_location")
        read_only_fields = fields


def _printable(value: str, allowed: str) -> str:
    """value, refused if it holds a control character (but those allowed): a credit or a
    note is shown to moderators and in the admin, where they only garble the text."""
    for character in value:
        if unicodedata.category(character) == "Cc" and character not in allowed:
            raise serializers.ValidationError(
                _("control character %(code)s is not allowed") % {"code": f"U+{ord(character):04X}"}
            )
    return value


class SubmissionInputSerializer(serializers.Serializer):
    """What a resident sends. Rules: mapping.submissions.check_rules; photos: mapping.photos."""

    kind = serializers.ChoiceField(choices=SubmissionKind.choices)
    camera = CameraIdField(
        required=False,
        allow_null=True,
        help_text="The camera concerned: required for change, removed and confirm.",
    )
    location = LocationField(required=False, allow_null=True, help_text=LOCATION_HELP)
    attributes = StrictJSONField(required=False, help_text=ATTRIBUTES_HELP)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    pseudonym = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="Optional name to credit; nothing else about the sender is kept.",
    )
    photos = PhotoListField(
        required=False,
        help_text=f"0 to {settings.PHOTO_MAX_COUNT} photos (JPEG, PNG, WebP, HEIC), "
        f"at most {settings.PHOTO_MAX_BYTES // (1024 * 1024)} MB each.",
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        """A field this serializer does not know is refused, not dropped: a photo sent
        as `photo` instead of `photos` was lost without a word."""
        if hasattr(data, "keys"):
            unknown = sorted(name for name in data if name not in self.fields)
            if unknown:
                known = ", ".join(self.fields)
                message = _("unknown field; known: %(known)s") % {"known": known}
                raise serializers.ValidationError({name: [message] for name in unknown})
        return super().to_internal_value(data)

    def validate_pseudonym(self, value: str) -> str:
        return _printable(value, allowed="")

    def validate_note(self, value: str) -> str:
        return _printable(value, allowed="\n\r\t")

    def validate_attributes(self, value: Any) -> dict[str, Any]:
        try:
            return normalise_attributes(value)
        except AttributesInvalid as error:
            raise serializers.ValidationError(
                [f"{key}: {message}" for key, message in error.errors.items()]
            ) from None

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        # Cheap rules first: a refused submission costs no image decoding.
        try:
            check_rules(
                data["kind"], data.get("location"), data.get("camera"), data.get("attributes", {})
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        try:
            data["photos"] = read_photos(data.get("photos", []))
        except PhotoError as error:
            raise serializers.ValidationError({"photos": [str(error)]}) from None
        return data


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why, for the record.")


class MergeSerializer(serializers.Serializer):
    camera = CameraIdField(help_text="The existing camera this report is about.")


DecisionSerializer = inline_serializer(
    "ModerationDecision",
    {
        "submission": SubmissionSerializer(),
        "camera": serializers.IntegerField(allow_null=True),
        "notices": serializers.ListField(child=serializers.CharField()),
    },
)
