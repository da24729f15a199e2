from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import JavaScriptCatalog
from django.views.static import serve

from mapping.views import favicon, map_page


def serve_media(request, path: str):
    """Photos from MEDIA_ROOT as it is when asked (read per request, not when this module
    was imported, so a setting changed later, as tests do, is the one served from)."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)


# Under /api/, an unknown path or a refused request (Host, too many fields) answers JSON.
handler404 = "api.errors.not_found"
handler400 = "api.errors.bad_request"

urlpatterns = [
    path("", map_page, name="map"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
]

if settings.SERVE_MEDIA:
    media_prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns += [
        re_path(rf"^{media_prefix}(?P<path>.*)$", serve_media),
    ]
