"""The thin commands: import_osm and load_demo, as an operator runs them."""

from __future__ import annotations

import io

import pytest
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command

from mapping.importer import TerminalProgress, import_file
from mapping.models import Building, Camera, ImportRun, StreetSegment
from mapping.osm.overpass import build_query, fetch_tile
from tests.helsinki import HELSINKI_BBOX, HELSINKI_CAMERAS
from tests.osm.builder import at
from tests.osm.test_overpass import CORNER, config

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_import_osm_file_prints_the_summary_and_a_second_run_says_no_change(town, tmp_path):
    path = town.write(tmp_path / "town.osm.pbf")

    first = run("import_osm", "--file", str(path))
    second = run("import_osm", "--file", str(path))

    assert "Area covered: 9.99,44.99,10.01,45.01 (MINLON,MINLAT,MAXLON,MAXLAT);" in first
    assert "Cameras: 3 new, 0 updated, 0 removed, 0 unchanged." in first
    assert "Walk graph: 3 segments" in first and "Buildings: 2 (2 added" in first
    assert "Values that could not be parsed: height: 1." in first
    assert "Time: read" in first
    assert "Cameras: 0 new, 0 updated, 0 removed, 3 unchanged." in second
    assert "No change" in second


def _streets_and_buildings() -> tuple[list, list]:
    segments = StreetSegment.objects.order_by("id").values_list("id", "way_id", "geom")
    buildings = Building.objects.order_by("id").values_list("id", "osm_id", "geom")
    return [(i, w, g.wkb) for i, w, g in segments], [(i, o, g.wkb) for i, o, g in buildings]


def test_a_cameras_only_import_brings_the_cameras_in_line_and_leaves_the_rest(town, tmp_path):
    run("import_osm", "--file", str(town.write(tmp_path / "before.osm.pbf")))
    stored = _streets_and_buildings()
    assert stored[0] and stored[1]
    town.camera(101, at(0.5, 2.1), version=2, tags={"operator": "Métropole"})
    del town.nodes[103]  # the camera is gone
    del town.ways[11], town.ways[50]  # so are a street and a building, in this file

    out = run("import_osm", "--file", str(town.write(tmp_path / "after.osm.pbf")), "--cameras-only")

    assert "Cameras: 0 new, 1 updated, 1 removed, 1 unchanged." in out
    assert "Walk graph and buildings: not read (--cameras-only)" in out
    assert "; cameras it lacks there were marked removed." in out
    assert "Walk graph:" not in out and "Buildings:" not in out
    assert _streets_and_buildings() == stored  # not one row deleted, added or rewritten
    moved = Camera.objects.get(osm_id=101)
    assert (moved.operator, moved.location.coords) == ("Métropole", at(0.5, 2.1))
    # Its field of view was drawn again, around where it now is.
    was = Point(*at(0.1, 2.1), srid=4326)
    assert moved.fov.centroid.distance(moved.location) < moved.fov.centroid.distance(was)
    assert Camera.objects.get(osm_id=103).status == "removed"
    recorded = ImportRun.objects.latest("id").counts
    assert recorded["cameras_only"] is True and recorded["cameras_updated"] == 1
    assert "segments" not in recorded and "buildings" not in recorded  # not read, not zero


def test_import_osm_bbox_through_the_local_overpass(fake_overpass, helsinki):
    out = run("import_osm", "--bbox", str(CORNER), "--overpass-url", fake_overpass.url)

    in_corner = Camera.objects.filter(source="osm", location__within=CORNER.polygon()).count()
    assert f"Cameras: 0 new, 0 updated, 0 removed, {in_corner} unchanged." in out
    assert in_corner > 20
    assert fake_overpass.requests  # the URL given on the command line was used


def test_a_cameras_only_bbox_import_asks_overpass_for_cameras_alone(fake_overpass, helsinki):
    south_west_north_east = (CORNER.min_lat, CORNER.min_lon, CORNER.max_lat, CORNER.max_lon)
    street = next(
        w["id"]
        for w in fake_overpass.data.ways.values()
        if "highway" in w.get("tags", {}) and fake_overpass._in_box(w, south_west_north_east)
    )
    camera = Camera.objects.filter(source="osm", location__within=CORNER.polygon()).first()
    fake_overpass.delete("way", street)  # gone from OpenStreetMap: a full import drops it
    fake_overpass.edit("node", camera.osm_id, tags={"man_made": "surveillance", "ref": "C-7"})
    stored = _streets_and_buildings()

    out = run("import_osm", "--bbox", str(CORNER), "--cameras-only")

    assert "Cameras: 0 new, 1 updated, 0 removed" in out
    assert "Walk graph and buildings: not read (--cameras-only)" in out
    assert fake_overpass.queries and all(
        "man_made" in query and "highway" not in query and "building" not in query
        for query in fake_overpass.queries
    )
    assert _streets_and_buildings() == stored
    assert StreetSegment.objects.filter(way_id=street).exists()
    assert Camera.objects.get(pk=camera.pk).ref == "C-7"


def test_import_osm_reads_a_saved_overpass_answer(fake_overpass, tmp_path, helsinki):
    saved = tmp_path / "answer.json"
    saved.write_bytes(fetch_tile(build_query(HELSINKI_BBOX, 60), "t", config(fake_overpass)))

    out = run("import_osm", "--file", str(saved))

    # The same cameras as the .pbf the helsinki fixture imported: nothing new, none removed.
    assert f"Cameras: 0 new, 0 updated, 0 removed, {HELSINKI_CAMERAS} unchanged." in out
    assert f"Walk graph: {helsinki.segments} segments" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give --bbox MINLON,MINLAT,MAXLON,MAXLAT or --file PATH"),
        (("--bbox", "24.9,60.1,25.0"), "--bbox: expected four numbers"),
        (("--bbox", "25.0,60.1,24.9,60.2"), "--bbox: MINLON 25 must be less than MAXLON 24.9"),
        (("--bbox", "24.9,95,25,96"), "--bbox: MINLAT 95 is outside -90..90"),
        (("--file", "/nonexistent/x.osm.pbf"), "no such file"),
    ],
)
def test_import_osm_refuses_bad_arguments_with_a_clear_message(args, message):
    with pytest.raises(CommandError, match=message.replace(".", r"\.").replace("+", r"\+")):
        run("import_osm", *args)


def test_import_osm_reports_an_overpass_failure_and_changes_nothing(fake_overpass):
    fake_overpass.script(*[("status", 504)] * 3)
    before = Camera.objects.count()
    with pytest.raises(CommandError, match=r"database unchanged: Overpass tile 1/1 .*HTTP 504"):
        run("import_osm", "--bbox", str(CORNER))
    assert Camera.objects.count() == before


def test_load_demo_is_idempotent_and_credits_openstreetmap(town, tmp_path):
    path = town.write(tmp_path / "demo.osm.pbf")
    first = run("load_demo", "--file", str(path))
    second = run("load_demo", "--file", str(path))
    assert "3 new" in first and "No change" in second
    assert "© OpenStreetMap contributors, ODbL" in second


def test_progress_bar_counts_every_step(town, tmp_path):
    screen = io.StringIO()
    progress = TerminalProgress("import", stream=screen)
    import_file(town.write(tmp_path / "town.osm"), progress=progress)
    assert progress.done == 3  # file read, database written, derived data
    assert "import" in screen.getvalue()


def test_import_osm_refuses_a_file_of_objects_not_yet_uploaded_and_changes_nothing(town, tmp_path):
    run("import_osm", "--file", str(town.write(tmp_path / "town.osm")))
    stored = sorted(Camera.objects.values_list("osm_id", "status"))
    town.camera(-1, at(1, 1), tags={"surveillance": "public"})  # what JOSM numbers a new node
    del town.nodes[103]  # and the camera it no longer has, which a real import marks removed
    josm = town.write(tmp_path / "josm.osm")

    for cameras_only in ((), ("--cameras-only",)):
        with pytest.raises(
            CommandError, match=r"database unchanged: .*josm\.osm: node -1 has a negative id"
        ):
            run("import_osm", "--file", str(josm), *cameras_only)
        assert sorted(Camera.objects.values_list("osm_id", "status")) == stored
