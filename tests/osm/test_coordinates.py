"""A coordinate that is no place (out of range, not a number, too big for a float) is
refused with the element named, by every import path, and the import changes nothing.

The paths are the real ones: the Overpass API (through the local stand-in, whose answer
text is rewritten to say what json.dumps cannot), a saved Overpass answer (`import_osm
--file answer.json`), and .osm and .osm.pbf files read by osmium.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from mapping.importer import import_bbox, import_file
from mapping.models import ImportRun
from mapping.osm.coordinates import CoordinateError, centre_point
from mapping.osm.overpass import OverpassError, read_overpass_json
from mapping.osm.pbf import OsmFileError, read_osm_file
from tests.helsinki import HELSINKI_BBOX
from tests.osm.builder import OverpassAnswer, at
from tests.osm.conftest import testville_town as make_town
from tests.osm.snapshot import database_snapshot

# A camera the Overpass stand-in adds inside Helsinki, at a place its answer's text then
# gives other coordinates.
NEW_CAMERA = 9_300_000_001
PLACEHOLDER_LAT, PLACEHOLDER_LON = 60.16791234, 24.94012345  # 8 decimals: no OSM node


def _last_run() -> ImportRun:
    return ImportRun.objects.order_by("-id").first()


# (what the answer's text says in place of the camera's coordinate, the reason given)
BAD_JSON_COORDINATES = [
    (f'"lat": {PLACEHOLDER_LAT}', '"lat": 95', "has lat 95, beyond -90..90"),
    (f'"lat": {PLACEHOLDER_LAT}', '"lat": -90.5', "has lat -90.5, beyond -90..90"),
    (f'"lon": {PLACEHOLDER_LON}', '"lon": 200.25', "has lon 200.25, beyond -180..180"),
    (f'"lat": {PLACEHOLDER_LAT}', '"lat": 1e400', "has lat 1E+400, beyond -90..90"),
    (f'"lon": {PLACEHOLDER_LON}', '"lon": -Infinity', "has lon -inf, beyond -180..180"),
    (f'"lat": {PLACEHOLDER_LAT}', '"lat": NaN', "has lat nan, not a number"),
    (f'"lat": {PLACEHOLDER_LAT}', '"lat": "60.1679"', "has lat '60.1679', not a number"),
    (f'"lon": {PLACEHOLDER_LON}', '"lon": true', "has lon True, not a number"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("placeholder", "written", "reason"), BAD_JSON_COORDINATES)
def test_an_overpass_camera_at_no_place_fails_the_import_naming_it(
    fake_overpass, helsinki, placeholder, written, reason
):
    """Before: lat 95.0 and 1e400 were stored (a camera beyond the pole, at infinity),
    lat 95 (an integer), a string, NaN or true dropped the camera without a word (and
    with it, a camera stored there would have been marked removed)."""
    fake_overpass.add_node(
        NEW_CAMERA, PLACEHOLDER_LON, PLACEHOLDER_LAT, {"man_made": "surveillance"}
    )
    fake_overpass.script(("replace", (placeholder, written)))
    before = database_snapshot()

    with pytest.raises(OverpassError) as refused:
        import_bbox(HELSINKI_BBOX)

    assert f"node {NEW_CAMERA} {reason}" in str(refused.value)
    assert str(refused.value).startswith("Overpass tile 1/1 (")
    assert database_snapshot() == before
    failed = _last_run()
    assert (failed.status, failed.kind) == ("failed", "overpass")
    assert f"node {NEW_CAMERA} {reason}" in failed.error


def _street_node_inside(server) -> tuple[int, int]:
    """A walkable way of the stand-in's data and a node in the middle of it."""
    for way_id in server.data.tagged["way"]:
        way = server.data.ways[way_id]
        nodes = way["nodes"]
        walkable = way["tags"].get("highway") == "footway" and len(nodes) > 2
        if walkable and all(node in server.data.nodes for node in nodes):
            return way_id, nodes[len(nodes) // 2]
    raise AssertionError("no footway in the data")


@pytest.mark.django_db
def test_an_overpass_street_node_at_no_place_fails_the_import_naming_it(fake_overpass, helsinki):
    """A node without a tag, given by `>; out skel qt;` for a street: before, the street
    was drawn to latitude 95."""
    _, node_id = _street_node_inside(fake_overpass)
    fake_overpass.edit("node", node_id, lat=95.0)
    before = database_snapshot()

    with pytest.raises(OverpassError, match=rf"node {node_id} has lat 95.0, beyond -90..90"):
        import_bbox(HELSINKI_BBOX)

    assert database_snapshot() == before


def _answer_with_geometry(bad_point: tuple[float, float]) -> OverpassAnswer:
    """An `out geom` answer: a street whose second point is bad_point, and a building
    relation whose member way's points are fine."""
    answer = OverpassAnswer()
    answer.node(101, at(0, 0), {"man_made": "surveillance"})
    answer.way(10, [(1, at(-1, 1)), (2, bad_point), (3, at(1, 1))], {"highway": "footway"})
    return answer


def _answer_with_member_point(bad_point: tuple[float, float]) -> OverpassAnswer:
    answer = OverpassAnswer()
    answer.node(101, at(0, 0), {"man_made": "surveillance"})
    ring = [at(-4, 4), at(-3, 4), bad_point, at(-4, 5), at(-4, 4)]
    answer.relation(60, [("way", 61, "outer", ring)], {"type": "multipolygon", "building": "yes"})
    return answer


# The same point, as JSON (95.0), as osmium reads it (95) and as Python reads the text
# of a member's point (95.0000000).
LAT_95 = r"has lat 95(\.0*)?, beyond -90\.\.90"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answer", "bad_point", "reason"),
    [
        (_answer_with_geometry, (10.0, 95.0), rf"node 2 \(in way 10\) {LAT_95}"),
        (_answer_with_geometry, (-180.5, 45.0), r"node 2 \(in way 10\) has lon -180\.50*, beyond"),
        (
            _answer_with_member_point,
            (10.0, 95.0),
            rf"point 3 of member way 61 \(in relation 60\) {LAT_95}",
        ),
    ],
)
@pytest.mark.parametrize("form", ["json", "osm"])
def test_a_saved_answer_with_a_point_at_no_place_fails_the_import_naming_it(
    tmp_path, answer, bad_point, reason, form
):
    """`out geom` gives each way, and each member way of a relation, its points: before,
    the street or the building was drawn to latitude 95 from the JSON, and from the
    .osm the street was cut there without a word and the member point was refused
    without saying whose it was."""
    import_file(make_town().write(tmp_path / "town.osm.pbf"))
    before = database_snapshot()
    write = {"json": answer(bad_point).write_json, "osm": answer(bad_point).write_xml}[form]
    path = write(tmp_path / f"answer.{form}")

    with pytest.raises((OverpassError, OsmFileError)) as refused:
        import_file(path)

    assert str(refused.value).startswith(f"{path}: ")
    assert re.search(reason, str(refused.value))
    assert database_snapshot() == before
    assert re.search(reason, _last_run().error)


def _camera_at(lonlat):
    town = make_town()
    town.camera(104, lonlat)
    return town


def _street_node_at(lonlat):
    town = make_town()
    town.node(4, lonlat)  # of way 11 (residential) and way 12 (motorway)
    return town


def _camera_way_node_at(lonlat):
    town = make_town()
    nodes = town.square(700, at(3, -3), 0.0001)
    town.node(701, lonlat)
    town.way(70, nodes, {"man_made": "surveillance"})
    return town


# (the town with a bad place, what the refusal says, whether a cameras-only read meets it)
BAD_FILE_PLACES = [
    (_camera_at, (10.0, 95.0), "node 104 has lat 95, beyond -90..90", True),
    (_camera_at, (10.0, -90.0000001), "node 104 has lat -90.0000001, beyond -90..90", True),
    (_camera_at, (180.5, 45.0), "node 104 has lon 180.5, beyond -180..180", True),
    (_street_node_at, (10.0, 95.0), "node 4 (in way 11) has lat 95, beyond -90..90", False),
    (_camera_way_node_at, (10.0, 95.0), "node 701 (in way 70) has lat 95, beyond", True),
]


@pytest.mark.django_db
@pytest.mark.parametrize("cameras_only", [False, True], ids=["full", "cameras only"])
@pytest.mark.parametrize("suffix", [".osm", ".osm.pbf"])
@pytest.mark.parametrize(("make", "place", "reason", "read_by_cameras_only"), BAD_FILE_PLACES)
def test_a_file_with_a_node_at_no_place_fails_the_import_naming_it(
    tmp_path, make, place, reason, read_by_cameras_only, suffix, cameras_only
):
    """osmium reads such a location as not valid: before, the camera node was left out
    without a word (a camera stored there would have been marked removed), a street or
    a camera outline was cut at that node. The .pbf cameras-only read, 2.5 million
    cameras for a country, adds no Python work per camera: osmium's own check of the
    location does it (mapping.osm.pbf._CameraNodes)."""
    import_file(make_town().write(tmp_path / "town.osm.pbf"))
    before = database_snapshot()
    path = make(place).write(tmp_path / f"bad{suffix}")

    if cameras_only and not read_by_cameras_only:  # a street: not read at all
        import_file(path, cameras_only=True)
        return
    with pytest.raises(OsmFileError) as refused:
        import_file(path, cameras_only=cameras_only)

    assert str(refused.value) == f"{path}: {reason}" or reason in str(refused.value)
    assert str(refused.value).startswith(f"{path}: ")
    assert database_snapshot() == before
    assert reason in _last_run().error


def _osm_text_with_camera(tmp_path: Path, lat: str, lon: str) -> Path:
    town = make_town()
    town.camera(104, (10.0015, 45.0015))
    text = town.write(tmp_path / "town.osm").read_text()
    written = '<node id="104" version="1" lat="45.0015" lon="10.0015">'
    assert written in text
    path = tmp_path / "bad.osm"
    path.write_text(text.replace(written, f'<node id="104" version="1" lat="{lat}" lon="{lon}">'))
    return path


@pytest.mark.django_db
@pytest.mark.parametrize("cameras_only", [False, True], ids=["full", "cameras only"])
@pytest.mark.parametrize(
    ("lat", "lon", "reason"),
    [
        ("north", "10.0015", "node 104 has lat 'north', not a number"),
        ("45.0015", "nan", "node 104 has lon 'nan', not a number"),
        ("45.0015", "1e400", "node 104 has lon 1e400, beyond -180..180"),
        ("1e99", "10.0015", "node 104 has lat 1e99, beyond -90..90"),
        ("45.0015", "1e40", "node 104 has lon 1e40, beyond -180..180"),
    ],
)
def test_an_osm_file_with_a_coordinate_that_is_no_number_fails_naming_the_node(
    tmp_path, lat, lon, reason, cameras_only
):
    """osmium refuses "north" or "nan" with a message that names no element (an uncaught
    InvalidLocationError before: a traceback), and reads a number with an exponent of 56
    or more (1e400) as 0: before, the camera was stored on the prime meridian and the
    area taken as covered stretched to it, marking removed every stored camera between."""
    import_file(make_town().write(tmp_path / "town.osm.pbf"))
    before = database_snapshot()
    path = _osm_text_with_camera(tmp_path, lat, lon)

    with pytest.raises(OsmFileError) as refused:
        import_file(path, cameras_only=cameras_only)

    assert str(refused.value) == f"{path}: {reason}"
    assert database_snapshot() == before


def test_a_compressed_osm_file_is_looked_at_again_as_osmium_reads_it(tmp_path):
    text = _osm_text_with_camera(tmp_path, "45.0015", "1e400").read_bytes()
    path = tmp_path / "bad.osm.gz"
    path.write_bytes(gzip.compress(text))

    with pytest.raises(OsmFileError, match=r"node 104 has lon 1e400, beyond -180\.\.180"):
        read_osm_file(path)


@pytest.mark.parametrize(
    ("corner", "reason"),
    [
        ('maxlat="95"', "has maxlat 95, beyond -90..90"),
        ('maxlon="1e400"', "has maxlon 1e400, beyond -180..180"),
        ('maxlat="north"', "has maxlat 'north', not a number"),
    ],
)
def test_bounds_at_no_place_are_refused(tmp_path, corner, reason):
    """osmium left out a corner out of range (the file's box, where what the file lacks
    is marked removed, shrank to the other corner), read 1e400 as 0 (the box stretched
    to the prime meridian) and refused "north" without saying where."""
    path = make_town().write(tmp_path / "town.osm")
    text = path.read_text()
    name = corner.split("=")[0]
    written = re.search(rf'{name}="[^"]*"', text).group(0)
    path.write_text(text.replace(written, corner))

    with pytest.raises(OsmFileError) as refused:
        read_osm_file(path)

    assert str(refused.value) == f"{path}: the file's <bounds> {reason}"


@pytest.mark.parametrize("cameras_only", [False, True], ids=["full", "cameras only"])
def test_a_camera_node_given_no_location_is_left_out_as_from_json(tmp_path, cameras_only):
    """`out tags` prints a node without lat and lon: no place to refuse, nor to import."""
    text = _osm_text_with_camera(tmp_path, "45.0015", "10.0015").read_text()
    path = tmp_path / "out-tags.osm"
    path.write_text(text.replace(' lat="45.0015" lon="10.0015"', ""))
    answer = '{"elements": [{"type": "node", "id": 104, "tags": {"man_made": "surveillance"}}]}'

    read = read_osm_file(path, cameras_only=cameras_only)

    assert sorted(c.osm_id for c in read.cameras) == [101, 102, 103]
    assert read_overpass_json(answer).cameras == []


def test_a_camera_truly_on_the_prime_meridian_is_read(tmp_path):
    """0 is a place: the file is looked at again, and it says 0."""
    town = make_town()
    town.camera(104, (0.0, 45.0))
    path = town.write(tmp_path / "meridian.osm")

    cameras = read_osm_file(path).cameras

    assert (0.0, 45.0) in {(c.lon, c.lat) for c in cameras}


@pytest.mark.django_db
def test_the_command_says_which_node_and_that_the_database_is_unchanged(tmp_path):
    path = _camera_at((10.0, 95.0)).write(tmp_path / "bad.osm")

    with pytest.raises(
        CommandError,
        match=r"import failed, database unchanged: .*bad\.osm: node 104 has lat 95, beyond",
    ):
        call_command("import_osm", file=str(path))


@pytest.mark.parametrize(
    ("lat", "lon", "reason"),
    [
        (None, 10.0, "has no lat"),
        (95, 10.0, "has lat 95, beyond -90..90"),
        ("95.0000000", "10", "has lat 95.0000000, beyond -90..90"),
        (45, "east", "has lon 'east', not a number"),
        (45, float("nan"), "has lon nan, not a number"),
    ],
)
def test_a_centre_at_no_place_says_which_coordinate(lat, lon, reason):
    with pytest.raises(CoordinateError, match=reason):
        centre_point(lat, lon)


def test_a_centre_in_range_is_lon_lat():
    assert centre_point("45.5", 10) == (10.0, 45.5)
    assert centre_point(-90, "-180") == (-180.0, -90.0)
