"""An Overpass answer to `out geom` saved as XML (.osm) reads as the same answer saved as JSON.

Overpass gives each member way of a relation its points inside the <member>, which
osmium refuses: a building or camera mapped as a multipolygon has to come through
mapping.osm.overpass_xml, and must come out as mapping.osm.overpass makes it from JSON.
"""

from __future__ import annotations

import pytest
from django.db import connection

from mapping.importer import import_file, read_any_file
from mapping.models import Camera
from mapping.osm import overpass_xml
from mapping.osm.pbf import OsmFileError, read_osm_file
from tests.osm.builder import TESTVILLE_BBOX, OverpassAnswer, Point, at

CAMERA_RELATION = 75
BUILDING_RELATION = 60


def ring(centre: tuple[float, float], half: float) -> list[Point]:
    """A closed square's points around centre (lon, lat), half its side in degrees."""
    lon, lat = centre
    corners = [(lon - half, lat - half), (lon + half, lat - half), (lon + half, lat + half)]
    corners.append((lon - half, lat + half))
    points = [(round(x, 7), round(y, 7)) for x, y in corners]
    return [*points, points[0]]


def way_nodes(first_id: int, points: list[Point]) -> list[tuple[int, Point]]:
    """Node ids for a closed ring's points (the last repeats the first)."""
    ids = [first_id + k for k in range(len(points) - 1)]
    return list(zip([*ids, ids[0]], points, strict=True))


def out_geom_answer(meta: bool = False) -> OverpassAnswer:
    """A camera node, a street cut by the box, a building way; a building multipolygon
    with a hole and a second outer ring cropped (one corner outside: a gap, not a
    triangle), a building whose only member lies wholly outside, and a camera mapped
    as a multipolygon with a hole."""
    answer = OverpassAnswer(meta=meta)
    answer.node(101, at(0.1, 2.1), {"man_made": "surveillance", "camera:direction": "90"})
    answer.way(10, [(1, at(-2, 2)), (2, at(0, 2)), (3, at(2, 2)), (4, None)],
               {"highway": "footway", "name": "Rue A"})  # fmt: skip
    answer.way(50, way_nodes(500, ring(at(4, 4), 0.0002)), {"building": "yes"})
    cropped = ring(at(-8, 4), 0.0002)
    cropped[2] = None
    answer.relation(
        BUILDING_RELATION,
        [
            ("way", 61, "outer", ring(at(-4, 4), 0.0003)),
            ("way", 62, "inner", ring(at(-4, 4), 0.0001)),
            ("way", 63, "outer", cropped),
            ("node", 101, "", []),
        ],
        {"type": "multipolygon", "building": "apartments"},
    )
    answer.relation(
        65, [("way", 66, "outer", [None] * 5)], {"type": "multipolygon", "building": "yes"}
    )
    answer.relation(
        CAMERA_RELATION,
        [
            ("way", 73, "outer", ring(at(-3, -3), 0.0003)),
            ("way", 74, "inner", ring(at(-3, -3), 0.0001)),
        ],
        {"type": "multipolygon", "man_made": "surveillance", "surveillance": "public",
         "camera:type": "dome", "height": "6"},
    )  # fmt: skip
    return answer


def _identities(elements) -> list[tuple[str, int]]:
    return sorted((element.osm_type, element.osm_id) for element in elements)


@pytest.mark.parametrize("suffix", [".osm", ".osm.bz2"])
@pytest.mark.parametrize("meta", [False, True], ids=["out geom", "out meta geom"])
def test_the_xml_answer_holds_the_relations_of_the_json_answer(tmp_path, meta, suffix):
    answer = out_geom_answer(meta)
    as_json = read_any_file(answer.write_json(tmp_path / "answer.json"))

    as_xml = read_osm_file(answer.write_xml(tmp_path / f"answer{suffix}"))

    assert _identities(as_xml.cameras) == [("node", 101), ("relation", CAMERA_RELATION)]
    assert sorted(as_xml.cameras) == sorted(as_json.cameras)
    camera = next(c for c in as_xml.cameras if c.osm_type == "relation")
    assert (camera.lon, camera.lat) == pytest.approx(at(-3, -3))
    assert camera.version == (CAMERA_RELATION % 7 + 1 if meta else None)
    assert camera.tags["camera:type"] == "dome"

    def relations(extract):
        return [b for b in extract.buildings if b.osm_type == "relation"]

    # The same lines, to the character: the building relation, split at its cropped
    # point; the one wholly outside is no building.
    assert relations(as_xml) == relations(as_json)
    assert [b.osm_id for b in relations(as_xml)] == [BUILDING_RELATION]
    assert _identities(as_xml.buildings) == [("relation", BUILDING_RELATION), ("way", 50)]
    assert as_xml.ways == as_json.ways  # the street keeps its points, cut at its gap
    assert [[n for n, _, _ in w.nodes] for w in as_xml.ways] == [[1, 2, 3]]
    assert as_xml.extent == TESTVILLE_BBOX  # the answer's <bounds>


def test_a_cameras_only_read_of_the_xml_answer_holds_the_same_cameras(tmp_path):
    path = out_geom_answer().write_xml(tmp_path / "answer.osm")

    cameras_only = read_osm_file(path, cameras_only=True)

    assert sorted(cameras_only.cameras) == sorted(read_osm_file(path).cameras)
    assert ("relation", CAMERA_RELATION) in _identities(cameras_only.cameras)
    assert cameras_only.buildings == [] and cameras_only.ways == []


def test_a_relation_whose_member_ways_are_in_the_answer_too_is_read_once(tmp_path):
    """osmium assembles such a relation from the ways; the members' points make it
    instead, as the JSON reader's lines do, and it counts once."""
    answer = out_geom_answer()
    answer.way(61, way_nodes(610, ring(at(-4, 4), 0.0003)), {"building:part": "yes"})
    answer.way(62, way_nodes(620, ring(at(-4, 4), 0.0001)), {"building:part": "yes"})
    answer.way(73, way_nodes(730, ring(at(-3, -3), 0.0003)), {"building:part": "yes"})
    answer.way(74, way_nodes(740, ring(at(-3, -3), 0.0001)), {"building:part": "yes"})
    answer.relations[0][1].pop(2)  # 60 without its cropped ring: osmium can assemble it
    as_json = read_any_file(answer.write_json(tmp_path / "answer.json"))

    as_xml = read_osm_file(answer.write_xml(tmp_path / "answer.osm"))

    assert _identities(as_xml.buildings) == [("relation", BUILDING_RELATION), ("way", 50)]
    assert _identities(as_xml.cameras) == [("node", 101), ("relation", CAMERA_RELATION)]
    assert sorted(as_xml.cameras) == sorted(as_json.cameras)
    assert [b for b in as_xml.buildings if b.osm_type == "relation"] == [
        b for b in as_json.buildings if b.osm_type == "relation"
    ]


def test_a_file_without_member_points_is_read_once(town, tmp_path, monkeypatch):
    """Only a file osmium refuses for its members' points or centres is read a second time."""

    def not_for_this_file(*args):
        raise AssertionError("read again")

    monkeypatch.setattr(overpass_xml, "readable_copy", not_for_this_file)
    town.way(73, town.square(730, at(-3, -3), 0.0003), {})
    town.relation(75, [("w", 73, "outer")], {"type": "multipolygon", "man_made": "surveillance"})

    extract = read_osm_file(town.write(tmp_path / "town.osm"))

    assert ("relation", 75) in _identities(extract.cameras)
    assert _identities(extract.buildings) == [("relation", 60), ("way", 50)]


def _negative_member(answer: OverpassAnswer) -> None:
    answer.relations[-1][1].append(("way", -8, "outer", ring(at(-6, -6), 0.0001)))


def _negative_relation(answer: OverpassAnswer) -> None:
    osm_id, members, tags = answer.relations.pop()
    answer.relation(-osm_id, members, tags)


@pytest.mark.parametrize("cameras_only", [False, True])
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_negative_member, r"way -8 \(in relation 75\) has a negative id"),
        (_negative_relation, "relation -75 has a negative id"),
    ],
)
def test_objects_not_yet_uploaded_are_refused_in_an_xml_answer(
    tmp_path, change, message, cameras_only
):
    answer = out_geom_answer()
    change(answer)
    path = answer.write_xml(tmp_path / "answer.osm")

    with pytest.raises(OsmFileError, match=message) as refused:
        read_osm_file(path, cameras_only=cameras_only)
    assert str(refused.value).startswith(f"{path}: ")


@pytest.mark.parametrize("cameras_only", [False, True])
def test_an_xml_answer_cut_short_or_with_a_bad_point_is_a_clear_error(tmp_path, cameras_only):
    text = out_geom_answer().write_xml(tmp_path / "answer.osm").read_text()
    cut = tmp_path / "cut.osm"  # ends inside the camera relation, after its first member
    cut.write_text(text[: text.index('<member type="way" ref="74"')])
    bad = tmp_path / "bad.osm"
    bad.write_text(text.replace('<nd lat="', '<nd lat="x', 1))  # a member's point

    for path, reason in (
        (cut, "not readable as OpenStreetMap data (no element found"),
        (bad, "point 1 of member way 61 (in relation 60) has lat 'x45.0017000', not a number"),
    ):
        with pytest.raises(OsmFileError) as refused:
            read_osm_file(path, cameras_only=cameras_only)
        assert reason in str(refused.value)
        assert str(refused.value).startswith(f"{path}: ")


def _buildings() -> list[tuple]:
    """The stored buildings of Testville: identity, normalised outline, holes, parts."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT osm_type, osm_id, ST_AsText(ST_Normalize(geom)), ST_NumGeometries(geom),
                   ST_NumInteriorRings(ST_GeometryN(geom, 1))
            FROM mapping_building
            WHERE geom && ST_MakeEnvelope(9.99, 44.99, 10.01, 45.01, 4326)
            ORDER BY osm_type, osm_id
            """
        )
        return cursor.fetchall()


def _cameras() -> list[tuple]:
    fields = ("osm_type", "osm_id", "osm_version", "tags", "status", "surveillance",
              "camera_type", "height", "directions")  # fmt: skip
    rows = Camera.objects.filter(source="osm", osm_id__in=[101, CAMERA_RELATION])
    return [
        (*row[:-1], row[-1].coords)
        for row in rows.order_by("osm_type", "osm_id").values_list(*fields, "location")
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("meta", [False, True], ids=["out geom", "out meta geom"])
def test_the_xml_answer_imports_the_buildings_and_cameras_of_the_json_answer(tmp_path, meta):
    answer = out_geom_answer(meta)
    import_file(answer.write_json(tmp_path / "answer.json"), area=TESTVILLE_BBOX)
    buildings, cameras = _buildings(), _cameras()

    summary = import_file(answer.write_xml(tmp_path / "answer.osm"), area=TESTVILLE_BBOX)

    counts = summary.counts
    assert (counts.cameras_new, counts.cameras_updated, counts.cameras_removed) == (0, 0, 0)
    assert (counts.buildings_added, counts.buildings_updated, counts.buildings_removed) == (0, 0, 0)
    assert _buildings() == buildings
    assert _cameras() == cameras
    # The multipolygon with its hole, without a triangle across its cropped ring; the
    # camera at its ring's centre, its tags read.
    assert [
        (osm_type, osm_id, parts, holes) for osm_type, osm_id, _, parts, holes in buildings
    ] == [
        ("relation", BUILDING_RELATION, 1, 1),
        ("way", 50, 1, 0),
    ]
    relation = next(row for row in cameras if row[0] == "relation")
    assert relation[-1] == pytest.approx(at(-3, -3))
    assert relation[2] == (CAMERA_RELATION % 7 + 1 if meta else None)
    assert relation[5:8] == ("public", "dome", 6.0)
