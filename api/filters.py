"""Query-string filters shared by the camera list, the density cells and the exports.

django-filter parses and validates them (an unknown value is a 400 naming the
parameter, never silently ignored) and documents them in the OpenAPI schema
through each help_text; the FilterSet then hands a mapping.camera_queries
.CameraFilters to the domain code, so the list, the density and the exports
select the same cameras for the same query string.
"""

from __future__ import annotations

import copy
import functools

import django_filters
from django import forms
from django.conf import settings
from django_filters.utils import translate_validation

from mapping.bbox import BBOX_FORMAT, BBoxError, parse_bbox
from mapping.camera_queries import CameraFilters, filter_cameras
from mapping.models import (
    Camera,
    CameraStatus,
    CameraType,
    Capability,
    Source,
    Surveillance,
    SurveillanceType,
)

DEFAULT_STATUSES = (CameraStatus.ACTIVE.value,)


class BBoxField(forms.CharField):
    """A MINLON,MINLAT,MAXLON,MAXLAT box, parsed with mapping.bbox for the same messages."""

    def __init__(self, *args, max_area_deg2: float | None = None, **kwargs):
        self.max_area_deg2 = max_area_deg2
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return parse_bbox(value, self.max_area_deg2)
        except BBoxError as error:
            raise forms.ValidationError(str(error), code="invalid_bbox") from None


class BBoxFilter(django_filters.CharFilter):
    """Applied through CameraFilters (CameraFilterSet.filter_queryset), like every filter here."""

    field_class = BBoxField

    def filter(self, qs, value):
        return qs


class ChoiceInFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    """One or more comma-separated values from a fixed list."""


def _one_or_more(what: str, choices) -> str:
    values = ", ".join(value for value, _ in choices)
    return f"{what}: one or more of {values}, comma-separated (any of them matches)."


class CameraFilterSet(django_filters.FilterSet):
    """The cameras a request selects. Without ``status``, only active cameras are selected."""

    in_bbox = BBoxFilter(
        help_text=(
            f"Only cameras inside this box, {BBOX_FORMAT} in WGS 84 degrees (edges included). "
            "Its area is limited to API_MAX_BBOX_AREA_DEG2 square degrees (400 by default) "
            "except for exports."
        ),
    )
    source = ChoiceInFilter(
        choices=Source.choices,
        help_text=_one_or_more("Where the camera comes from", Source.choices),
    )
    status = ChoiceInFilter(
        choices=CameraStatus.choices,
        help_text=_one_or_more("Camera status", CameraStatus.choices)
        + " Default: active only; status=active,removed gives both.",
    )
    surveillance = ChoiceInFilter(
        choices=Surveillance.choices,
        help_text=_one_or_more("What is watched (OSM surveillance=*)", Surveillance.choices),
    )
    surveillance_type = ChoiceInFilter(
        choices=SurveillanceType.choices,
        help_text=_one_or_more(
            "Kind of device (OSM surveillance:type=*)", SurveillanceType.choices
        ),
    )
    camera_type = ChoiceInFilter(
        choices=CameraType.choices,
        help_text=_one_or_more("Camera housing (OSM camera:type=*)", CameraType.choices),
    )
    capability = ChoiceInFilter(
        choices=Capability.choices,
        help_text=_one_or_more(
            "Cameras having at least one of these capabilities", Capability.choices
        ),
    )
    operator = django_filters.CharFilter(
        max_length=255,
        help_text="Operator name contains this text (case-insensitive), e.g. operator=police.",
    )
    updated_since = django_filters.IsoDateTimeFilter(
        help_text=(
            "Only cameras changed at or after this ISO 8601 date or time "
            "(e.g. 2025-01-31 or 2025-01-31T12:00:00Z; without a zone, UTC)."
        ),
    )

    # The box's area limit is read when the FilterSet is built, so settings overrides apply.
    limit_bbox_area = True

    class Meta:
        model = Camera
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.limit_bbox_area:
            self.filters["in_bbox"].extra["max_area_deg2"] = settings.API_MAX_BBOX_AREA_DEG2

    def camera_filters(self) -> CameraFilters:
        """The validated filters (call is_valid() first)."""
        return _camera_filters(self.form.cleaned_data)

    @classmethod
    def validated(cls, data) -> CameraFilters:
        """The filters in a query string, validated; invalid ones raise a 400 naming them.

        What is_valid() checks, with a form class built once per FilterSet and box limit:
        a FilterSet instance deep-copies every filter and builds a new form class, about
        3 ms of each map request spent before the database is asked anything.
        """
        limit = settings.API_MAX_BBOX_AREA_DEG2 if cls.limit_bbox_area else None
        form = _form_class(cls, limit)(data)
        if not form.is_valid():
            raise translate_validation(form.errors)
        return _camera_filters(form.cleaned_data)

    def filter_queryset(self, queryset):
        return filter_cameras(self.camera_filters(), queryset)


def _camera_filters(data: dict) -> CameraFilters:
    """CameraFilters from a filter form's cleaned data."""

    def values(name: str) -> tuple[str, ...]:
        return tuple(value for value in (data.get(name) or ()) if value)

    return CameraFilters(
        bbox=data.get("in_bbox"),
        sources=values("source"),
        statuses=values("status") or DEFAULT_STATUSES,
        surveillances=values("surveillance"),
        surveillance_types=values("surveillance_type"),
        camera_types=values("camera_type"),
        capabilities=values("capability"),
        operator=data.get("operator") or "",
        updated_since=data.get("updated_since"),
    )


@functools.cache
def _form_class(filterset_class: type[CameraFilterSet], max_area_deg2: float | None):
    """The FilterSet's form class for a box limit (the limit is a key: tests change it)."""
    form_class = filterset_class(queryset=Camera.objects.none()).get_form_class()
    # The box field is copied and given this limit: django-filter may hand back a field
    # built earlier, with the limit of that time.
    box_field = copy.deepcopy(form_class.base_fields["in_bbox"])
    box_field.max_area_deg2 = max_area_deg2
    form_class.base_fields = _SharedFields({**form_class.base_fields, "in_bbox": box_field})
    return form_class


class _SharedFields(dict):
    """A form's fields, shared by its instances instead of deep-copied for each.

    Django copies them so that one form may change its own fields; these forms only
    validate a query string, which changes no field, and the copy cost about 1 ms of each
    map request.
    """

    def __deepcopy__(self, memo: dict) -> dict:
        return dict(self)


class ExportFilterSet(CameraFilterSet):
    """The same filters without a limit on the box: an export may cover the world."""

    limit_bbox_area = False


class DensityFilterSet(CameraFilterSet):
    """The same filters; the box is required (the cells are those of the viewport)."""

    in_bbox = BBoxFilter(
        required=True,
        help_text=(
            f"The viewport, {BBOX_FORMAT} in WGS 84 degrees; every cell it touches is returned. "
            "Its area is limited to API_MAX_BBOX_AREA_DEG2 square degrees (400 by default)."
        ),
    )
