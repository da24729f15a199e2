"""API routes. Each resource module registers its own routes here."""

from django.urls import path
from drf_spectacular.views import SpectacularSwaggerSplitView

from api.response_cache import cached_by_camera_data
from api.routes import RouteView
from api.schema import EnglishSchemaView
from api.submissions import submission_router
from api.views.cameras import CameraDetailView, CameraListView
from api.views.density import DensityView
from api.views.exports import CSVExportView, GeoJSONExportView

app_name = "api"

urlpatterns = [
    path("schema/", EnglishSchemaView.as_view(), name="schema"),  # English: see api.schema
    # Swagger UI's start-up script from /api/docs/?script= rather than inline in the page,
    # so that the page's Content-Security-Policy allows our own scripts only.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    *submission_router.urls,  # /api/submissions/ and moderation (issue #6)
    path("routes/", RouteView.as_view(), name="routes"),  # walking routes (issue #4)
    # Cameras, density and exports (issue #5). Any id text reaches the view, which answers
    # a malformed one with a JSON 400 rather than Django's HTML 404.
    path("cameras/", cached_by_camera_data(CameraListView.as_view()), name="camera-list"),
    path("cameras/<str:id>/", CameraDetailView.as_view(), name="camera-detail"),
    path("density/", cached_by_camera_data(DensityView.as_view()), name="density"),
    path("export/cameras.geojson", GeoJSONExportView.as_view(), name="export-geojson"),
    path("export/cameras.csv", CSVExportView.as_view(), name="export-csv"),
]
