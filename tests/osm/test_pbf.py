"""Reading .osm.pbf and .osm files with pyosmium into an extract (no database)."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest
import shapely

from mapping.osm.pbf import OsmFileError, read_osm_file
from tests.helsinki import HELSINKI_BBOX, HELSINKI_CAMERAS, HELSINKI_PBF
from tests.osm.builder import TESTVILLE_BBOX, at


def test_helsinki_extract_has_its_221_cameras_walkable_ways_and_buildings():
    extract = read_osm_file(HELSINKI_PBF)
    assert len(extract.cameras) == HELSINKI_CAMERAS
    assert {c.osm_type for c in extract.cameras} == {"node"}
    assert len({c.osm_id for c in extract.cameras}) == HELSINKI_CAMERAS
    assert all(c.tags["man_made"] == "surveillance" for c in extract.cameras)
    assert len(extract.ways) > 2000
    assert 440 <= len(extract.buildings) <= 460
    assert extract.extent == HELSINKI_BBOX


@pytest.mark.parametrize("suffix", [".osm", ".osm.pbf"])
def test_both_file_formats_give_the_same_extract(town, tmp_path, suffix):
    extract = read_osm_file(town.write(tmp_path / f"town{suffix}"))
    assert sorted(c.osm_id for c in extract.cameras) == [101, 102, 103]
    camera = next(c for c in extract.cameras if c.osm_id == 101)
    assert (camera.lon, camera.lat) == at(0.1, 2.1)
    assert camera.tags == {
        "man_made": "surveillance",
        "camera:direction": "90",
        "height": "5 m",
        "operator": "Ville",
    }
    assert camera.version == 1
    assert sorted(w.way_id for w in extract.ways) == [10, 11]  # the motorway is not walkable
    assert sorted((b.osm_type, b.osm_id) for b in extract.buildings) == [
        ("relation", 60),
        ("way", 50),
    ]
    assert extract.extent == TESTVILLE_BBOX


@pytest.mark.parametrize("suffix", [".osm", ".osm.pbf"])
def test_a_cameras_only_read_holds_the_same_cameras_and_no_street_or_building(
    town, tmp_path, suffix
):
    # A camera mapped as a closed way, one as an open way whose first node is a camera
    # too, and one as a multipolygon with a hole; a building that is also a footway.
    town.way(70, town.square(700, at(3, -3), 0.0001), {"man_made": "surveillance"})
    town.way(72, [101, 3], {"man_made": "surveillance", "surveillance:type": "camera"})
    town.way(73, town.square(730, at(-3, -3), 0.0003), {})
    town.way(74, town.square(740, at(-3, -3), 0.0001), {})
    town.relation(
        75,
        [("w", 73, "outer"), ("w", 74, "inner")],
        {"type": "multipolygon", "man_made": "surveillance"},
    )
    town.way(71, town.square(710, at(3, 3), 0.0001), {"building": "yes", "highway": "footway"})
    path = town.write(tmp_path / f"town{suffix}")
    everything = read_osm_file(path)

    cameras_only = read_osm_file(path, cameras_only=True)

    assert cameras_only.cameras == everything.cameras
    assert {(c.osm_type, c.osm_id) for c in cameras_only.cameras} == {
        ("node", 101), ("node", 102), ("node", 103), ("way", 70), ("way", 72),
        ("relation", 75),
    }  # fmt: skip
    assert everything.ways and everything.buildings  # what the cameras-only read left out
    assert cameras_only.ways == [] and cameras_only.buildings == []
    assert cameras_only.extent == everything.extent


def test_cameras_read_from_a_file_share_their_repeated_tag_strings():
    """One copy of "surveillance:type" or "camera" for all cameras, not one each: what keeps
    a country's cameras in a third of the memory while they wait to be written."""
    first, second = read_osm_file(HELSINKI_PBF).cameras[:2]
    shared_keys = set(first.tags) & set(second.tags)
    assert "man_made" in shared_keys
    for key in shared_keys:
        mine = next(k for k in first.tags if k == key)
        theirs = next(k for k in second.tags if k == key)
        assert mine is theirs, key
    assert first.tags["man_made"] is second.tags["man_made"]


def test_a_building_relation_keeps_its_hole(town, tmp_path):
    extract = read_osm_file(town.write(tmp_path / "town.osm"))
    relation = next(b for b in extract.buildings if b.osm_type == "relation")
    shape = shapely.from_wkb(relation.geometry)
    assert shape.geom_type == "MultiPolygon"
    assert len(shape.geoms[0].interiors) == 1


def test_surveillance_ways_and_areas_count_at_their_centroid(town, tmp_path):
    ring = town.square(700, at(6, -6), 0.0002)
    town.way(70, ring, {"man_made": "surveillance", "surveillance": "indoor"})
    town.node(710, at(8, -6)).node(711, at(10, -6))
    town.way(71, [710, 711], {"man_made": "surveillance"})  # an open way: the line's middle
    outer = town.square(720, at(-6, -6), 0.0002)
    town.way(72, outer, {})
    town.relation(73, [("w", 72, "outer")], {"type": "multipolygon", "man_made": "surveillance"})
    cameras = {
        (c.osm_type, c.osm_id): c for c in read_osm_file(town.write(tmp_path / "t.osm")).cameras
    }
    assert (cameras["way", 70].lon, cameras["way", 70].lat) == pytest.approx(at(6, -6))
    assert (cameras["way", 71].lon, cameras["way", 71].lat) == pytest.approx(at(9, -6))
    assert (cameras["relation", 73].lon, cameras["relation", 73].lat) == pytest.approx(at(-6, -6))


def test_a_way_cut_by_the_extract_edge_is_kept_in_located_pieces(town, tmp_path):
    town.node(801, at(-3, -3)).node(803, at(-1, -3)).node(804, at(0, -3))
    town.way(80, [801, 802, 803, 804], {"highway": "path"})  # node 802 is missing
    pieces = [w for w in read_osm_file(town.write(tmp_path / "t.osm")).ways if w.way_id == 80]
    assert [[n for n, _, _ in w.nodes] for w in pieces] == [[803, 804]]


def test_extent_without_a_header_box_is_the_cameras_box(town, tmp_path):
    town.box = None
    extract = read_osm_file(town.write(tmp_path / "t.osm"))
    west, south = at(-1, -1)  # camera 103
    east, north = at(1, 2.1)  # camera 102's longitude, camera 101's latitude
    assert extract.extent.as_tuple() == (west, south, east, north)


@pytest.mark.parametrize("cameras_only", [False, True])
def test_unreadable_files_raise_a_clear_error(tmp_path, cameras_only):
    with pytest.raises(OsmFileError, match="no such file"):
        read_osm_file(tmp_path / "missing.osm.pbf", cameras_only=cameras_only)
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(b"this is not a protocol buffer")
    with pytest.raises(OsmFileError, match="not readable as OpenStreetMap data"):
        read_osm_file(broken, cameras_only=cameras_only)


def test_a_cameras_only_read_cut_short_after_a_camera_way_fails_cleanly(
    town, tmp_path, monkeypatch
):
    import osmium

    writers: list = []

    class RecordedWriter(osmium.BackReferenceWriter):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            writers.append(self)

    monkeypatch.setattr(osmium, "BackReferenceWriter", RecordedWriter)
    town.way(70, town.square(700, at(3, -3), 0.0001), {"man_made": "surveillance"})
    for n in range(20000):  # enough ways after it that the camera way reaches Python first
        town.way(1000 + n, [1, 2], {"highway": "footway"})
    whole = town.write(tmp_path / "town.osm").read_text()
    cut = tmp_path / "cut.osm"  # ends inside the last way: not valid XML
    cut.write_text(whole[: whole.index('<way id="20999"') + 20])

    with pytest.raises(OsmFileError, match="not readable as OpenStreetMap data"):
        read_osm_file(cut, cameras_only=True)

    assert len(writers) == 1  # the camera way was being written when the file broke off
    assert not Path(writers[0].tmpdir.name).exists()  # the writer's scratch files are gone


def test_the_cycle_collector_is_paused_for_the_read_and_restored_after(town, tmp_path, monkeypatch):
    import gc

    import osmium

    seen = []
    real_apply = osmium.SimpleHandler.apply_file

    def spying_apply(self, *args, **kwargs):
        seen.append(gc.isenabled())
        return real_apply(self, *args, **kwargs)

    monkeypatch.setattr(osmium.SimpleHandler, "apply_file", spying_apply)
    path = town.write(tmp_path / "town.osm.pbf")
    assert gc.isenabled()
    assert len(read_osm_file(path).cameras) == 3
    assert seen == [False]
    assert gc.isenabled()
    # Cut inside its data: the header reads, the nodes do not.
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(path.read_bytes()[: path.stat().st_size * 3 // 4])
    with pytest.raises(OsmFileError):
        read_osm_file(broken)
    assert seen == [False, False]  # the failure came from inside the paused read
    assert gc.isenabled()  # back on after it
    gc.disable()
    try:
        read_osm_file(path)
        assert not gc.isenabled()  # a caller's own choice is left as it was
    finally:
        gc.enable()


def _josm_camera_node(town):
    town.camera(-5, at(1, 1), tags={"surveillance": "public"})


def _josm_camera_way(town):
    town.way(-7, town.square(700, at(3, -3), 0.0001), {"man_made": "surveillance"})


def _camera_way_given_a_new_node(town):
    corners = town.square(700, at(3, -3), 0.0001)
    town.node(-100, at(3.1, -3.1))
    town.way(70, [*corners[:2], -100, *corners[2:]], {"man_made": "surveillance"})


def _camera_relation_given_a_new_way(town):
    town.way(-8, town.square(800, at(-3, -3), 0.0001), {})
    town.relation(80, [("w", -8, "outer")], {"type": "multipolygon", "man_made": "surveillance"})


def _street_given_a_new_node(town):
    town.node(-100, at(3, 2))
    town.way(13, [3, -100], {"highway": "footway"})


def _josm_building(town):
    town.way(-9, town.square(900, at(5, -5), 0.0002), {"building": "yes"})


# (what the file gains, what the message names, whether a cameras-only read reads it)
NEGATIVE_IDS = [
    (_josm_camera_node, "node -5 has a negative id", True),
    (_josm_camera_way, "way -7 has a negative id", True),
    (_camera_way_given_a_new_node, r"node -100 \(in way 70\) has a negative id", True),
    (_camera_relation_given_a_new_way, r"way -8 \(in relation 80\) has a negative id", True),
    (_street_given_a_new_node, r"node -100 \(in way 13\) has a negative id", False),
    (_josm_building, "way -9 has a negative id", False),
]


@pytest.mark.parametrize("suffix", [".osm", ".osm.pbf"])
@pytest.mark.parametrize(("add", "message", "read_by_cameras_only"), NEGATIVE_IDS)
def test_objects_not_yet_uploaded_are_refused_by_name(
    town, tmp_path, suffix, add, message, read_by_cameras_only
):
    """A JOSM save numbers new objects -1, -2... in every session: stored, they would
    be mistaken for another file's, and osmium has no location for such nodes (the ways
    made of them were dropped without a word, a cameras-only read failed on a cast)."""
    add(town)
    path = town.write(tmp_path / f"josm{suffix}")

    with pytest.raises(OsmFileError, match=message) as refused:
        read_osm_file(path)
    assert str(refused.value).startswith(f"{path}: ")
    assert "not yet uploaded to OpenStreetMap" in str(refused.value)
    if read_by_cameras_only:
        with pytest.raises(OsmFileError, match=message):
            read_osm_file(path, cameras_only=True)
    else:  # the street or building is not read at all
        cameras = read_osm_file(path, cameras_only=True).cameras
        assert sorted(c.osm_id for c in cameras) == [101, 102, 103]


def _objects_in_reverse_order(path: Path, out: Path) -> Path:
    """The file's relations first, then its ways, then its nodes: ways before their nodes,
    as in an Overpass answer to `out body; >; out skel qt;` saved as .osm."""
    tree = ElementTree.parse(path)
    root = tree.getroot()
    by_kind = {kind: root.findall(kind) for kind in ("node", "way", "relation")}
    for elements in by_kind.values():
        for element in elements:
            root.remove(element)
    for kind in ("relation", "way", "node"):
        root.extend(by_kind[kind])
    tree.write(out, encoding="unicode")
    return out


@pytest.mark.parametrize("cameras_only", [False, True])
def test_an_osm_file_with_ways_before_their_nodes_reads_as_the_sorted_file(
    town, tmp_path, cameras_only
):
    town.way(70, town.square(700, at(3, -3), 0.0001), {"man_made": "surveillance"})
    in_order = town.write(tmp_path / "town.osm")
    reversed_file = _objects_in_reverse_order(in_order, tmp_path / "overpass.osm")
    text = reversed_file.read_text()
    assert text.index("<relation") < text.index("<way") < text.index("<node")

    expected = read_osm_file(in_order, cameras_only=cameras_only)
    got = read_osm_file(reversed_file, cameras_only=cameras_only)

    assert ("way", 70) in {(c.osm_type, c.osm_id) for c in expected.cameras}
    assert sorted(got.cameras) == sorted(expected.cameras)
    assert sorted(got.ways, key=lambda w: w.way_id) == sorted(expected.ways, key=lambda w: w.way_id)

    def by_identity(building):
        return (building.osm_type, building.osm_id)

    assert sorted(got.buildings, key=by_identity) == sorted(expected.buildings, key=by_identity)
    assert got.extent == expected.extent
    if not cameras_only:  # the streets and both buildings (a way, a relation with a hole)
        assert len(expected.ways) == 2 and len(expected.buildings) == 2


def test_the_helsinki_extract_as_osm_is_read_once_and_the_same_with_its_nodes_last(
    tmp_path, monkeypatch
):
    """On real data: an extract cut at its edge (some ways lack nodes) is not taken for a
    file with its nodes last, and such a file gives exactly what the .pbf gives."""
    import osmium

    from mapping.osm import pbf

    as_osm = tmp_path / "helsinki.osm"
    with osmium.SimpleWriter(str(as_osm)) as writer:
        for element in osmium.FileProcessor(str(HELSINKI_PBF)):
            writer.add(element)
    nodes_last = _objects_in_reverse_order(as_osm, tmp_path / "nodes-last.osm")
    handlers: list = []

    class CountedHandler(pbf._ExtractHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            handlers.append(self)

    monkeypatch.setattr(pbf, "_ExtractHandler", CountedHandler)
    expected = read_osm_file(HELSINKI_PBF)

    def same_as_expected(extract):
        assert extract.cameras == expected.cameras
        assert extract.ways == expected.ways
        assert extract.buildings == expected.buildings

    handlers.clear()
    same_as_expected(read_osm_file(as_osm))
    assert len(handlers) == 1  # read once
    assert 0 < handlers[0].ways_unlocated < handlers[0].ways_read / 10  # cut at its edge
    handlers.clear()
    same_as_expected(read_osm_file(nodes_last))
    assert len(handlers) == 2  # read again, the locations first


def _as_out_geom(path: Path, out: Path) -> Path:
    """The file as an Overpass answer to `out geom;` saved as .osm: only the elements
    with tags, every <nd> of a way carrying its node's lat and lon."""
    tree = ElementTree.parse(path)
    root = tree.getroot()
    places = {n.get("id"): (n.get("lat"), n.get("lon")) for n in root.findall("node")}
    for element in [*root.findall("node"), *root.findall("way")]:
        if element.find("tag") is None:
            root.remove(element)
    for nd in root.iter("nd"):
        nd.set("lat", places[nd.get("ref")][0])
        nd.set("lon", places[nd.get("ref")][1])
    tree.write(out, encoding="unicode")
    return out


@pytest.mark.parametrize("cameras_only", [False, True])
def test_an_osm_file_whose_ways_carry_their_points_reads_as_the_whole_file(
    town, tmp_path, cameras_only
):
    """overpass-turbo's default output, saved as .osm: no node of a way is in the file.
    osmium reads the points of each <nd>; a location handler wiped them out."""
    town.way(70, town.square(700, at(3, -3), 0.0001), {"man_made": "surveillance"})
    whole = town.write(tmp_path / "town.osm")
    geom = _as_out_geom(whole, tmp_path / "out-geom.osm")
    assert "<node" in geom.read_text() and 'lat="' in geom.read_text().split("<way")[1]

    expected = read_osm_file(whole, cameras_only=cameras_only)
    got = read_osm_file(geom, cameras_only=cameras_only)

    assert sorted(got.cameras) == sorted(expected.cameras)
    assert ("way", 70) in {(c.osm_type, c.osm_id) for c in got.cameras}
    assert sorted(got.ways, key=lambda w: w.way_id) == sorted(expected.ways, key=lambda w: w.way_id)
    # The multipolygon's member ways are not in such a file: only the building way is.
    assert got.buildings == [b for b in expected.buildings if b.osm_type == "way"]
