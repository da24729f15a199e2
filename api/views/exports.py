"""GET /api/export/cameras.geojson and /api/export/cameras.csv: streamed researchers' exports."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer

from api.filters import ExportFilterSet
from api.views.common import CSVRenderer, GeoJSONRenderer, validated_filters
from mapping.camera_queries import CameraFilters
from mapping.export import csv_export, export_filename, geojson_export
from mapping.models import Camera


class _ExportView(GenericAPIView):
    """Shared by both formats: the list's filters, no limit on the box, errors as JSON."""

    queryset = Camera.objects.none()
    filterset_class = ExportFilterSet
    pagination_class = None
    extension = ""

    def handle_exception(self, exc):
        # The body of an error is JSON whatever format the export would have been.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    def stream(self, filters: CameraFilters):
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        filters = validated_filters(self, request)
        response = StreamingHttpResponse(
            self.stream(filters),
            content_type=f"{request.accepted_renderer.media_type}; charset=utf-8",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{export_filename(self.extension)}"'
        )
        return response


class GeoJSONExportView(_ExportView):
    """Every matching camera as one GeoJSON FeatureCollection (RFC 7946), streamed.

    Same filters as /api/cameras/ but not paginated and with no limit on the box. The
    top-level `metadata` member gives the licence (ODbL; "© OpenStreetMap contributors"
    for OpenStreetMap-derived rows), generated_at, the filters used and the counts per
    source; each feature also carries its provenance, raw tags, licence and attribution.
    """

    # application/json as well, for clients that ask for it (the API's conventions).
    renderer_classes = [GeoJSONRenderer, JSONRenderer]
    extension = "geojson"

    @extend_schema(
        filters=True,
        responses={
            (200, GeoJSONRenderer.media_type): OpenApiResponse(
                OpenApiTypes.OBJECT, description="FeatureCollection with a metadata member"
            )
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def stream(self, filters: CameraFilters):
        return geojson_export(filters)


class CSVExportView(_ExportView):
    """Every matching camera as CSV, one camera a row, streamed.

    Columns: id, lon, lat (WGS 84), the normalised attributes (lists joined with ";"),
    provenance, licence and attribution per row. Same filters as /api/cameras/, not
    paginated, no limit on the box.
    """

    renderer_classes = [CSVRenderer]
    extension = "csv"

    @extend_schema(
        filters=True,
        responses={
            (200, CSVRenderer.media_type): OpenApiResponse(
                OpenApiTypes.STR, description="CSV with a header line"
            )
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def stream(self, filters: CameraFilters):
        return csv_export(filters)
