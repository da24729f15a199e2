"""Regional extracts cut along a polygon: the .poly file, and an import that counts absence
only inside it (mapping.osm.poly, mapping.sync)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from mapping.bbox import BBox
from mapping.importer import import_file
from mapping.models import Building, Camera, StreetSegment
from mapping.osm.poly import PolyFileError, parse_poly, read_poly_area
from tests.osm.builder import TESTVILLE_BBOX, OsmBuilder
from tests.osm.snapshot import database_snapshot
from tests.osm.test_first_import import _without_cameras

# A region wrapped round Testville, as regions' borders wind: the strip east of lon 10.005
# and a band north of lat 45.008, an L whose rectangle (its extract's header) covers
# Testville, which lies in neither arm.
EAST_BOX = BBox(9.99, 44.99, 10.03, 45.01)
EAST_POLY = """east
area_1
   10.005 44.99
   10.03 44.99
   10.03 45.01
   9.99 45.01
   9.99 45.008
   10.005 45.008
   10.005 44.99
END
END
"""


def test_a_poly_file_gives_its_rings_joined_and_its_holes_cut_out():
    text = """name
first
  0 0
  2 0
  2 2
  0 2
END
!hole
  0.5 0.5
  1.5 0.5
  1.5 1.5
  0.5 1.5
END
second
  3E0 0
  4 0
  4 1
END
END
"""
    shape = parse_poly(text)
    assert len(shape.geoms) == 2
    assert shape.area == pytest.approx(4 - 1 + 0.5)
    assert not shape.contains(shapely_point(1, 1))  # in the hole
    assert shape.contains(shapely_point(0.2, 0.2))


def shapely_point(x: float, y: float):
    from shapely.geometry import Point

    return Point(x, y)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("name\nring\n 0 0\n 1 0\n 1 1\nEND\n", "ends before its final END"),
        ("name\nring\n 0 0\n 1 0\n 1 1\n", "has no END"),
        ("name\nring\n 0 0\n 1 x\n 1 1\nEND\nEND\n", "line 4: expected two numbers"),
        ("name\nring\n 0 0\n 1 0\nEND\nEND\n", "at least 3 points"),
        ("name\nring\n 0 0\n 200 0\n 1 1\nEND\nEND\n", "not a place on Earth"),
        ("name\n!hole\n 0 0\n 1 0\n 1 1\nEND\nEND\n", "no outer ring"),
        ("name\nflat\n 0 0\n 1 0\n 2 0\nEND\nEND\n", "covers no area"),
    ],
)
def test_a_broken_poly_file_is_refused_with_where_and_why(text, message):
    with pytest.raises(PolyFileError, match=message):
        parse_poly(text)


def test_the_area_is_the_polygon_s_rectangle_carrying_the_polygon(tmp_path):
    path = tmp_path / "east.poly"
    path.write_text(EAST_POLY)
    area = read_poly_area(path)
    assert area.as_tuple() == EAST_BOX.as_tuple()  # Testville's centre inside it
    assert area.wkt.startswith("MULTIPOLYGON")
    assert str(area) == "the polygon of east.poly (within 9.99,44.99,10.03,45.01)"


def _east_region(with_camera: bool = True) -> OsmBuilder:
    east = OsmBuilder(box=EAST_BOX)
    east.node(901, (10.02, 45.0)).node(902, (10.025, 45.0))
    east.way(90, [901, 902], {"highway": "footway"})
    if with_camera:
        east.camera(201, (10.021, 45.0001))
    return east


@pytest.fixture
def testville_imported(db, town, tmp_path):
    _without_cameras()
    import_file(town.write(tmp_path / "testville.osm.pbf"))
    return {
        "cameras": set(Camera.objects.filter(status="active").values_list("osm_id", flat=True)),
        "segments": StreetSegment.objects.count(),
        "buildings": Building.objects.count(),
        "testville_buildings": Building.objects.filter(osm_id__in=[50, 60]).count(),
    }


def test_a_neighbour_s_extract_with_its_polygon_leaves_testville_as_it_was(
    testville_imported, tmp_path
):
    poly = tmp_path / "east.poly"
    poly.write_text(EAST_POLY)

    summary = import_file(
        _east_region().write(tmp_path / "east.osm.pbf"), area=read_poly_area(poly)
    )

    assert summary.counts.cameras_new == 1
    assert summary.counts.cameras_removed == 0
    assert summary.counts.segments_removed == 0 and summary.counts.buildings_removed == 0
    active = set(Camera.objects.filter(status="active").values_list("osm_id", flat=True))
    assert active == testville_imported["cameras"] | {201}
    assert Building.objects.count() == testville_imported["buildings"]
    assert StreetSegment.objects.count() == testville_imported["segments"] + 1
    assert "only inside the polygon" in "\n".join(summary.lines())


def test_without_its_polygon_the_header_rectangle_takes_testville_with_it(
    testville_imported, tmp_path
):
    """What the polygon prevents: the same file, its header rectangle taken as covered."""
    summary = import_file(_east_region().write(tmp_path / "east.osm.pbf"))
    assert summary.counts.cameras_removed == len(testville_imported["cameras"])
    assert testville_imported["testville_buildings"] == 2
    assert summary.counts.buildings_removed == 2


def test_inside_its_polygon_a_region_s_vanished_data_still_goes(testville_imported, tmp_path):
    poly = tmp_path / "east.poly"
    poly.write_text(EAST_POLY)
    import_file(_east_region().write(tmp_path / "before.osm.pbf"), area=read_poly_area(poly))

    east = _east_region(with_camera=False)
    del east.ways[90]
    summary = import_file(east.write(tmp_path / "after.osm.pbf"), area=read_poly_area(poly))

    assert summary.counts.cameras_removed == 1
    assert summary.counts.segments_removed == 1
    assert Camera.objects.get(osm_id=201).status == "removed"
    active = set(Camera.objects.filter(status="active").values_list("osm_id", flat=True))
    assert active == testville_imported["cameras"]


def test_the_command_refuses_a_broken_poly_file_and_changes_nothing(testville_imported, tmp_path):
    poly = tmp_path / "broken.poly"
    poly.write_text("east\narea_1\n 10 45\n")
    path = _east_region().write(tmp_path / "east.osm.pbf")
    before = database_snapshot()
    with pytest.raises(
        CommandError, match=r"--area-poly: .*broken.poly: section 'area_1' has no END"
    ):
        call_command("import_osm", file=str(path), area_poly=str(poly))
    with pytest.raises(CommandError, match="goes with --file"):
        call_command("import_osm", bbox=str(TESTVILLE_BBOX), area_poly=str(poly))
    assert database_snapshot() == before


def test_the_command_imports_with_the_polygon(testville_imported, tmp_path, capsys):
    poly = tmp_path / "east.poly"
    poly.write_text(EAST_POLY)
    path = _east_region().write(tmp_path / "east.osm.pbf")
    call_command("import_osm", file=str(path), area_poly=str(poly))
    out = capsys.readouterr().out
    assert "Area covered: the polygon of east.poly" in out
    assert Camera.objects.filter(status="active").count() == len(testville_imported["cameras"]) + 1
