"""Camera counts per density cell for a viewport: from the aggregate, or from the cameras.

The aggregate (mapping_densitycell, kept by triggers.py) answers zooms up to
AGGREGATE_MAX_ZOOM and every filter packed in dims; a country viewport then
reads a few thousand pre-summed rows instead of a million cameras. Filters it
cannot answer (operator, updated_since) and finer zooms, whose viewports hold
few cameras, are counted from mapping_camera with the same tile arithmetic.
Both ways return every cell the box touches with the count of all cameras in
that cell (not only the part inside the box), so a cell's number does not
change as the map pans; tests check the two ways agree camera for camera.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.db import connection, transaction
from django.db.models import Count, IntegerField
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from mapping.bbox import BBox
from mapping.camera_queries import CameraFilters, filter_cameras
from mapping.density import totals
from mapping.density.cells import (
    AGGREGATE_MAX_ZOOM,
    CELL_SIZE_PX,
    MAX_CELLS,
    MAX_ZOOM,
    MIN_ZOOM,
    TileRange,
    cell_level,
    tiles_covering,
)
from mapping.density.dimensions import aggregate_serves, dims_conditions, dims_sql
from mapping.density.triggers import (
    DENSITY_TABLE,
    apply_delta_sql,
    tile_column_sql,
    tile_row_sql,
)

# Cameras exactly on the covering tiles' outer edge are fetched too, then kept or not
# by their tile; this margin absorbs the rounding of the edge's latitude.
EDGE_MARGIN_DEG = 1e-9


class DensityError(ValueError):
    """A density request that cannot be answered; ``field`` names the parameter to blame."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Density:
    """Cameras per cell: ``cells`` holds (x, y, count) for non-empty cells, north to south."""

    zoom: int
    tiles: TileRange
    cells: list[tuple[int, int, int]]
    from_aggregate: bool

    @property
    def level(self) -> int:
        return self.tiles.level

    @property
    def total(self) -> int:
        return sum(count for _, _, count in self.cells)


def camera_density(filters: CameraFilters, zoom: int, max_cells: int = MAX_CELLS) -> Density:
    """Count the filtered cameras in every cell of zoom ``zoom`` touching ``filters.bbox``."""
    if filters.bbox is None:
        raise DensityError("in_bbox", _("a bounding box MINLON,MINLAT,MAXLON,MAXLAT is required"))
    if not MIN_ZOOM <= zoom <= MAX_ZOOM:
        raise DensityError(
            "zoom",
            _("zoom must be between %(min)s and %(max)s") % {"min": MIN_ZOOM, "max": MAX_ZOOM},
        )
    tiles = tiles_covering(filters.bbox, cell_level(zoom))
    if tiles.cell_count > max_cells:
        raise DensityError(
            "zoom",
            _(
                "zoom %(zoom)s is too fine for this box: %(cells)s cells of %(px)s px, "
                "at most %(max)s; zoom out or use a smaller box"
            )
            % {"zoom": zoom, "cells": tiles.cell_count, "px": CELL_SIZE_PX, "max": max_cells},
        )
    if zoom <= AGGREGATE_MAX_ZOOM and aggregate_serves(filters):
        return Density(zoom, tiles, _count_from_aggregate(filters, tiles), True)
    return Density(zoom, tiles, _count_from_cameras(filters, tiles), False)


CELLS_FROM_AGGREGATE = f"""
    SELECT cell_x, cell_y, sum(camera_count)::int
    FROM {DENSITY_TABLE}
    WHERE level = %s AND cell_x BETWEEN %s AND %s AND cell_y BETWEEN %s AND %s {{dims}}
    GROUP BY cell_x, cell_y
    HAVING sum(camera_count) > 0
    ORDER BY cell_y, cell_x
"""


# The map without filters: one pre-summed row per cell (mapping/density/totals.py).
CELLS_FROM_TOTALS = f"""
    SELECT cell_x, cell_y, camera_count
    FROM {totals.TOTALS_TABLE}
    WHERE level = %s AND cell_x BETWEEN %s AND %s AND cell_y BETWEEN %s AND %s
      AND camera_count > 0
    ORDER BY cell_y, cell_x
"""


def _count_from_aggregate(filters: CameraFilters, tiles: TileRange) -> list[tuple[int, int, int]]:
    if totals.serves(filters):
        with connection.cursor() as cursor:
            cursor.execute(CELLS_FROM_TOTALS, [tiles.level, tiles.x0, tiles.x1, tiles.y0, tiles.y1])
            return [tuple(row) for row in cursor.fetchall()]
    conditions, params = dims_conditions(filters)
    dims = "".join(f" AND {condition}" for condition in conditions)
    with connection.cursor() as cursor:
        cursor.execute(
            CELLS_FROM_AGGREGATE.format(dims=dims),
            [tiles.level, tiles.x0, tiles.x1, tiles.y0, tiles.y1, *params],
        )
        return [tuple(row) for row in cursor.fetchall()]


def _count_from_cameras(filters: CameraFilters, tiles: TileRange) -> list[tuple[int, int, int]]:
    edge = tiles.envelope()
    fetched = BBox(
        max(-180.0, edge.min_lon - EDGE_MARGIN_DEG),
        max(-90.0, edge.min_lat - EDGE_MARGIN_DEG),
        min(180.0, edge.max_lon + EDGE_MARGIN_DEG),
        min(90.0, edge.max_lat + EDGE_MARGIN_DEG),
    )
    scale = float(2**tiles.level)
    # The position's coordinates are the location's (mapping/plane_point.py); read from
    # the active cameras' position index, the cells of a box need no row of the table:
    # 38,000 cameras in 42 ms instead of 70.
    lon, lat = '"mapping_camera"."position"[0]', '"mapping_camera"."position"[1]'
    cameras = filter_cameras(replace(filters, bbox=fetched))
    counts = (
        cameras.annotate(
            cell_x=RawSQL(tile_column_sql(lon, "%s"), (scale, scale), IntegerField()),  # noqa: S611
            cell_y=RawSQL(tile_row_sql(lat, "%s"), (scale, scale), IntegerField()),  # noqa: S611
        )
        .values_list("cell_x", "cell_y")
        .annotate(camera_count=Count("id"))
        .order_by("cell_y", "cell_x")
    )
    return [(x, y, count) for x, y, count in counts if (x, y) in tiles]


def rebuild_density_cells() -> int:
    """Recount the whole aggregate from the cameras; returns the number of rows written.

    The triggers keep it exact, so this is for repairs: after changing the packed
    columns' choices (dimensions.py), or after a bulk load with the triggers disabled.
    Cameras are locked against writes meanwhile, so no change slips in between.
    """
    everything = f"SELECT c.location, {dims_sql('c')} AS dims, 1 AS n FROM mapping_camera c"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE mapping_camera IN SHARE MODE")
        cursor.execute(f"DELETE FROM {DENSITY_TABLE}")
        cursor.execute(apply_delta_sql(everything))
        written = cursor.rowcount
        cursor.execute(f"DELETE FROM {totals.TOTALS_TABLE}")
        cursor.execute(totals.fill_from_cells_sql(DENSITY_TABLE))
        return written
