"""Density cells are Web Mercator tiles: a cell at map zoom z is a tile of zoom z + 3.

A tile of zoom z + 3 is 32 px wide on a map of 256 px tiles, whatever the zoom, so a
street, a city and a country viewport each get a grid of readable 32 px squares.
Tiles nest (tile x at level L is tile x >> 1 at level L - 1), which is what lets
the counts be pre-aggregated once at the finest level and summed up exactly for
the coarser ones; hexagons do not nest, and assigning cameras to hexagons at
every level cost about 30 s per million cameras in PostgreSQL (measured), too
much to keep up to date on every import.

Pure functions; the SQL in triggers.py and queries.py computes the same tiles
with the same floating-point operations (checked in tests/api/test_density_cells.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mapping.bbox import BBox

# Cells are the tiles this many zoom levels below the map's zoom: 2**3 = 8 per tile side.
CELL_LEVELS_BELOW_ZOOM = 3
CELL_SIZE_PX = 256 >> CELL_LEVELS_BELOW_ZOOM
MIN_ZOOM = 0
MAX_ZOOM = 22
# Web Mercator stops at the latitude where the map is square.
MAX_MERCATOR_LAT = 85.0511287798066
# A viewport needing more cells than this is refused: zoom out or shrink the box.
MAX_CELLS = 10_000
# mapping_densitycell holds zooms MIN_ZOOM..AGGREGATE_MAX_ZOOM; finer zooms show small
# areas, counted from the camera rows. Zoom 13 cells are about 600 m wide at the equator.
AGGREGATE_MAX_ZOOM = 13


def cell_level(zoom: int) -> int:
    """The tile level of the cells drawn at map zoom ``zoom``."""
    return zoom + CELL_LEVELS_BELOW_ZOOM


AGGREGATE_LEVELS = range(
    MIN_ZOOM + CELL_LEVELS_BELOW_ZOOM, AGGREGATE_MAX_ZOOM + CELL_LEVELS_BELOW_ZOOM + 1
)
FINE_LEVEL = AGGREGATE_LEVELS[-1]


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def tile_x(lon: float, level: int) -> int:
    """Column of the tile holding longitude ``lon`` (the east edge belongs to the next)."""
    scale = 2**level
    return _clamp(math.floor((lon + 180.0) / 360.0 * scale), 0, scale - 1)


def tile_y(lat: float, level: int) -> int:
    """Row of the tile holding latitude ``lat``, counted from the north as map tiles are."""
    scale = 2**level
    lat = _clamp_lat(lat)
    fraction = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0
    return _clamp(math.floor(fraction * scale), 0, scale - 1)


# numpy's tangent and inverse hyperbolic sine may differ from the C library's (which
# PostgreSQL's and math's call) in their last bits: a point whose tile row lies this close
# to a tile's edge has it computed again by tile_y. Those differences move the row by
# about 1e-10 of a tile at level 16.
_EDGE_MARGIN = 1e-6


def tile_columns(lons: np.ndarray, level: int) -> np.ndarray:
    """tile_x of every longitude, as int64: the same operations, exactly rounded alike."""
    scale = float(2**level)
    columns = np.floor((np.asarray(lons, dtype=np.float64) + 180.0) / 360.0 * scale)
    return np.clip(columns, 0, scale - 1).astype(np.int64)


def tile_rows(lats: np.ndarray, level: int) -> np.ndarray:
    """tile_y of every latitude, as int64: numpy's functions, then tile_y itself near an
    edge, so every row is the one tile_y (and the SQL) gives."""
    scale = float(2**level)
    lats = np.asarray(lats, dtype=np.float64)
    lat = np.clip(lats, -MAX_MERCATOR_LAT, MAX_MERCATOR_LAT)
    scaled = (1.0 - np.arcsinh(np.tan(np.radians(lat))) / math.pi) / 2.0 * scale
    rows = np.clip(np.floor(scaled), 0, scale - 1).astype(np.int64)
    for k in np.flatnonzero(np.abs(scaled - np.rint(scaled)) < _EDGE_MARGIN).tolist():
        rows[k] = tile_y(float(lats[k]), level)
    return rows


def _clamp_lat(lat: float) -> float:
    return max(-MAX_MERCATOR_LAT, min(MAX_MERCATOR_LAT, lat))


def tile_lon(x: int, level: int) -> float:
    """Longitude of the west edge of column ``x``."""
    return x / 2**level * 360.0 - 180.0


def tile_lat(y: int, level: int) -> float:
    """Latitude of the north edge of row ``y``."""
    return math.degrees(math.atan(math.sinh(math.pi * (1.0 - 2.0 * y / 2**level))))


def tile_bounds(level: int, x: int, y: int) -> BBox:
    """The tile as MINLON,MINLAT,MAXLON,MAXLAT."""
    return BBox(
        tile_lon(x, level), tile_lat(y + 1, level), tile_lon(x + 1, level), tile_lat(y, level)
    )


@dataclass(frozen=True)
class TileRange:
    """The tiles of one level covering a box: columns x0..x1, rows y0..y1 (inclusive)."""

    level: int
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def cell_count(self) -> int:
        return (self.x1 - self.x0 + 1) * (self.y1 - self.y0 + 1)

    def envelope(self) -> BBox:
        """The outer edges of the covering tiles (a camera on them may be in a neighbour)."""
        return BBox(
            tile_lon(self.x0, self.level),
            tile_lat(self.y1 + 1, self.level),
            tile_lon(self.x1 + 1, self.level),
            tile_lat(self.y0, self.level),
        )

    def __contains__(self, cell: tuple[int, int]) -> bool:
        x, y = cell
        return self.x0 <= x <= self.x1 and self.y0 <= y <= self.y1


def tiles_covering(box: BBox, level: int) -> TileRange:
    """Every tile of ``level`` that the box touches (rows run north to south)."""
    return TileRange(
        level,
        tile_x(box.min_lon, level),
        tile_y(box.max_lat, level),
        tile_x(box.max_lon, level),
        tile_y(box.min_lat, level),
    )


def cell_polygon(level: int, x: int, y: int, decimals: int = 6) -> dict:
    """The cell as a GeoJSON Polygon (counter-clockwise exterior ring, RFC 7946)."""
    b = tile_bounds(level, x, y)
    west, south = round(b.min_lon, decimals), round(b.min_lat, decimals)
    east, north = round(b.max_lon, decimals), round(b.max_lat, decimals)
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}
