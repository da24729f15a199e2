"""The area a regional extract covers, read from its .poly file (Osmosis polygon format).

A regional extract (Geofabrik's, or one cut with `osmium extract -p`) holds the data
inside a polygon, but its header only gives the rectangle around it. Taken as the area
covered, that rectangle includes the neighbours' land, whose cameras the import would
then mark removed and whose streets and buildings it would delete. The .poly file the
extract was cut with says exactly where the file is complete.

The format: a name line; then sections, each a name line (a leading "!" makes it a hole),
"lon lat" lines and "END"; then a final "END". Pure functions; shapely geometry.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, Polygon

from mapping.bbox import BBox


class PolyFileError(ValueError):
    """The file is not a usable .poly polygon; the message says where and why."""


@dataclass(frozen=True)
class PolygonArea(BBox):
    """The rectangle around a polygon, with the polygon itself (WKT, SRID 4326).

    A BBox everywhere an import's area goes; where absence is decided (what it marks
    removed or deletes), only what the polygon covers counts (mapping.sync).
    """

    wkt: str = ""
    source: str = ""

    def __str__(self) -> str:
        return f"the polygon of {self.source} (within {super().__str__()})"


def _ring(points: list[tuple[float, float]], section: str) -> list[tuple[float, float]]:
    if len(points) < 3:
        raise PolyFileError(f"section {section!r}: a ring needs at least 3 points")
    return points


def parse_poly(text: str, source: str = ".poly") -> MultiPolygon:
    """The polygon a .poly text describes: its outer rings joined, its holes cut out."""
    lines = [line.strip() for line in text.splitlines()]
    if not lines or not lines[0]:
        raise PolyFileError("empty file: expected a name line, then sections")
    outers: list[Polygon] = []
    holes: list[Polygon] = []
    number = 1  # the name line
    while True:
        number += 1
        if number > len(lines):
            raise PolyFileError("the file ends before its final END")
        header = lines[number - 1]
        if header == "END":
            break
        if not header:
            raise PolyFileError(f"line {number}: expected a section name or END")
        points: list[tuple[float, float]] = []
        while True:
            number += 1
            if number > len(lines):
                raise PolyFileError(f"section {header!r} has no END")
            line = lines[number - 1]
            if line == "END":
                break
            fields = line.split()
            try:
                lon, lat = (float(value) for value in fields)
            except ValueError:
                raise PolyFileError(
                    f"line {number}: expected two numbers 'lon lat', got {line!r}"
                ) from None
            if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
                raise PolyFileError(f"line {number}: {lon:g} {lat:g} is not a place on Earth")
            points.append((lon, lat))
        ring = Polygon(_ring(points, header))
        (holes if header.startswith("!") else outers).append(shapely.make_valid(ring))
    if not outers:
        raise PolyFileError(f"{source}: no outer ring (every section is a hole)")
    shape = shapely.union_all(outers)
    if holes:
        shape = shape.difference(shapely.union_all(holes))
    polygons = [g for g in getattr(shape, "geoms", [shape]) if isinstance(g, Polygon)]
    if not polygons or shapely.area(MultiPolygon(polygons)) == 0:
        raise PolyFileError(f"{source}: the polygon covers no area")
    return MultiPolygon(polygons)


def read_poly_area(path: str | Path) -> PolygonArea:
    """The area of a .poly file, ready to be an import's area."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PolyFileError(f"{path}: cannot be read ({error})") from error
    try:
        shape = parse_poly(text, str(path))
    except PolyFileError as error:
        raise PolyFileError(f"{path}: {error}") from None
    min_lon, min_lat, max_lon, max_lat = shape.bounds
    return PolygonArea(min_lon, min_lat, max_lon, max_lat, wkt=shape.wkt, source=path.name)
