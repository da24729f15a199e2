"""Read .osm.pbf / .osm / .osm.bz2 files with pyosmium, streaming, into an OsmExtract.

Memory stays bounded by what we keep (cameras, walkable ways, buildings), not by the
file: osmium streams the file, keeps node locations in its own index (flex_mem picks a
dense or sparse array by file size; none at all for a cameras-only read) and C++ filters
drop every object we do not use before any Python callback runs.
"""

from __future__ import annotations

from contextlib import ExitStack
from operator import attrgetter
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
import osmium
import shapely

from mapping import collector
from mapping.bbox import BBox
from mapping.camera_rows import CameraNodeRows
from mapping.osm import overpass_xml, text_coordinates
from mapping.osm.coordinates import CoordinateError, osmium_location_problem
from mapping.osm.extract import BuildingElement, CameraElement, OsmExtract
from mapping.osm.parallel_read import NodesInParallel
from mapping.osm.walkable import WayNodes, is_walkable

SURVEILLANCE = "surveillance"
MEMBER_TYPES = {"n": "node", "w": "way", "r": "relation"}
OSM_SUFFIXES = (".pbf", ".osm", ".bz2", ".gz", ".o5m", ".opl")


class OsmFileError(ValueError):
    """The file cannot be read as OpenStreetMap data; the message says why."""


class NegativeIdError(Exception):
    """An object we would keep, or one it is made of, has a negative id.

    Negative ids are what an editor (JOSM) gives objects not yet uploaded to
    OpenStreetMap: they are numbered from -1 again in every session, so two files reuse
    them for different objects, and the object gets another id once uploaded. Stored as
    an OpenStreetMap identity, one file's camera -1 would be updated by the next file's
    camera -1, and the uploaded camera would come back as a second one. osmium keeps no
    location for a negative node either, so the ways made of them would be lost without
    a word.
    """

    def __init__(self, osm_type: str, osm_id: int, part_of: str = "") -> None:
        self.osm_type, self.osm_id, self.part_of = osm_type, osm_id, part_of
        super().__init__(
            f"{osm_type} {osm_id}{part_of} has a negative id, the mark of an object not yet "
            "uploaded to OpenStreetMap (an editor's save, e.g. JOSM); upload it first and "
            "import the data downloaded after the upload"
        )


def _valid_nodes(way) -> list[list[tuple[int, float, float]]]:
    """The way's nodes as runs of those with a known location.

    Extracts cut ways at their edge: nodes outside it have no location. Each run of
    located nodes becomes its own piece rather than a line jumping over the gap. A node
    the file places out of range (osmium reads it, and finds it not valid) is no edge:
    CoordinateError names it.
    """
    runs: list[list[tuple[int, float, float]]] = [[]]
    for node in way.nodes:
        location = node.location
        if location.valid():
            runs[-1].append((node.ref, location.lon, location.lat))
        else:
            if node.ref < 0:  # osmium keeps no location for these: not the extract's edge
                raise NegativeIdError("node", node.ref, f" (in way {way.id})")
            problem = osmium_location_problem(location.x, location.y)
            if problem is not None:
                raise CoordinateError(f"node {node.ref} (in way {way.id}) {problem}")
            if runs[-1]:
                runs.append([])
    return [run for run in runs if len(run) > 1]


def _refuse_negative_ids(element, with_members: bool = True) -> None:
    """A way or relation that we read, or with_members any object it is made of, with a
    negative id.

    Only ways and relations with a key we use reach Python, and are checked once each.
    A full read does not go through its ways' nodes here (that took a quarter of the
    Helsinki file's read): _valid_nodes meets a negative node as one without a location.
    """
    kind = "way" if isinstance(element, osmium.osm.Way) else "relation"
    if element.id < 0:
        raise NegativeIdError(kind, element.id)
    if not with_members:
        return
    if kind == "way":
        refs = ((node.ref, "node") for node in element.nodes)
    else:
        refs = ((member.ref, MEMBER_TYPES[member.type]) for member in element.members)
    for ref, member_kind in refs:
        if ref < 0:
            raise NegativeIdError(member_kind, ref, f" (in {kind} {element.id})")


def _centroid(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Centroid of a closed ring's area, or of the line for an open way."""
    if len(points) >= 4 and points[0] == points[-1]:
        centre = shapely.Polygon(points).centroid
    else:
        centre = shapely.LineString(points).centroid if len(points) > 1 else shapely.Point(points)
    return centre.x, centre.y


class _CameraNodes(osmium.SimpleHandler):
    """Collects camera nodes (the only nodes the C++ filters let through)."""

    def __init__(self, extract: OsmExtract) -> None:
        super().__init__()
        self.extract = extract
        self.strings: dict[str, str] = {}
        self.rows = extract.camera_nodes

    def node(self, node) -> None:
        # Only surveillance nodes get here (C++ filters); GeoInterfaceFilter has already
        # built the tag dict and point in C++, several times faster than iterating tags.
        # Keys and most values repeat from camera to camera ("surveillance:type", "camera",
        # an operator's name): one shared copy of each instead of one per camera makes the
        # cameras held for the import take 640 bytes each instead of 1,880 (2.5 million
        # synthetic cameras: 4.7 GB at the peak before), for no measurable time.
        try:
            feature = node.__geo_interface__
        except AttributeError:
            # osmium checked the location, in C++ as it does every camera's, and built no
            # point: Python looks at a location only here, never per camera.
            self._no_point(node)
            return
        lon, lat = feature["geometry"]["coordinates"]
        if self.rows is not None:  # an import's read: the camera's COPY fields, no element
            self.rows.add(node.id, node.version or None, lon, lat, feature["properties"])
            return
        shared = self.strings.setdefault
        tags = {
            shared(key, key): shared(value, value) for key, value in feature["properties"].items()
        }
        self.extract.cameras.append(
            CameraElement("node", node.id, node.version or None, lon, lat, tags)
        )

    @staticmethod
    def _no_point(node) -> None:
        """A camera node without a valid location: CoordinateError when the file places
        it out of range; left out when it gives it none (`out ids` or `out tags` printed
        it so), as the JSON answer leaves out a node without lat and lon."""
        problem = osmium_location_problem(node.location.x, node.location.y)
        if problem is not None:
            raise CoordinateError(f"node {node.id} {problem}")


class _ExtractHandler(_CameraNodes):
    """Collects cameras, walkable ways and buildings; everything else passes by."""

    def __init__(self, extract: OsmExtract, cameras_only: bool = False) -> None:
        super().__init__(extract)
        self.streets_and_buildings = not cameras_only
        self.wkb = osmium.geom.WKBFactory()
        # Ways of ours with nodes, and how many came before their first node's location
        # was known: a few cut by the extract's edge, or nearly all in a file whose nodes
        # come after its ways (_read_everything). A way without nodes (an Overpass
        # answer's `out tags center`) says nothing about that, and is not counted.
        self.ways_read = self.ways_unlocated = 0
        # A camera outline with a point exactly on the equator or the prime meridian: a
        # coordinate of an .osm file osmium may have misread (read_osm_file).
        self.outline_on_zero = False

    def way(self, way) -> None:
        _refuse_negative_ids(way, with_members=False)
        nodes = way.nodes
        if len(nodes):
            self.ways_read += 1
            if not nodes[0].location.valid():
                self.ways_unlocated += 1
        tags = way.tags
        if tags.get("man_made") == SURVEILLANCE:
            points = [(lon, lat) for run in _valid_nodes(way) for _, lon, lat in run]
            if points:
                self.outline_on_zero = self.outline_on_zero or _on_a_zero_axis(points)
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

    def relation(self, relation) -> None:
        # Only camera and building relations get here (C++ filters); osmium assembles
        # their areas, this only checks what they are made of.
        _refuse_negative_ids(relation)

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
            shape = shapely.from_wkb(geometry)
            self.outline_on_zero = self.outline_on_zero or _on_a_zero_axis(
                shapely.get_coordinates(shape)
            )
            centre = shape.centroid
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


class _CamerasWithoutLocations(_CameraNodes):
    """Collects camera nodes; camera ways and relations go to a small file of their own.

    No node location index is kept (a node carries its own): for a country's file that
    index holds hundreds of millions of locations. Ways and relations need theirs, so
    they are written, with every node and member way they reference (tags removed), to
    a small file read afterwards as any file is; only when there are some.
    """

    def __init__(
        self, extract: OsmExtract, source: Path, small_file: Path, writers: ExitStack
    ) -> None:
        super().__init__(extract)
        self.source, self.small_file, self.writers = source, small_file, writers
        self.writer: osmium.BackReferenceWriter | None = None

    def way(self, way) -> None:
        _refuse_negative_ids(way)
        self._keep(way)

    def relation(self, relation) -> None:
        _refuse_negative_ids(relation)
        self._keep(relation)

    def _keep(self, element) -> None:
        if self.writer is None:
            # Closed by the stack: completed and written out at its normal end, only
            # closed if the reading failed.
            writer = osmium.BackReferenceWriter(
                str(self.small_file), ref_src=str(self.source), remove_tags=True
            )
            # Its own scratch directory goes too, even if the reading fails (the writer only
            # removes it once its file is complete).
            scratch = getattr(writer, "tmpdir", None)
            if scratch is not None:
                self.writers.callback(scratch.cleanup)
            self.writer = self.writers.enter_context(writer)
        self.writer.add(element)


def _filters(cameras_only: bool = False, camera_nodes: bool = True) -> list:
    """C++ filters in front of the Python callbacks: nodes only when they are cameras, other
    objects only with a key we use (only cameras, with cameras_only: no street or building
    reaches Python, nor is any building's area assembled), and the tags of camera nodes
    turned into a dict in C++. Without camera_nodes, no node at all."""
    entity = osmium.osm.osm_entity_bits
    if not camera_nodes:
        others = _filters(cameras_only)[1]
        return [osmium.filter.EntityFilter(entity.WAY | entity.RELATION | entity.AREA), others]
    others = (
        osmium.filter.TagFilter(("man_made", SURVEILLANCE))
        if cameras_only
        else osmium.filter.KeyFilter("man_made", "highway", "building")
    )
    return [
        osmium.filter.TagFilter(("man_made", SURVEILLANCE)).enable_for(entity.NODE),
        others.enable_for(entity.WAY | entity.RELATION | entity.AREA),
        # Keeps a camera node whose location is not valid, for _CameraNodes to refuse by
        # name: dropped, it would leave a stored camera to be marked removed.
        osmium.filter.GeoInterfaceFilter(drop_invalid_geometries=False).enable_for(entity.NODE),
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
    path: str | Path,
    index: str = "flex_mem",
    cameras_only: bool = False,
    node_rows: bool = False,
    processes: int = 1,
) -> OsmExtract:
    """Stream an OSM file into an OsmExtract.

    extent is the header's bounding box (the area the extract claims to cover) grown to
    hold every camera read; without a header box, the cameras' own box. cameras_only
    leaves the walkable ways and the buildings in the file: a country's streets and
    buildings, held in Python, would take tens of gigabytes where its cameras take one
    or two. node_rows: camera nodes go into extract.camera_nodes as the COPY fields an
    import writes (mapping.camera_rows), not into extract.cameras; then, with processes
    above 1, a .pbf's camera nodes are read by that many processes at once, each from a
    run of the file's blocks (mapping.osm.parallel_read), into the same rows.
    """
    path = Path(path)
    if not path.is_file():
        raise OsmFileError(f"{path}: no such file")

    def new_extract() -> OsmExtract:
        return OsmExtract(camera_nodes=CameraNodeRows() if node_rows else None)

    extract = new_extract()
    xml = text_coordinates.is_xml(path)
    parallel = None
    if node_rows and processes > 1 and not xml:
        parallel = NodesInParallel.start(path, processes, _camera_node_rows)
    try:
        if xml:
            text_coordinates.refuse_coordinates_at_no_place(path, bounds_only=True)
        header_box = _header_box(path)
        with collector.paused():
            try:
                outline_on_zero = _read(path, extract, index, cameras_only, parallel is None)
            except RuntimeError as error:
                if not overpass_xml.refused_for_overpass_geometry(error):
                    raise
                extract = new_extract()
                outline_on_zero = _read_overpass_answer(path, extract, index, cameras_only)
            if parallel is not None:
                extract.camera_nodes = parallel.rows()
        _refuse_negative_camera_nodes(extract)
        if xml and (outline_on_zero or _read_on_a_zero_axis(extract)):
            text_coordinates.refuse_coordinates_at_no_place(path)
    except NegativeIdError as error:
        raise OsmFileError(f"{path}: {error}") from error
    except CoordinateError as error:
        raise OsmFileError(f"{path}: {error}") from error
    except osmium.InvalidLocationError as error:
        raise OsmFileError(f"{path}: {_coordinate_not_a_number(path, error)}") from error
    except (RuntimeError, overpass_xml.AnswerNotReadable) as error:
        raise OsmFileError(f"{path}: not readable as OpenStreetMap data ({error})") from error
    finally:
        if parallel is not None:
            parallel.stop()
    extent = camera_extent(extract.cameras)
    if extract.camera_nodes is not None:
        extent = union(extent, _node_rows_extent(extract.camera_nodes))
    extract.extent = union(header_box, extent)
    return extract


def _node_rows_extent(rows: CameraNodeRows) -> BBox | None:
    if not len(rows):
        return None
    lons, lats = np.frombuffer(rows.lons), np.frombuffer(rows.lats)
    return BBox(float(lons.min()), float(lats.min()), float(lons.max()), float(lats.max()))


def _coordinate_not_a_number(path: Path, error: Exception) -> str:
    """What to say when osmium refused a coordinate it could not read as a number: the
    element, when the file is XML (osmium says only "wrong format for coordinate")."""
    if text_coordinates.is_xml(path):
        try:
            text_coordinates.refuse_coordinates_at_no_place(path)
        except CoordinateError as named:
            return str(named)
    return f"not readable as OpenStreetMap data ({error})"


def _on_a_zero_axis(points) -> bool:
    return any(lon == 0.0 or lat == 0.0 for lon, lat in points)


def _read_on_a_zero_axis(extract: OsmExtract) -> bool:
    """Whether a camera, a street's node or a building's vertex read lies exactly on the
    equator or the prime meridian: where osmium puts a coordinate of an .osm file written
    with an exponent of 56 or more (1e400), which mapping.osm.text_coordinates then looks
    for. Only for .osm files, read by Python after the read: a .pbf holds integers.
    """
    if any(camera.lon == 0.0 or camera.lat == 0.0 for camera in extract.cameras):
        return True
    rows = extract.camera_nodes
    if rows is not None and (0.0 in rows.lons or 0.0 in rows.lats):
        return True
    if any(_on_a_zero_axis((lon, lat) for _, lon, lat in way.nodes) for way in extract.ways):
        return True
    # osmium's polygons (hex WKB); those made of an answer's member points (WKT) were
    # read by Python, which reads 1e400 as what it is.
    polygons = [b.geometry for b in extract.buildings if not b.geometry.startswith("SRID=")]
    return bool(polygons) and bool((shapely.get_coordinates(shapely.from_wkb(polygons)) == 0).any())


def _read(
    path: Path, extract: OsmExtract, index: str, cameras_only: bool, camera_nodes: bool = True
) -> bool:
    """Read into extract; whether a camera outline has a point on a zero axis.

    Without camera_nodes, no node reaches Python: other processes read them.
    """
    if cameras_only:
        return _read_cameras(path, extract, index, camera_nodes)
    return _read_everything(path, extract, index, camera_nodes)


def _camera_node_rows(path: str) -> CameraNodeRows:
    """The camera nodes of the .pbf at path, as rows (a run of a bigger file's blocks)."""
    extract = OsmExtract(camera_nodes=CameraNodeRows())
    handler = _CameraNodes(extract)
    entity = osmium.osm.osm_entity_bits
    with osmium.io.Reader(osmium.io.File(path, "pbf"), entity.NODE) as reader:
        osmium.apply(reader, *_filters(cameras_only=True), handler)
    return extract.camera_nodes


def _read_overpass_answer(path: Path, extract: OsmExtract, index: str, cameras_only: bool) -> bool:
    """An Overpass answer saved as XML whose relations' members carry their points (`out
    geom`) or whose ways and relations carry a centre (`out center`): osmium refuses the
    file (mapping.osm.overpass_xml).

    Only such a file is read this way, and only once osmium has refused it: any other
    file is read once as before. The answer is streamed into a copy without those
    points and centres, which osmium reads as any file (nodes, ways with their points
    or node ids, and what relations it can assemble). Then, as the answer saved as JSON
    makes them: the building and camera relations are made from their members' points,
    in place of what osmium made of the same relations, and a camera osmium could not
    place (no points of its own in the answer) is placed at its centre.
    """
    with TemporaryDirectory(prefix="anglemort-overpass-") as scratch:
        readable = Path(scratch, "answer.osm")
        kept = overpass_xml.readable_copy(path, readable)
        outline_on_zero = _read(readable, extract, index, cameras_only)
    given = overpass_xml.given_elements(kept)
    if not cameras_only:
        _replace_relations(extract.buildings, given.buildings)
    _replace_relations(extract.cameras, given.cameras)
    _add_where_missing(extract.cameras, given.centred)
    return outline_on_zero


def _replace_relations(elements: list, relations: list) -> None:
    """relations added to elements, in place of elements of the same relations."""
    replaced = {relation.osm_id for relation in relations}
    elements[:] = [
        element
        for element in elements
        if element.osm_type != "relation" or element.osm_id not in replaced
    ]
    elements.extend(relations)


def _add_where_missing(cameras: list[CameraElement], centred: list[CameraElement]) -> None:
    """The cameras at their given centre added, for the ways and relations that are not
    among cameras already."""
    placed = {(camera.osm_type, camera.osm_id) for camera in cameras if camera.osm_type != "node"}
    cameras.extend(camera for camera in centred if (camera.osm_type, camera.osm_id) not in placed)


def _refuse_negative_camera_nodes(extract: OsmExtract) -> None:
    """Checked after the read, not in the node callback, the hottest loop of a big import.

    Camera ways and relations were checked as they were read: a negative id left among
    the cameras is a node's.
    """
    negative = min(map(attrgetter("osm_id"), extract.cameras), default=0)
    if extract.camera_nodes is not None:
        ids = np.frombuffer(extract.camera_nodes.ids, dtype=np.int64)
        negative = min(negative, int(ids.min()) if len(ids) else 0)
    if negative < 0:
        raise NegativeIdError("node", negative)


def _locations_may_come_later(path: Path) -> bool:
    """Whether the file may hold nodes after the ways made of them.

    A .pbf is written sorted (nodes, ways, relations) by every tool that makes one. An
    .osm file may hold an Overpass answer saved as it came, whose usual raw-data query
    (`out body; >; out skel qt;`) prints the ways first and their nodes after.
    """
    return not path.name.lower().endswith(".pbf")


def _read_everything(
    path: Path, extract: OsmExtract, index: str, camera_nodes: bool = True
) -> bool:
    """Cameras, walkable ways and buildings, every way with its nodes' locations.

    osmium gives a way the locations of the nodes it has already passed. Read in one
    pass, a file with its nodes after its ways lost every street, building and camera
    way, as if all were cut off by the extract's edge. Such a file is read again, the
    node locations first: an .osm file where most of the ways read lacked their first
    node's location. An extract's edge cuts a few (121 of the 3,478 ways the Helsinki
    file gives Python); the two reads cost two and a half times one (Helsinki as .osm:
    0.5 s instead of 0.2). A file wrongly read again is read the same, only slower.
    """
    handler = _ExtractHandler(extract)
    filters = _filters(camera_nodes=camera_nodes)
    handler.apply_file(str(path), locations=True, idx=index, filters=filters)
    if not (2 * handler.ways_unlocated > handler.ways_read and _locations_may_come_later(path)):
        return handler.outline_on_zero
    extract.cameras.clear()
    if extract.camera_nodes is not None:
        extract.camera_nodes = CameraNodeRows()
    extract.ways.clear()
    extract.buildings.clear()
    handler = _ExtractHandler(extract)
    # Ways that carry their points are read as they are; else every node's location is
    # read first, then the file again with the location handler in front.
    if _ways_carry_their_points(path):
        _apply_with_areas(path, handler, filters)
        return handler.outline_on_zero
    locations = osmium.NodeLocationsForWays(osmium.index.create_map(index))
    locations.ignore_errors()
    with osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NODE) as reader:
        osmium.apply(reader, locations)
    _apply_with_areas(path, handler, filters, locations)
    return handler.outline_on_zero


def _apply_with_areas(path: Path, handler: _ExtractHandler, filters: list, *in_front) -> None:
    """SimpleHandler.apply_file for a handler with an area callback, from pyosmium's
    documented parts: the area manager's pass over the relations, then one pass with
    in_front (a location handler, or none for ways that carry their points) first."""
    entity = osmium.osm.osm_entity_bits
    areas = osmium.area.AreaManager()
    with osmium.io.Reader(str(path), entity.RELATION) as reader:
        osmium.apply(reader, *filters, areas.first_pass_handler())
    with osmium.io.Reader(str(path), entity.OBJECT) as reader:
        osmium.apply(
            reader, *in_front, areas.second_pass_handler(*filters, handler), *filters, handler
        )


def _ways_carry_their_points(path: Path) -> bool:
    """Whether the file's first way holds its nodes' places itself.

    An Overpass answer to `out geom` (overpass-turbo's default) saved as .osm has no
    node of a way: each <nd> carries lat and lon, which osmium reads, and which the
    location handler would overwrite with the places of nodes the file lacks. (Its
    relations' members carry their points in a way osmium refuses: such a file is read
    from a copy without them, _read_overpass_answer.)
    """
    for way in osmium.FileProcessor(str(path), osmium.osm.osm_entity_bits.WAY):
        if len(way.nodes):
            return way.nodes[0].location.valid()
    return False


def _read_cameras(path: Path, extract: OsmExtract, index: str, camera_nodes: bool = True) -> bool:
    """The cameras alone, without a location index over the whole file.

    Camera nodes in one pass; camera ways and relations, if any, from a small file of
    them and what they reference (pyosmium's BackReferenceWriter reads the file again for
    that), read with locations and areas as a whole file is, so every camera gets the
    very point it gets in a full read of a file sorted as OpenStreetMap files are (nodes,
    then ways, then relations). One difference: the cameras come as nodes, ways, then
    relations, where a full read may hand a relation over among the ways. A camera way
    that comes before its nodes (an Overpass answer saved as .osm) has its point here,
    as in a full read of such a file (_read_everything).
    """
    with TemporaryDirectory(prefix="anglemort-cameras-") as scratch:
        small_file = Path(scratch, "camera-ways.osm.pbf")
        with ExitStack() as writers:
            handler = _CamerasWithoutLocations(extract, path, small_file, writers)
            handler.apply_file(str(path), filters=_filters(True, camera_nodes))
        if handler.writer is None:
            return False
        ways_and_relations = _ExtractHandler(extract, cameras_only=True)
        if _locations_may_come_later(path) and _ways_carry_their_points(path):
            # The small file would hold them without their points (nor nodes to read
            # them from): the source's own ways and relations instead, as a full read.
            entity = osmium.osm.osm_entity_bits
            others = osmium.filter.EntityFilter(entity.WAY | entity.RELATION | entity.AREA)
            _apply_with_areas(path, ways_and_relations, [others, *_filters(cameras_only=True)])
            return ways_and_relations.outline_on_zero
        ways_and_relations.apply_file(
            str(small_file), locations=True, idx=index, filters=_filters(cameras_only=True)
        )
        return ways_and_relations.outline_on_zero
