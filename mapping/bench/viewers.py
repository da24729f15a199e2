"""The requests people reading the map send, for the load test.

A load test that cycles over a handful of fixed URLs measures a cache, not a server;
one that sends boxes no map would send measures nothing real either. Here each
request is what static/js/main.js asks for a person looking at the map: a screen of
1440 x 900 pixels centred where they look, padded by 30 % (cameras) and grown to whole
tiles of the zoom (static/js/geo.js snapToTiles), so two people looking at nearly the
same place send the same request, as they do in production. Where people look follows
the data: view centres are cameras drawn at random, so dense cities get most views.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mapping.density.cells import (
    AGGREGATE_MAX_ZOOM,
    MAX_MERCATOR_LAT,
    tile_lat,
    tile_lon,
    tile_x,
    tile_y,
)

SCREEN_PX = (1440, 900)
CAMERA_PAD = 0.3  # static/js/main.js: the camera layer loads the view padded by 30 %
SNAP_INSET_DEG = 2e-6  # static/js/geo.js
# static/js/cameras.js MARKER_PROPERTIES: what the camera layer asks for (an e2e test checks).
MARKER_PROPERTIES = ("surveillance", "surveillance_type", "camera_type", "directions")
CAMERA_ZOOMS = (15, 16, 17)  # street level, where the camera layer shows markers
DENSITY_ZOOMS = tuple(range(5, 14))  # below CAMERA_MIN_ZOOM the map shows density


@dataclass(frozen=True)
class Box:
    west: float
    south: float
    east: float
    north: float

    def param(self) -> str:
        return ",".join(f"{v:.6f}" for v in (self.west, self.south, self.east, self.north))

    @property
    def area(self) -> float:
        return (self.east - self.west) * (self.north - self.south)


def screen_box(lon: float, lat: float, zoom: int, pad: float = 0.0) -> Box:
    """What a SCREEN_PX map centred on (lon, lat) shows at ``zoom``, padded like Leaflet's
    bounds.pad(pad) (each side grown by ``pad`` times the width or height)."""
    half_w = SCREEN_PX[0] / 2 * 360 / (256 * 2**zoom)
    half_h = SCREEN_PX[1] / 2 * 360 / (256 * 2**zoom) * math.cos(math.radians(lat))
    half_w, half_h = half_w * (1 + 2 * pad), half_h * (1 + 2 * pad)
    return Box(
        max(-180.0, lon - half_w),
        max(-MAX_MERCATOR_LAT, lat - half_h),
        min(180.0, lon + half_w),
        min(MAX_MERCATOR_LAT, lat + half_h),
    )


def snap_to_tiles(box: Box, zoom: int) -> Box:
    """The smallest area of whole tiles of ``zoom`` holding ``box`` (geo.js snapToTiles)."""
    west, east = tile_x(box.west, zoom), tile_x(box.east, zoom)
    north, south = tile_y(box.north, zoom), tile_y(box.south, zoom)
    return Box(
        tile_lon(west, zoom) + SNAP_INSET_DEG,
        tile_lat(south + 1, zoom) + SNAP_INSET_DEG,
        tile_lon(east + 1, zoom) - SNAP_INSET_DEG,
        tile_lat(north, zoom) - SNAP_INSET_DEG,
    )


def clipped(box: Box, max_area: float) -> Box:
    """geo.js bboxForView: a box of max_area around the centre when the view is larger."""
    if box.area <= max_area:
        return box
    scale = math.sqrt(max_area / box.area) * 0.999
    cx, cy = (box.west + box.east) / 2, (box.south + box.north) / 2
    half_w, half_h = (box.east - box.west) * scale / 2, (box.north - box.south) * scale / 2
    return Box(cx - half_w, cy - half_h, cx + half_w, cy + half_h)


def camera_box(lon: float, lat: float, zoom: int) -> Box:
    """The area the camera layer loads for a view centred on (lon, lat): the view padded
    and grown to whole tiles of the zoom."""
    return snap_to_tiles(screen_box(lon, lat, zoom, CAMERA_PAD), zoom)


def camera_request(lon: float, lat: float, zoom: int, page_size: int) -> str:
    """The camera layer's first page for a view centred on (lon, lat), of page_size cameras
    with the marker properties (static/js/cameras.js asks for API_MAX_PAGE_SIZE)."""
    box = camera_box(lon, lat, zoom)
    properties = ",".join(MARKER_PROPERTIES)
    return (
        f"/api/cameras/?in_bbox={box.param()}&status=active&page_size={page_size}"
        f"&properties={properties}"
    )


def cluster_zoom(zoom: int) -> int:
    """static/js/main.js clusterZoom: the density zoom of the squares counting a street-level
    area: 128 px squares up to zoom 15, 256 px beyond, from the stored counts up to zoom 16."""
    return max(min(zoom - 2, AGGREGATE_MAX_ZOOM), zoom - 3)


def count_request(lon: float, lat: float, zoom: int) -> str:
    """The street-level count of the area camera_box loads, in squares."""
    box = camera_box(lon, lat, zoom)
    return f"/api/density/?in_bbox={box.param()}&status=active&zoom={cluster_zoom(zoom)}"


def density_request(lon: float, lat: float, zoom: int, max_area: float) -> str:
    """The density layer's request for a view centred on (lon, lat)."""
    box = clipped(snap_to_tiles(screen_box(lon, lat, zoom), zoom), max_area)
    return f"/api/density/?in_bbox={box.param()}&status=active&zoom={zoom}"


# A view: the (kind, path) requests the map sends for it, in order.
View = list[tuple[str, str]]


def street_view(
    lon: float, lat: float, zoom: int, page_size: int, marker_limit: int, cameras_in
) -> View:
    """What the map asks at street level: the count of the area it loads, then the markers
    if at most marker_limit (``cameras_in(box)``: the active cameras of a box)."""
    view = [("street", count_request(lon, lat, zoom))]
    if cameras_in(camera_box(lon, lat, zoom)) <= marker_limit:
        view.append(("bbox", camera_request(lon, lat, zoom, page_size)))
    return view


@dataclass(frozen=True)
class ReaderSettings:
    """What the map's requests depend on (settings and static/js/config.js)."""

    max_area: float
    page_size: int
    marker_limit: int


def reader_views(
    centres: Sequence[tuple[float, float]],
    count: int,
    kind: str,
    seed: int,
    reader: ReaderSettings,
    cameras_in: Callable[[Box], int],
) -> list[View]:
    """``count`` views of ``kind`` ("street" or "density"), each centred on a centre drawn
    from ``centres`` at a zoom drawn uniformly from the kind's zooms."""
    rng = random.Random(seed)  # noqa: S311 - reproducible inputs, not secrets
    views = []
    for _ in range(count):
        lon, lat = rng.choice(centres)
        if kind == "street":
            zoom = rng.choice(CAMERA_ZOOMS)
            views.append(
                street_view(lon, lat, zoom, reader.page_size, reader.marker_limit, cameras_in)
            )
        else:
            zoom = rng.choice(DENSITY_ZOOMS)
            views.append([("density", density_request(lon, lat, zoom, reader.max_area))])
    return views
