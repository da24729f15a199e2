"""Bounding boxes, written MINLON,MINLAT,MAXLON,MAXLAT everywhere (as in GeoJSON).

One parser for the command line and the API, so a box means the same thing in
both and a wrong one gets the same message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.translation import gettext as _

BBOX_FORMAT = "MINLON,MINLAT,MAXLON,MAXLAT"


class BBoxError(ValueError):
    """A bounding box that cannot be used; the message says why, for a person (in the
    active language: the request's in the API, English on the command line)."""


@dataclass(frozen=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    @property
    def area_deg2(self) -> float:
        return (self.max_lon - self.min_lon) * (self.max_lat - self.min_lat)

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.min_lon, self.min_lat, self.max_lon, self.max_lat)

    def __str__(self) -> str:
        return ",".join(f"{value:g}" for value in self.as_tuple())

    def overpass(self) -> str:
        """Overpass QL wants (south,west,north,east)."""
        return f"{self.min_lat},{self.min_lon},{self.max_lat},{self.max_lon}"

    def polygon(self):
        from django.contrib.gis.geos import Polygon

        return Polygon.from_bbox(self.as_tuple())


def parse_bbox(text: str, max_area_deg2: float | None = None) -> BBox:
    """Parse 'MINLON,MINLAT,MAXLON,MAXLAT'; raise BBoxError naming what is wrong."""
    parts = [part.strip() for part in str(text).split(",")]
    if len(parts) != 4:
        raise BBoxError(
            _("expected four numbers %(format)s, got %(n)s value(s)")
            % {"format": BBOX_FORMAT, "n": len(parts)}
        )
    try:
        min_lon, min_lat, max_lon, max_lat = (float(part) for part in parts)
    except ValueError:
        raise BBoxError(
            _("every value must be a number: %(format)s") % {"format": BBOX_FORMAT}
        ) from None
    if not all(math.isfinite(v) for v in (min_lon, min_lat, max_lon, max_lat)):
        raise BBoxError(_("values must be finite numbers"))
    for name, value in (("MINLON", min_lon), ("MAXLON", max_lon)):
        if not -180 <= value <= 180:
            raise BBoxError(
                _("%(name)s %(value)s is outside -180..180") % {"name": name, "value": f"{value:g}"}
            )
    for name, value in (("MINLAT", min_lat), ("MAXLAT", max_lat)):
        if not -90 <= value <= 90:
            raise BBoxError(
                _("%(name)s %(value)s is outside -90..90") % {"name": name, "value": f"{value:g}"}
            )
    if min_lon >= max_lon:
        values = {"min": f"{min_lon:g}", "max": f"{max_lon:g}"}
        if min_lat < min_lon:
            raise BBoxError(
                _(
                    "MINLON %(min)s must be less than MAXLON %(max)s "
                    "(latitude first? the order is MINLON,MINLAT,...)"
                )
                % values
            )
        raise BBoxError(_("MINLON %(min)s must be less than MAXLON %(max)s") % values)
    if min_lat >= max_lat:
        raise BBoxError(
            _("MINLAT %(min)s must be less than MAXLAT %(max)s")
            % {"min": f"{min_lat:g}", "max": f"{max_lat:g}"}
        )
    box = BBox(min_lon, min_lat, max_lon, max_lat)
    if max_area_deg2 is not None and box.area_deg2 > max_area_deg2:
        raise BBoxError(
            _("the box covers %(area)s square degrees, more than the %(max)s allowed here")
            % {"area": f"{box.area_deg2:g}", "max": f"{max_area_deg2:g}"}
        )
    return box


def split_into_tiles(box: BBox, tile_degrees: float) -> list[BBox]:
    """Cut a box into tiles at most tile_degrees on a side, west to east then south to north."""
    if tile_degrees <= 0:
        raise BBoxError("tile size must be positive")
    columns = max(1, math.ceil((box.max_lon - box.min_lon) / tile_degrees - 1e-9))
    rows = max(1, math.ceil((box.max_lat - box.min_lat) / tile_degrees - 1e-9))
    width = (box.max_lon - box.min_lon) / columns
    height = (box.max_lat - box.min_lat) / rows
    return [
        BBox(
            box.min_lon + column * width,
            box.min_lat + row * height,
            box.max_lon if column == columns - 1 else box.min_lon + (column + 1) * width,
            box.max_lat if row == rows - 1 else box.min_lat + (row + 1) * height,
        )
        for row in range(rows)
        for column in range(columns)
    ]
