"""An Overpass answer to `out center` saved as XML (.osm) reads as the same answer saved as JSON.

Overpass gives each way and relation a <center lat lon/> there, which osmium refuses
("Unknown element in <way>: center"): a camera mapped as an outline or a multipolygon
has to come through mapping.osm.overpass_xml, placed at that centre as
mapping.osm.overpass places it from JSON, and what has no points (a street or a
building given only its centre) must stay out, as it does from JSON.
"""

from __future__ import annotations

import pytest
from django.db import connection

from mapping.importer import import_file, read_any_file
from mapping.models import Camera
from mapping.osm.pbf import OsmFileError, read_osm_file
from tests.osm.builder import TESTVILLE_BBOX, OverpassAnswer, at
from tests.osm.test_overpass_xml import out_geom_answer, ring, way_nodes

# Above the out geom answer's ids (tests.osm.test_overpass_xml), and in the order they
# are added: osmium assembles areas only from ways in id order.
CAMERA_NODE, CAMERA_WAY, CAMERA_RELATION = 101, 80, 85
STREET, BUILDING_WAY, BUILDING_RELATION = 70, 71, 90
CAMERA_WAY_TAGS = {"man_made": "surveillance", "surveillance:type": "camera",
                   "camera:mount": "wall", "camera:direction": "180", "height": "4"}  # fmt: skip
CAMERA_RELATION_TAGS = {"type": "multipolygon", "man_made": "surveillance",
                        "surveillance": "public", "camera:type": "dome", "height": "6"}  # fmt: skip
STYLES = ["out center", "out tags center"]


def add_out_center(answer: OverpassAnswer, style: str = "out center") -> OverpassAnswer:
    """What `out center` prints of a street, a building outline, a building multipolygon,
    a camera mapped as an outline and one as a multipolygon: none of their nodes or
    member ways (no `>; out skel`); no node ids nor members with `out tags center`."""
    with_ids = style == "out center"

    def ids(node_ids: list[int]) -> list[int]:
        return node_ids if with_ids else []

    def members(members: list[tuple[str, int, str]]) -> list[tuple[str, int, str]]:
        return members if with_ids else []

    answer.way_with_centre(STREET, ids([701, 702, 703]), at(0, -1), {"highway": "residential"})
    answer.way_with_centre(BUILDING_WAY, ids([710, 711, 712, 713, 710]), at(5, -4),
                           {"building": "yes"})  # fmt: skip
    answer.way_with_centre(CAMERA_WAY, ids([800, 801, 802, 803, 800]), at(2, -2), CAMERA_WAY_TAGS)
    answer.relation_with_centre(
        BUILDING_RELATION,
        members([("way", 91, "outer"), ("way", 92, "inner")]),
        at(-5, -5),
        {"type": "multipolygon", "building": "apartments"},
    )
    answer.relation_with_centre(
        CAMERA_RELATION,
        members([("way", 86, "outer"), ("way", 87, "inner")]),
        at(-3, 3),
        CAMERA_RELATION_TAGS,
    )
    return answer


def out_center_answer(meta: bool = False, style: str = "out center") -> OverpassAnswer:
    """A camera node, and what add_out_center adds."""
    answer = OverpassAnswer(meta=meta)
    answer.node(CAMERA_NODE, at(0.1, 2.1), {"man_made": "surveillance", "camera:direction": "90"})
    return add_out_center(answer, style)


def _identities(elements) -> list[tuple[str, int]]:
    return sorted((element.osm_type, element.osm_id) for element in elements)


@pytest.mark.parametrize("suffix", [".osm", ".osm.bz2"])
@pytest.mark.parametrize("meta", [False, True], ids=["plain", "meta"])
@pytest.mark.parametrize("style", STYLES)
def test_the_xml_answer_places_the_cameras_of_the_json_answer(tmp_path, style, meta, suffix):
    answer = out_center_answer(meta, style)
    as_json = read_any_file(answer.write_json(tmp_path / "answer.json"))

    as_xml = read_osm_file(answer.write_xml(tmp_path / f"answer{suffix}"))

    assert sorted(as_xml.cameras) == sorted(as_json.cameras)
    assert _identities(as_xml.cameras) == [
        ("node", CAMERA_NODE), ("relation", CAMERA_RELATION), ("way", CAMERA_WAY)
    ]  # fmt: skip
    by_type = {camera.osm_type: camera for camera in as_xml.cameras}
    assert (by_type["way"].lon, by_type["way"].lat) == at(2, -2)  # the centre given
    assert (by_type["relation"].lon, by_type["relation"].lat) == at(-3, 3)
    assert by_type["way"].tags == CAMERA_WAY_TAGS
    assert by_type["relation"].tags == CAMERA_RELATION_TAGS
    expected_versions = (CAMERA_WAY % 7 + 1, CAMERA_RELATION % 7 + 1) if meta else (None, None)
    assert (by_type["way"].version, by_type["relation"].version) == expected_versions
    # A centre is no outline and no line: no building, no street, from either.
    assert as_xml.buildings == as_json.buildings == []
    assert as_xml.ways == as_json.ways == []
    assert as_xml.extent == TESTVILLE_BBOX  # the answer's <bounds>


def test_with_the_nodes_of_its_ways_the_outlines_are_read_from_them(tmp_path):
    """`out center; >; out skel qt;` brings the ways' nodes: from JSON the camera way is
    at its outline's centroid and the street and building are kept; the same from XML."""
    answer = out_center_answer()
    for node_id, point in [(701, at(-1, -1)), (702, at(0, -1)), (703, at(1, -1))]:
        answer.node(node_id, point, {})
    for first, centre in [(710, at(5, -4)), (800, at(2.2, -2.1))]:
        for node_id, point in way_nodes(first, ring(centre, 0.0002))[:-1]:
            answer.node(node_id, point, {})
    as_json = read_any_file(answer.write_json(tmp_path / "answer.json"))

    as_xml = read_osm_file(answer.write_xml(tmp_path / "answer.osm"))

    assert _identities(as_xml.cameras) == _identities(as_json.cameras)
    for got, expected in zip(sorted(as_xml.cameras), sorted(as_json.cameras), strict=True):
        assert (got.lon, got.lat) == pytest.approx((expected.lon, expected.lat), abs=1e-9)
        assert got.tags == expected.tags
    way = next(camera for camera in as_xml.cameras if camera.osm_type == "way")
    assert (way.lon, way.lat) == pytest.approx(at(2.2, -2.1), abs=1e-9)  # not the centre
    assert as_xml.ways == as_json.ways
    assert [w.way_id for w in as_xml.ways] == [STREET]
    assert _identities(as_xml.buildings) == _identities(as_json.buildings)
    assert _identities(as_xml.buildings) == [("way", BUILDING_WAY)]


@pytest.mark.parametrize("style", STYLES)
def test_a_cameras_only_read_of_the_xml_answer_holds_the_same_cameras(tmp_path, style):
    path = out_center_answer(style=style).write_xml(tmp_path / "answer.osm")

    cameras_only = read_osm_file(path, cameras_only=True)

    assert sorted(cameras_only.cameras) == sorted(read_osm_file(path).cameras)
    assert ("way", CAMERA_WAY) in _identities(cameras_only.cameras)
    assert cameras_only.buildings == [] and cameras_only.ways == []


def combined_answer(meta: bool = False, style: str = "out center") -> OverpassAnswer:
    """One query with an `out geom` then an `out center`: the out geom answer's street,
    buildings and camera relation, then the centred elements (higher ids: see above)."""
    return add_out_center(out_geom_answer(meta), style)


@pytest.mark.parametrize("style", STYLES)
def test_an_answer_with_out_geom_and_out_center_reads_as_its_json(tmp_path, style):
    answer = combined_answer(style=style)
    as_json = read_any_file(answer.write_json(tmp_path / "answer.json"))

    as_xml = read_osm_file(answer.write_xml(tmp_path / "answer.osm"))

    assert sorted(as_xml.cameras) == sorted(as_json.cameras)
    assert ("way", CAMERA_WAY) in _identities(as_xml.cameras)
    assert ("relation", 75) in _identities(as_xml.cameras)  # the out geom camera relation
    assert as_xml.ways == as_json.ways  # the out geom street, cut at its gap; not STREET
    assert [w.way_id for w in as_xml.ways] == [10]
    assert _identities(as_xml.buildings) == _identities(as_json.buildings)
    assert _identities(as_xml.buildings) == [("relation", 60), ("way", 50)]
    assert [b for b in as_xml.buildings if b.osm_type == "relation"] == [
        b for b in as_json.buildings if b.osm_type == "relation"
    ]


def _renumber(answer: OverpassAnswer, kind: str, osm_id: int, new_id: int) -> None:
    """The element given another id, first of its kind (ways must stay in id order)."""
    elements = answer.ways if kind == "way" else answer.relations
    index = next(k for k, element in enumerate(elements) if element[0] == osm_id)
    _, parts, tags = elements.pop(index)
    elements.insert(0, (new_id, parts, tags))
    answer.centres[kind, new_id] = answer.centres.pop((kind, osm_id))


def _negative_camera_way(answer: OverpassAnswer) -> None:
    _renumber(answer, "way", CAMERA_WAY, -CAMERA_WAY)


def _negative_node_of_camera_way(answer: OverpassAnswer) -> None:
    _, nodes, _ = next(way for way in answer.ways if way[0] == CAMERA_WAY)
    nodes[1] = (-801, None)


def _negative_camera_relation(answer: OverpassAnswer) -> None:
    _renumber(answer, "relation", CAMERA_RELATION, -CAMERA_RELATION)


@pytest.mark.parametrize("cameras_only", [False, True])
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_negative_camera_way, f"way -{CAMERA_WAY} has a negative id"),
        (_negative_node_of_camera_way, rf"node -801 \(in way {CAMERA_WAY}\) has a negative id"),
        (_negative_camera_relation, f"relation -{CAMERA_RELATION} has a negative id"),
    ],
)
def test_objects_not_yet_uploaded_are_refused_in_an_xml_answer(
    tmp_path, change, message, cameras_only
):
    answer = out_center_answer()
    change(answer)
    path = answer.write_xml(tmp_path / "answer.osm")

    with pytest.raises(OsmFileError, match=message) as refused:
        read_osm_file(path, cameras_only=cameras_only)
    assert str(refused.value).startswith(f"{path}: ")


@pytest.mark.parametrize("cameras_only", [False, True])
@pytest.mark.parametrize(
    ("centre", "reason"),
    [
        ('<center lon="10.0010000"/>', "has no lat"),
        ('<center lat="north" lon="10.0010000"/>', "has lat 'north', not a number"),
        ('<center lat="45.0010000" lon="nan"/>', "has lon 'nan', not a number"),
        ('<center lat="95.0000000" lon="10.0010000"/>', "has lat 95.0000000, beyond -90..90"),
    ],
)
def test_an_xml_answer_with_a_bad_centre_is_a_clear_error(tmp_path, centre, reason, cameras_only):
    text = out_center_answer().write_xml(tmp_path / "answer.osm").read_text()
    lon, lat = at(2, -2)
    given = f'<center lat="{lat:.7f}" lon="{lon:.7f}"/>'
    assert given in text
    bad = tmp_path / "bad.osm"
    bad.write_text(text.replace(given, centre))

    with pytest.raises(OsmFileError) as refused:
        read_osm_file(bad, cameras_only=cameras_only)
    assert str(refused.value) == f"{bad}: the centre of way {CAMERA_WAY} {reason}"


def _stored() -> tuple[list, list, list]:
    """Testville's stored cameras (identity, version, tags, point), buildings and street
    segments (identity and normalised geometry)."""
    cameras = Camera.objects.filter(source="osm", location__within=TESTVILLE_BBOX.polygon())
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT osm_type, osm_id, ST_AsText(ST_Normalize(geom)) FROM mapping_building
            WHERE geom && ST_MakeEnvelope(9.99, 44.99, 10.01, 45.01, 4326)
            ORDER BY osm_type, osm_id
            """
        )
        buildings = cursor.fetchall()
        cursor.execute(
            """
            SELECT way_id, ST_AsText(geom) FROM mapping_streetsegment
            WHERE geom && ST_MakeEnvelope(9.99, 44.99, 10.01, 45.01, 4326)
            ORDER BY way_id, ST_AsText(geom)
            """
        )
        segments = cursor.fetchall()
    fields = ("osm_type", "osm_id", "osm_version", "tags", "status", "camera_type", "height")
    rows = cameras.order_by("osm_type", "osm_id").values_list(*fields, "location")
    return [(*row[:-1], row[-1].coords) for row in rows], buildings, segments


@pytest.mark.django_db
@pytest.mark.parametrize("meta", [False, True], ids=["out center", "out meta center"])
def test_the_xml_answer_imports_what_the_json_answer_imports(tmp_path, meta):
    answer = combined_answer(meta)
    import_file(answer.write_json(tmp_path / "answer.json"), area=TESTVILLE_BBOX)
    cameras, buildings, segments = _stored()

    summary = import_file(answer.write_xml(tmp_path / "answer.osm"), area=TESTVILLE_BBOX)

    counts = summary.counts
    assert (counts.cameras_new, counts.cameras_updated, counts.cameras_removed) == (0, 0, 0)
    assert (counts.buildings_added, counts.buildings_updated, counts.buildings_removed) == (0, 0, 0)
    assert (counts.segments_added, counts.segments_removed) == (0, 0)
    assert _stored() == (cameras, buildings, segments)
    # The cameras at their centres, their tags read; nothing stored for the centred
    # street and buildings.
    by_id = {row[1]: row for row in cameras}
    assert by_id[CAMERA_WAY][-1] == pytest.approx(at(2, -2))
    assert by_id[CAMERA_WAY][2] == (CAMERA_WAY % 7 + 1 if meta else None)
    assert by_id[CAMERA_RELATION][-1] == pytest.approx(at(-3, 3))
    assert by_id[CAMERA_RELATION][5:-1] == ("dome", 6.0)
    assert [row[:2] for row in buildings] == [("relation", 60), ("way", 50)]
    assert {row[0] for row in segments} == {10}
