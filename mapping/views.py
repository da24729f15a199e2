"""The map page. Everything it loads is served by us, except the configured tile layer."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def map_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "mapping/map.html",
        {"tile_url": settings.TILE_URL, "tile_attribution": settings.TILE_ATTRIBUTION},
    )
