"""Builders for valid model rows with SRID-tagged geometries (no factory library needed)."""

from __future__ import annotations

import itertools
import math

from django.contrib.gis.geos import LineString, MultiPolygon, Point, Polygon

from mapping.models import Building, Camera, StreetSegment

# Factories build rows in an empty test area (Paris), away from the Helsinki demo data that
# some test modules load: tests never assume an empty database, only an empty area.
TEST_AREA_CENTRE = (2.3522, 48.8566)
_osm_ids = itertools.count(9_000_000_000)


def point(lon: float = TEST_AREA_CENTRE[0], lat: float = TEST_AREA_CENTRE[1]) -> Point:
    return Point(lon, lat, srid=4326)


def make_camera(**fields) -> Camera:
    fields.setdefault("location", point())
    fields.setdefault("source", "osm")
    if fields["source"] == "osm":
        fields.setdefault("osm_type", "node")
        fields.setdefault("osm_id", next(_osm_ids))
        fields.setdefault("osm_version", 1)
    fields.setdefault("surveillance_type", "camera")
    return Camera.objects.create(**fields)


def make_segment(coords: list[tuple[float, float]], source: int, target: int, **fields):
    line = LineString(coords, srid=4326)
    fields.setdefault("way_id", 1)
    fields.setdefault("highway", "footway")
    length_m = fields.pop("length_m", None)
    if length_m is None:
        length_m = line.transform(3857, clone=True).length * math.cos(math.radians(line.centroid.y))
    return StreetSegment.objects.create(
        geom=line, source=source, target=target, length_m=length_m, **fields
    )


def square(lon: float, lat: float, half_side_deg: float) -> Polygon:
    d = half_side_deg
    return Polygon(
        (
            (lon - d, lat - d),
            (lon + d, lat - d),
            (lon + d, lat + d),
            (lon - d, lat + d),
            (lon - d, lat - d),
        ),
        srid=4326,
    )


def make_building(lon: float, lat: float, half_side_deg: float = 0.0001, **fields) -> Building:
    fields.setdefault("osm_type", "way")
    fields.setdefault("osm_id", next(_osm_ids))
    return Building.objects.create(
        geom=MultiPolygon(square(lon, lat, half_side_deg), srid=4326), **fields
    )
