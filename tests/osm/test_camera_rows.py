"""Camera nodes read as their COPY fields (mapping.camera_rows) write exactly what the same
cameras read as CameraElements write: line for line, unparsed keys, order, identities."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from django.db import connection, transaction
from django.utils import timezone

from mapping.camera_lines import ewkb_places, lon_lat, point_ewkb
from mapping.camera_rows import CameraNodeRows, CameraRows
from mapping.importer import import_file
from mapping.models import Camera
from mapping.osm.extract import CameraElement
from mapping.osm.pbf import OsmFileError, read_osm_file
from mapping.sync import write_extract
from tests.osm.builder import at
from tests.osm.test_first_import import _camera_rows

NODES = [
    CameraElement("node", 7, 3, 10.5, 45.25, {"man_made": "surveillance", "height": "tall"}),
    # Tab, newline and backslash in free text: escaped in the text fields and the JSON.
    CameraElement(
        "node", 8, None, -0.125, 1e-7,
        {"man_made": "surveillance", "name": "a\tb\nc\\d", "operator": "x\\y",
         "camera:direction": "NE;90", "surveillance:type": "ANPR"},
    ),
    CameraElement("node", 9, 1, 179.9999999, -89.5, {"man_made": "surveillance", "é": "ü"}),
]  # fmt: skip
WAY = CameraElement("way", 7, 2, 10.0, 45.0, {"man_made": "surveillance", "height": "high"})


def _made(elements: list[CameraElement]) -> CameraNodeRows:
    rows = CameraNodeRows()
    for e in elements:
        rows.add(e.osm_id, e.version, e.lon, e.lat, e.tags)
    return rows


def _lines(rows: CameraRows, place) -> tuple[list[str], Counter[str]]:
    unparsed: Counter[str] = Counter()
    return list(rows.lines(range(len(rows)), unparsed, place)), unparsed


@pytest.mark.parametrize("place", [point_ewkb, lon_lat])
def test_made_rows_give_the_lines_and_unparsed_keys_of_the_same_cameras_as_elements(place):
    made, unparsed = _lines(CameraRows(_made(NODES)), place)
    as_elements, unparsed_elements = _lines(CameraRows(None, NODES), place)

    assert made == as_elements
    assert unparsed == unparsed_elements == Counter({"height": 1})
    assert b"a\\tb\\nc\\\\d" in made[1] and made[1].count(b"\n") == 1
    assert made[0].endswith(b"\t" + place(10.5, 45.25) + b"\n")


def test_places_made_for_a_whole_chunk_are_the_bytes_of_each_points_ewkb():
    lons = [10.5, -0.125, 179.9999999, -180.0, -0.0, 5e-324, 24.9384, 1 / 3]
    lats = [45.25, 1e-7, -89.5, 90.0, 0.0, -5e-324, 60.1699, -2 / 3]

    places = ewkb_places(np.array(lons), np.array(lats))

    assert places == b"".join(
        b"\t" + point_ewkb(x, y) + b"\n" for x, y in zip(lons, lats, strict=True)
    )
    assert ewkb_places(np.array([]), np.array([])) == b""


@pytest.mark.parametrize("rows_per_chunk", [1, 2, 5000])
def test_chunks_for_the_camera_table_are_its_lines_in_the_order_asked(rows_per_chunk):
    """Made rows and elements mixed, out of reading order, an identity left out."""
    again = NODES[0]._replace(version=4, lon=11.0)
    rows = CameraRows(_made([*NODES, again]), [WAY, NODES[1]._replace(osm_type="relation")])
    order = np.array([5, 2, 0, 4, 1])
    unparsed_lines: Counter[str] = Counter()
    lines = list(rows.lines(order.tolist(), unparsed_lines, point_ewkb))

    unparsed: Counter[str] = Counter()
    chunks = list(rows.ewkb_chunks(order, unparsed, rows_per_chunk))

    assert b"".join(chunk for _, chunk in chunks) == b"".join(lines)
    assert [count for count, _ in chunks] == [
        len(order[k : k + rows_per_chunk]) for k in range(0, len(order), rows_per_chunk)
    ]
    assert all(chunk.count(b"\n") == count for count, chunk in chunks)
    assert unparsed == unparsed_lines == Counter({"height": 2})


def test_rows_hold_the_made_nodes_first_then_the_elements_with_their_identities_and_places():
    rows = CameraRows(_made(NODES), [WAY])

    assert rows.kinds.tolist() == [0, 0, 0, 1]
    assert rows.ids.tolist() == [7, 8, 9, 7]
    assert rows.lons.tolist() == [10.5, -0.125, 179.9999999, 10.0]
    assert rows.lats.tolist() == [45.25, 1e-7, -89.5, 45.0]
    assert not rows.all_made and CameraRows(_made(NODES)).all_made
    lines, unparsed = _lines(rows, lon_lat)
    assert lines[3] == _lines(CameraRows(None, [WAY]), lon_lat)[0][0]
    assert unparsed == Counter({"height": 2})


def test_a_repeated_identity_is_written_once_and_its_unparsed_values_counted_once():
    again = NODES[0]._replace(version=4, lon=11.0)
    rows = CameraRows(_made([*NODES, again]), [WAY])

    first = rows.first_of_each_identity().tolist()
    unparsed: Counter[str] = Counter()
    lines = list(rows.lines(first, unparsed, lon_lat))

    assert first == [0, 1, 2, 4]  # node 7 read twice, way 7 another identity
    assert len(lines) == 4 and unparsed == Counter({"height": 2})


@pytest.mark.parametrize(
    ("ids", "firsts"),
    [
        ([3, 5, 8], [0, 1, 2]),  # a .pbf's nodes: sorted, each once
        ([3, 5, 5, 8], [0, 1, 3]),  # sorted, but one twice
        ([8, 5, 3, 5], [0, 1, 2]),  # neither
    ],
)
def test_the_first_row_of_each_identity_whether_the_nodes_come_sorted_or_not(ids, firsts):
    nodes = [NODES[0]._replace(osm_id=osm_id) for osm_id in ids]

    assert CameraRows(_made(nodes)).first_of_each_identity().tolist() == firsts
    # A way of a node's id is another identity: every node row still leads.
    with_way = CameraRows(_made(nodes), [WAY._replace(osm_id=ids[0])])
    assert with_way.first_of_each_identity().tolist() == [*firsts, len(ids)]


@pytest.mark.parametrize("name", ["town.osm.pbf", "town.osm"])
def test_a_file_read_as_rows_gives_what_its_elements_give(town, tmp_path, name):
    """The town with a camera way and a camera relation besides its three camera nodes."""
    town.camera(104, at(3, -3), tags={"name": "tab\there"})
    town.way(70, town.square(700, at(5, -5), 0.0001), {"man_made": "surveillance"})
    outline = town.square(710, at(-5, -5), 0.0001)
    town.way(71, outline, {})
    town.relation(72, [("w", 71, "outer")], {"type": "multipolygon", "man_made": "surveillance"})
    path = town.write(tmp_path / name)

    elements = read_osm_file(path)
    as_rows = read_osm_file(path, node_rows=True)

    assert [c.osm_type for c in as_rows.cameras] == ["way", "relation"]
    assert len(as_rows.camera_nodes) == 4
    assert _lines(as_rows.camera_rows(), point_ewkb) == _lines(elements.camera_rows(), point_ewkb)
    assert as_rows.extent == elements.extent
    assert as_rows.ways == elements.ways and as_rows.buildings == elements.buildings


def test_a_camera_node_with_a_negative_id_is_refused_when_read_as_rows(town, tmp_path):
    town.camera(-5, at(1, 1))
    path = town.write(tmp_path / "edited.osm.pbf")

    with pytest.raises(OsmFileError, match="node -5 has a negative id"):
        read_osm_file(path, node_rows=True)


@pytest.mark.django_db
def test_an_import_of_rows_stores_what_an_import_of_elements_stores(town, tmp_path):
    town.camera(104, at(3, -3), tags={"name": "tab\there", "operator": "back\\slash"})
    town.way(70, town.square(700, at(5, -5), 0.0001), {"man_made": "surveillance"})
    path = town.write(tmp_path / "town.osm.pbf")
    with transaction.atomic():
        Camera.objects.all().delete()
        write_extract(read_osm_file(path), None, timezone.now())
        elements = _camera_rows()
        transaction.set_rollback(True)
    with transaction.atomic():
        Camera.objects.all().delete()
        import_file(path, defer_derived=True)
        rows = _camera_rows()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM mapping_camera WHERE tags ->> 'name' = %s", ["tab\there"]
            )
            assert cursor.fetchone()[0] == 1
        transaction.set_rollback(True)

    assert len(rows) == 5 and rows == elements
