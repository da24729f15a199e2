"""GET /api/cameras/ (GeoJSON FeatureCollection, filtered, paginated) and /api/cameras/{id}/."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.generics import ListAPIView, RetrieveAPIView

from api.filters import CameraFilterSet
from api.pagination import CameraPagination
from api.parameters import MAX_ID, refuse_unknown_parameters, whole_number
from api.serializers import CameraDetailSerializer, CameraFeatureSerializer
from api.views.common import (
    GEOJSON_RENDERERS,
    PROPERTIES_PARAMETER,
    validated_filters,
    wanted_properties,
    wants_fov,
)
from mapping.camera_queries import feature_page
from mapping.geojson_sql import LIST_PROPERTY_NAMES
from mapping.models import Camera

FOV_PARAMETER = OpenApiParameter(
    "fov",
    OpenApiTypes.BOOL,
    description="true or 1 adds each camera's field of view (property fov, a GeoJSON geometry).",
)
PROPERTIES_PARAMETER_DOC = OpenApiParameter(
    PROPERTIES_PARAMETER,
    OpenApiTypes.STR,
    description=(
        "Only these properties in each feature, comma-separated (e.g. "
        "surveillance,surveillance_type,camera_type,directions, what the map draws a marker "
        "from); default: all of them. One of: " + ", ".join(LIST_PROPERTY_NAMES) + "."
    ),
)


class CameraListView(ListAPIView):
    """Cameras as a GeoJSON FeatureCollection.

    Filter with in_bbox (MINLON,MINLAT,MAXLON,MAXLAT) and the attribute filters below;
    only active cameras unless status says otherwise. Features are ordered by id and
    paginated: `count` is the number of matching cameras, `next` and `previous` link to
    the neighbouring pages (null at the ends). Each feature's id is the camera id, to
    look up at /api/cameras/{id}/ for photos and provenance.
    """

    queryset = Camera.objects.order_by("id")
    serializer_class = CameraFeatureSerializer
    filterset_class = CameraFilterSet
    pagination_class = CameraPagination
    renderer_classes = GEOJSON_RENDERERS
    # Besides the filters (validated_filters refuses any other parameter).
    query_parameters = (
        CameraPagination.page_query_param,
        CameraPagination.page_size_query_param,
        FOV_PARAMETER.name,
        PROPERTIES_PARAMETER,
    )

    @extend_schema(parameters=[FOV_PARAMETER, PROPERTIES_PARAMETER_DOC])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        filters = validated_filters(self, request)
        with_fov = wants_fov(request)
        only = wanted_properties(request)
        page_number, page_size = self.paginator.requested_page(request)
        page = feature_page(filters, page_number, page_size, with_fov, only)
        body = self.paginator.body(request, page, page_number, page_size)
        return HttpResponse(body, content_type=_content_type(request))


def _content_type(request) -> str:
    return f"{request.accepted_renderer.media_type}; charset=utf-8"


class CameraDetailView(RetrieveAPIView):
    """One camera as a GeoJSON Feature: every attribute, the raw OpenStreetMap tags, its
    field of view, photos (full size and thumbnail URLs) and provenance (source, OSM
    type/id/version and link, first and last seen, last checked, confirmations)."""

    queryset = Camera.objects.prefetch_related("photos")
    serializer_class = CameraDetailSerializer
    renderer_classes = GEOJSON_RENDERERS
    lookup_url_kwarg = "id"

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "id", OpenApiTypes.INT64, OpenApiParameter.PATH, description="Camera id."
            )
        ]
    )
    def get(self, request, *args, **kwargs):
        refuse_unknown_parameters(request.query_params, ())
        return super().get(request, *args, **kwargs)

    def get_object(self) -> Camera:
        raw = self.kwargs["id"]
        camera_id = whole_number(raw.removeprefix("-"))  # a negative id names no camera
        if camera_id is None:
            raise exceptions.ValidationError(
                {
                    "id": [
                        _("a camera id is a whole number, got %(value)s")
                        % {"value": repr(raw[:40])}
                    ]
                }
            )
        if raw.startswith("-") or not 0 < camera_id <= MAX_ID:
            raise exceptions.NotFound(_("no camera with id %(id)s") % {"id": raw[:40]})
        camera = self.get_queryset().filter(pk=camera_id).first()
        if camera is None:
            raise exceptions.NotFound(_("no camera with id %(id)s") % {"id": camera_id})
        return camera
