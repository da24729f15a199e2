"""What the read endpoints share: GeoJSON/CSV renderers and validated filters."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer

from api.filters import CameraFilterSet
from api.parameters import refuse_unknown_parameters
from mapping.camera_queries import CameraFilters
from mapping.geojson_sql import LIST_PROPERTY_NAMES

PROPERTIES_PARAMETER = "properties"


class GeoJSONRenderer(JSONRenderer):
    """JSON served as application/geo+json (RFC 7946); ?format=geojson selects it."""

    media_type = "application/geo+json"
    format = "geojson"


class CSVRenderer(BaseRenderer):
    """Names text/csv for content negotiation; the export view streams the CSV itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


GEOJSON_RENDERERS = [GeoJSONRenderer, JSONRenderer]


def validated_filters(view, request) -> CameraFilters:
    """The request's filters through the view's FilterSet; invalid ones raise a 400, and
    so does a parameter that is neither a filter nor one of the view's
    ``query_parameters`` (a misspelt filter must not return unfiltered data)."""
    filterset_class: type[CameraFilterSet] = view.filterset_class
    refuse_unknown_parameters(
        request.query_params,
        (*filterset_class.base_filters, *getattr(view, "query_parameters", ())),
    )
    return filterset_class.validated(request.query_params)


class FovOption(serializers.Serializer):
    fov = serializers.BooleanField(
        default=False, help_text="1 adds each camera's field of view polygon (property fov)."
    )


def wanted_properties(request) -> frozenset[str] | None:
    """The ``properties`` a request keeps (comma-separated names), or None for all of them;
    an unknown name is a 400 listing the known ones."""
    raw = request.query_params.get(PROPERTIES_PARAMETER, "")
    names = [name.strip() for name in raw.split(",") if name.strip()]
    if not names:
        return None
    unknown = [name for name in names if name not in LIST_PROPERTY_NAMES]
    if unknown:
        known = ", ".join(LIST_PROPERTY_NAMES)
        raise exceptions.ValidationError(
            {
                PROPERTIES_PARAMETER: [
                    _("unknown property %(name)s; known: %(known)s")
                    % {"name": repr(unknown[0]), "known": known}
                ]
            }
        )
    return frozenset(names)


def wants_fov(request) -> bool:
    option = FovOption(data={"fov": request.query_params.get("fov", False)})
    if not option.is_valid():
        raise exceptions.ValidationError(option.errors)
    return option.validated_data["fov"]
