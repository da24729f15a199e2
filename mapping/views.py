"""The map page. Everything it loads is served by us, except the configured tile layer.

The page is one template plus our own ES modules under static/js/. The view hands
them a small JSON configuration (API addresses, zoom thresholds, filter choices in
the visitor's language) so the scripts never hard-code what settings decide.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from mapping.content_security import policy, tile_origin
from mapping.density.cells import AGGREGATE_MAX_ZOOM
from mapping.models import CameraType, Capability, Source, Surveillance, SurveillanceType

# Below this zoom the page shows density squares instead of individual cameras.
CAMERA_MIN_ZOOM = 14
# From this zoom on, fields of view are drawn (below they are a blur of overlapping sectors).
FOV_MIN_ZOOM = 17

# The icon in the browser's tab, named by <link rel="icon"> in the map's and the admin's
# templates (templates/admin/base_site.html) and answered for /favicon.ico.
FAVICON = "img/favicon.svg"

# One map glyph per kind of device (static/img/type-*.svg), see static/js/cameras.js.
ICON_TYPES = ("fixed", "dome", "panning", "guard", "alpr", "gunshot", "unknown")

# The map's own words for the values, in the visitor's language; the model's labels (also
# translated) are the admin's, worded for moderators ("residents" here, "Community" there).
SURVEILLANCE_LABELS = {
    Surveillance.PUBLIC: _("public space"),
    Surveillance.OUTDOOR: _("outdoor, private"),
    Surveillance.INDOOR: _("indoor"),
}
SURVEILLANCE_TYPE_LABELS = {
    SurveillanceType.CAMERA: _("camera"),
    SurveillanceType.GUARD: _("guard"),
    SurveillanceType.ALPR: _("number-plate reader (ALPR)"),
    SurveillanceType.GUNSHOT_DETECTOR: _("gunshot detector"),
}
CAMERA_TYPE_LABELS = {
    CameraType.FIXED: _("fixed"),
    CameraType.DOME: _("dome"),
    CameraType.PANNING: _("panning"),
}
CAPABILITY_LABELS = {
    Capability.FACE_RECOGNITION: _("face recognition"),
    Capability.VSA: _("algorithmic video analysis (VSA)"),
    Capability.ALPR: _("number-plate reading"),
    Capability.AUDIO: _("audio"),
    Capability.THERMAL: _("thermal"),
    Capability.PTZ: _("pan-tilt-zoom"),
}
SOURCE_LABELS = {Source.OSM: _("OpenStreetMap"), Source.COMMUNITY: _("residents")}
# OSM camera:mount values offered as pictures in the add-a-camera form.
MOUNT_LABELS = {"wall": _("wall"), "pole": _("pole"), "ceiling": _("ceiling")}

# The add-a-camera form's pictures: (value, label, static icon). A type is what residents
# recognise; static/js/submit.js turns it into surveillance:type and camera:type.
ADD_TYPES = [
    ("fixed", _("fixed"), "img/type-fixed.svg"),
    ("dome", _("dome"), "img/type-dome.svg"),
    ("panning", _("panning"), "img/type-panning.svg"),
    ("guard", _("guard"), "img/type-guard.svg"),
    ("alpr", _("plate reader"), "img/type-alpr.svg"),
    ("unknown", _("not sure"), "img/type-unknown.svg"),
]
ADD_MOUNTS = [
    *((value, label, f"img/mount-{value}.svg") for value, label in MOUNT_LABELS.items()),
    ("", _("not sure"), "img/mount-unknown.svg"),
]


def _choices(labels: dict) -> list[dict[str, str]]:
    return [{"value": str(value), "label": str(label)} for value, label in labels.items()]


def map_config() -> dict:
    """What the scripts need to know, as one JSON object (see static/js/config.js)."""
    center_lat, center_lon = settings.LEAFLET_CONFIG["DEFAULT_CENTER"]
    return {
        "center": [center_lat, center_lon],
        "zoom": settings.LEAFLET_CONFIG["DEFAULT_ZOOM"],
        "minZoom": settings.LEAFLET_CONFIG["MIN_ZOOM"],
        "maxZoom": settings.LEAFLET_CONFIG["MAX_ZOOM"],
        "tileUrl": settings.TILE_URL,
        "tileAttribution": settings.TILE_ATTRIBUTION,
        "cameraMinZoom": CAMERA_MIN_ZOOM,
        "fovMinZoom": FOV_MIN_ZOOM,
        "maxBboxAreaDeg2": settings.API_MAX_BBOX_AREA_DEG2,
        "pageSize": settings.API_MAX_PAGE_SIZE,
        "markerLimit": max(1, min(settings.MAP_MARKER_LIMIT, settings.API_MAX_PAGE_SIZE)),
        # Street-level squares read the stored per-cell counts (mapping/density/cells.py).
        "clusterMaxZoom": AGGREGATE_MAX_ZOOM,
        "maxPhotos": settings.PHOTO_MAX_COUNT,
        "icons": {name: static(f"img/type-{name}.svg") for name in ICON_TYPES},
        "directionIcon": static("img/direction-arrow.svg"),
        "api": {
            "cameras": "/api/cameras/",
            "density": "/api/density/",
            "routes": "/api/routes/",
            "submissions": "/api/submissions/",
            "exportGeojson": "/api/export/cameras.geojson",
            "exportCsv": "/api/export/cameras.csv",
        },
        "choices": {
            "surveillance": _choices(SURVEILLANCE_LABELS),
            "surveillance_type": _choices(SURVEILLANCE_TYPE_LABELS),
            "camera_type": _choices(CAMERA_TYPE_LABELS),
            "capability": _choices(CAPABILITY_LABELS),
            "source": _choices(SOURCE_LABELS),
            "mount": _choices(MOUNT_LABELS),
        },
    }


@require_safe  # GET and HEAD (a HEAD got 405: uptime checks use it)
def map_page(request: HttpRequest) -> HttpResponse:
    """The map. The Content-Security-Policy lets the page reach us and the tile server only."""
    response = render(
        request,
        "mapping/map.html",
        {
            "config": map_config(),
            "tile_origin": tile_origin(settings.TILE_URL),
            "tile_attribution": settings.TILE_ATTRIBUTION,
            "admin_submissions_url": reverse("admin:mapping_submission_changelist"),
            "add_types": ADD_TYPES,
            "add_mounts": ADD_MOUNTS,
        },
    )
    response["Content-Security-Policy"] = content_security_policy(tile_origin(settings.TILE_URL))
    return response


def content_security_policy(tiles: str) -> str:
    """Same-origin only, images also from the tile server; blob: for photo previews.

    No inline style: neither our scripts nor Leaflet write a style attribute in HTML (they
    set element.style, which no policy governs), as tests/e2e/test_map_policy.py checks
    feature by feature in Chromium.
    """
    return policy(images=("blob:", tiles))


@require_safe
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """/favicon.ico: to our icon. Browsers ask for it on pages that name no icon (the
    browsable API, the API docs, error pages), and a 404 on each visit says nothing; the
    redirect is followed once and remembered. An SVG, as the pages name it (no .ico kept)."""
    return HttpResponsePermanentRedirect(static(FAVICON))
