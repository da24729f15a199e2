"""Read .osm.pbf / .osm / .osm.bz2 files with pyosmium, streaming, into an OsmExtract.

Memory stays bounded by what we keep (cameras, walkable ways, buildings), not by the
file: osmium streams the file, keeps node locations in its own index (flex_mem picks a
dense or sparse array by file size) and a C++ KeyFilter drops untagged objects before
any Python callback runs, which is what makes the >= 50,000 cameras/s target reachable.
"""

from __future__ import annotations

from pathlib import Path

import osmium
import shapely

from mapping.bbox import BBox
from mapping.osm.extract import BuildingElement, CameraElement, OsmExtract
from mapping.osm.walkable import WayNodes, is_walkable

SURVEILLANCE = "surveillance"
OSM_SUFFIXES = (".pbf", ".osm", ".bz2", ".gz", ".o5m", ".opl")


class OsmFileError(ValueError):
    """The file cannot be read as OpenStreetMap data; the message says why."""


def _valid_nodes(way) -> list[list[tuple[int, float, float]]]:
    """The way's nodes as runs of those with a known location.

    Extracts cut ways at their edge: nodes outside it have no location. Each run of
    located nodes becomes its own piece rather than a line jumping over the gap.
    """
    runs: list[list[tuple[int, float, float]]] = [[]]
    for node in way.nodes:
        location = node.location
        if location.valid():
            runs[-1].append((node.ref, location.lon, location.lat))
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if len(run) > 1]


def _centroid(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Centroid of a closed ring's area, or of the line for an open way."""
    if len(points) >= 4 and points[0] == points[-1]:
        centre = shapely.Polygon(points).centroid
    else:
        centre = shapely.LineString(points).centroid if len(points) > 1 else shapely.Point(points)
    return centre.x, centre.y


class _ExtractHandler(osmium.SimpleHandler):
    """Collects cameras, walkable ways and buildings; everything else passes by."""

    def __init__(self, extract: OsmExtract, cameras_only: bool = False) -> None:
        super().__init__()
        self.extract = extract
        self.streets_and_buildings = not cameras_only
        self.wkb = osmium.geom.WKBFactory()
        self.strings: dict[str, str] = {}

    def node(self, node) -> None:
        # Only surveillance nodes get here (C++ filters); GeoInterfaceFilter has already
        # built the tag dict and point in C++, several times faster than iterating tags.
        # Keys and most values repeat from camera to camera ("surveillance:type", "camera",
        # an operator's name): one shared copy of each instead of one per camera makes the
        # cameras held for the import take 640 bytes each instead of 1,880 (2.5 million
        # synthetic cameras: 4.7 GB at the peak before), for no measurable time.
        feature = node.__geo_interface__
        lon, lat = feature["geometry"]["coordinates"]
        shared = self.strings.setdefault
        tags = {
            shared(key, key): shared(value, value) for key, value in feature["properties"].items()
        }
        self.extract.cameras.append(
            CameraElement("node", node.id, node.version or None, lon, lat, tags)
        )

    def way(self, way) -> None:
        tags = way.tags
        if tags.get("man_made") == SURVEILLANCE:
            points = [(lon, lat) for run in _valid_nodes(way) for _, lon, lat in run]
            if points:
                lon, lat = _centroid(points)
                self.extract.cameras.append(
                    CameraElement(
                        "way", way.id, way.version or None, lon, lat, {t.k: t.v for t in tags}
                    )
                )
        if self.streets_and_buildings and "highway" in tags and is_walkable(tags):
            highway = tags.get("highway")
            name = tags.get("name", "")
            for run in _valid_nodes(way):
                self.extract.ways.append(WayNodes(way.id, highway, name, tuple(run)))

    def area(self, area) -> None:
        tags = area.tags
        is_building = self.streets_and_buildings and tags.get("building", "no") != "no"
        is_camera = not area.from_way() and tags.get("man_made") == SURVEILLANCE
        if not (is_building or is_camera):
            return
        osm_type = "way" if area.from_way() else "relation"
        try:
            geometry = self.wkb.create_multipolygon(area)
        except RuntimeError:  # an invalid ring (e.g. cut by the extract's edge)
            return
        if is_building:
            self.extract.buildings.append(BuildingElement(osm_type, area.orig_id(), geometry))
        if is_camera:  # camera ways were handled in way(); relations only arrive here
            centre = shapely.from_wkb(geometry).centroid
            self.extract.cameras.append(
                CameraElement(
                    "relation",
                    area.orig_id(),
                    area.version or None,
                    centre.x,
                    centre.y,
                    {t.k: t.v for t in tags},
                )
            )


def _filters(cameras_only: bool = False) -> list:
    """C++ filters in front of the Python callbacks: nodes only when they are cameras, other
    objects only with a key we use (only cameras, with cameras_only: no street or building
    reaches Python, nor is any building's area assembled), and the tags of camera nodes
    turned into a dict in C++."""
    entity = osmium.osm.osm_entity_bits
    others = (
        osmium.filter.TagFilter(("man_made", SURVEILLANCE))
        if cameras_only
        else osmium.filter.KeyFilter("man_made", "highway", "building")
    )
    return [
        osmium.filter.TagFilter(("man_made", SURVEILLANCE)).enable_for(entity.NODE),
        others.enable_for(entity.WAY | entity.RELATION | entity.AREA),
        osmium.filter.GeoInterfaceFilter().enable_for(entity.NODE),
    ]


def _header_box(path: Path) -> BBox | None:
    reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
    try:
        box = reader.header().box()
    finally:
        reader.close()
    if not box.valid():
        return None
    return BBox(box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)


def camera_extent(cameras: list[CameraElement]) -> BBox | None:
    """The smallest box holding every camera read (None without cameras)."""
    if not cameras:
        return None
    lons = [camera.lon for camera in cameras]
    lats = [camera.lat for camera in cameras]
    return BBox(min(lons), min(lats), max(lons), max(lats))


def union(first: BBox | None, second: BBox | None) -> BBox | None:
    if first is None or second is None:
        return first or second
    return BBox(
        min(first.min_lon, second.min_lon),
        min(first.min_lat, second.min_lat),
        max(first.max_lon, second.max_lon),
        max(first.max_lat, second.max_lat),
    )


def read_osm_file(
    path: str | Path, index: str = "flex_mem", cameras_only: bool = False
) -> OsmExtract:
    """Stream an OSM file into an OsmExtract.

    extent is the header's bounding box (the area the extract claims to cover) grown to
    hold every camera read; without a header box, the cameras' own box. cameras_only
    leaves the walkable ways and the buildings in the file: a country's streets and
    buildings, held in Python, would take tens of gigabytes where its cameras take one
    or two.
    """
    path = Path(path)
    if not path.is_file():
        raise OsmFileError(f"{path}: no such file")
    extract = OsmExtract()
    handler = _ExtractHandler(extract, cameras_only)
    try:
        header_box = _header_box(path)
        handler.apply_file(str(path), locations=True, idx=index, filters=_filters(cameras_only))
    except RuntimeError as error:
        raise OsmFileError(f"{path}: not readable as OpenStreetMap data ({error})") from error
    extract.extent = union(header_box, camera_extent(extract.cameras))
    return extract
