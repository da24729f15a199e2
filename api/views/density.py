"""GET /api/density/: how many cameras each map cell of a viewport holds."""

from __future__ import annotations

import json

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.generics import GenericAPIView

from api.filters import DensityFilterSet
from api.views.common import GEOJSON_RENDERERS, validated_filters
from mapping.density.cells import (
    CELL_SIZE_PX,
    MAX_CELLS,
    MAX_ZOOM,
    MIN_ZOOM,
    cell_polygon,
    tile_lat,
    tile_lon,
)
from mapping.density.queries import Density, DensityError, camera_density
from mapping.models import Camera


class ZoomOption(serializers.Serializer):
    zoom = serializers.IntegerField(min_value=MIN_ZOOM, max_value=MAX_ZOOM)


ZOOM_PARAMETER = OpenApiParameter(
    "zoom",
    {"type": "integer", "minimum": MIN_ZOOM, "maximum": MAX_ZOOM},
    required=True,
    description=(
        f"The map's zoom level (web map tiles of 256 px). Cells are squares of {CELL_SIZE_PX} px "
        f"at that zoom: the tiles of zoom + 3. At most {MAX_CELLS} cells per request."
    ),
)

_POLYGON = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": ["Polygon"]},
        "coordinates": {
            "type": "array",
            "items": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
        },
    },
}
DENSITY_SCHEMA = {
    "type": "object",
    "required": ["type", "zoom", "cell_level", "total", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "zoom": {"type": "integer"},
        "cell_level": {"type": "integer", "description": "Tile zoom of the cells (zoom + 3)."},
        "cell_size_px": {"type": "integer"},
        "aggregated": {
            "type": "boolean",
            "description": "Whether the counts came from the pre-aggregated cells.",
        },
        "total": {"type": "integer", "description": "Sum of the cells' counts."},
        "features": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "enum": ["Feature"]},
                    "id": {"type": "string", "description": "level/x/y of the cell's tile."},
                    "geometry": _POLYGON,
                    "properties": {
                        "type": "object",
                        "properties": {
                            "count": {"type": "integer", "minimum": 1},
                            "cell": {"type": "string"},
                        },
                    },
                },
            },
        },
    },
}


class DensityView(GenericAPIView):
    """Camera counts per map cell for a viewport, as a GeoJSON FeatureCollection.

    Every cell touching in_bbox that holds at least one matching camera is a Polygon
    feature with its `count` (all the cell's cameras, also those just outside the box,
    so a cell keeps its number while the map pans). Cells are Web Mercator tiles of
    zoom + 3: squares of 32 px on screen, street-sized at zoom 17, city districts at
    zoom 12, regions at zoom 6. The same filters as /api/cameras/ apply. Up to zoom
    AGGREGATE_MAX_ZOOM the counts come from an aggregate kept exact by database triggers; the
    operator and updated_since filters, and finer zooms, count the cameras directly.
    """

    queryset = Camera.objects.none()
    filterset_class = DensityFilterSet
    renderer_classes = GEOJSON_RENDERERS
    pagination_class = None
    query_parameters = ("zoom",)  # besides the filters

    @extend_schema(
        parameters=[ZOOM_PARAMETER],
        filters=True,
        responses={200: OpenApiResponse(DENSITY_SCHEMA, description="Cells and counts")},
    )
    def get(self, request, *args, **kwargs):
        filters = validated_filters(self, request)
        given = request.query_params.get("zoom")
        zoom = ZoomOption(data={} if given is None else {"zoom": given})
        if not zoom.is_valid():
            raise exceptions.ValidationError(zoom.errors)
        try:
            density = camera_density(filters, zoom.validated_data["zoom"])
        except DensityError as error:
            raise exceptions.ValidationError({error.field: [str(error)]}) from None
        return HttpResponse(
            density_geojson(density),
            content_type=f"{request.accepted_renderer.media_type}; charset=utf-8",
        )


def _collection_head(density: Density) -> dict:
    """Every member of the collection but its features."""
    return {
        "type": "FeatureCollection",
        "zoom": density.zoom,
        "cell_level": density.level,
        "cell_size_px": CELL_SIZE_PX,
        "aggregated": density.from_aggregate,
        "total": density.total,
    }


def density_collection(density: Density) -> dict:
    """The cells as a FeatureCollection (RFC 7946), with the zoom and the total beside."""
    level = density.level
    return {
        **_collection_head(density),
        "features": [
            {
                "type": "Feature",
                "id": f"{level}/{x}/{y}",
                "geometry": cell_polygon(level, x, y),
                "properties": {"count": count, "cell": f"{level}/{x}/{y}"},
            }
            for x, y, count in density.cells
        ],
    }


# The GeoJSON a cell gets, as text: the same document density_collection describes (a test
# keeps them equal), written without building a dict per cell. A country view has thousands
# of cells: the edges of every column and row are computed once, and each cell is one
# f-string (str.format with keywords and a cached lookup per edge took 11 ms for the 1,800
# cells of a city view at zoom 12).


def density_geojson(density: Density, decimals: int = 6) -> str:
    """density_collection(density) as compact JSON text."""
    level, tiles = density.level, density.tiles
    lons = [repr(round(tile_lon(x, level), decimals)) for x in range(tiles.x0, tiles.x1 + 2)]
    lats = [repr(round(tile_lat(y, level), decimals)) for y in range(tiles.y0, tiles.y1 + 2)]
    x0, y0 = tiles.x0, tiles.y0
    features = []
    for x, y, count in density.cells:
        w, e = lons[x - x0], lons[x - x0 + 1]
        n, s = lats[y - y0], lats[y - y0 + 1]
        cell = f"{level}/{x}/{y}"
        features.append(
            f'{{"type":"Feature","id":"{cell}","geometry":{{"type":"Polygon","coordinates":'
            f"[[[{w},{s}],[{e},{s}],[{e},{n}],[{w},{n}],[{w},{s}]]]}},"
            f'"properties":{{"count":{count},"cell":"{cell}"}}}}'
        )
    head = json.dumps(_collection_head(density), separators=(",", ":"))
    return head[:-1] + ',"features":[' + ",".join(features) + "]}"
