"""Builders for valid model rows with SRID-tagged geometries (no factory library needed)."""

from __future__ import annotations

import itertools

from django.contrib.gis.geos import LineString, MultiPolygon, Point, Polygon

from mapping.models import Building, Camera, StreetSegment

HELSINKI_CENTRE = (24.9384, 60.1699)
_osm_ids = itertools.count(9_000_000_000)


def point(lon: float = HELSINKI_CENTRE[0], lat: float = HELSINKI_CENTRE[1]) -> Point:
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
        length_m = line.transform(3067, clone=True).length  # ETRS-TM35FIN, metres
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
