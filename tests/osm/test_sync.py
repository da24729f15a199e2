"""Sync semantics against the real PostGIS: upsert, removal marking, replacement, all or nothing.

Testville (tests/osm/conftest.py) is a small town in an area no other test uses.
"""

from __future__ import annotations

import math

import pytest
from django.contrib.gis.geos import Point

from mapping.importer import Progress, import_file
from mapping.models import Building, Camera, ImportRun, StreetSegment
from tests.factories import make_camera, make_segment
from tests.osm.builder import TESTVILLE_BBOX, at
from tests.osm.snapshot import database_snapshot

pytestmark = pytest.mark.django_db

AREA = TESTVILLE_BBOX.polygon()


def cameras() -> dict[int, Camera]:
    return {c.osm_id: c for c in Camera.objects.filter(source="osm", location__within=AREA)}


def segments() -> list[StreetSegment]:
    return list(StreetSegment.objects.filter(geom__intersects=AREA).order_by("way_id", "source"))


def test_first_import_writes_cameras_graph_and_buildings(town, tmp_path):
    summary = import_file(town.write(tmp_path / "town.osm.pbf"))

    counts = summary.counts
    assert (counts.cameras_new, counts.cameras_updated, counts.cameras_removed) == (3, 0, 0)
    assert counts.unparsed == {"height": 1}  # camera 103's "tall"
    found = cameras()
    assert sorted(found) == [101, 102, 103]
    first = found[101]
    assert (first.location.x, first.location.y) == at(0.1, 2.1)
    assert (first.directions, first.height, first.operator, first.osm_version) == (
        [90.0],
        5.0,
        "Ville",
        1,
    )
    assert first.tags == {
        "man_made": "surveillance",
        "camera:direction": "90",
        "height": "5 m",
        "operator": "Ville",
    }
    assert (found[102].surveillance_type, found[102].capabilities, found[102].tilt) == (
        "alpr",
        ["alpr"],
        20.0,
    )
    assert found[103].height is None and found[103].tags["height"] == "tall"
    assert all(c.status == "active" and c.removed_at is None for c in found.values())


def test_streets_become_graph_edges_with_node_ids_and_geodesic_length(town, tmp_path):
    import_file(town.write(tmp_path / "town.osm"))

    edges = [(s.way_id, s.source, s.target, s.highway, s.name) for s in segments()]
    # Node 4 is no junction: the motorway that meets it is not walkable.
    assert edges == [
        (10, 1, 2, "footway", "Rue A"),
        (10, 2, 3, "footway", "Rue A"),
        (11, 2, 5, "residential", ""),
    ]
    # Two grid steps of 0.0005 degrees: east at 45 N, and north.
    east_m = (
        6_378_137
        * math.radians(0.001)
        * math.cos(math.radians(45.001))
        / math.sqrt(1 - 0.00669438 * math.sin(math.radians(45.001)) ** 2)
    )
    north_m = 111_132.954 * 0.001 - 559.822 * 0.001 * math.cos(math.radians(90.0))
    lengths = {(s.source, s.target): s.length_m for s in segments()}
    assert lengths[1, 2] == pytest.approx(east_m, rel=2e-3)
    assert lengths[2, 5] == pytest.approx(2 * north_m, rel=2e-3)


def test_buildings_from_ways_and_multipolygons(town, tmp_path):
    import_file(town.write(tmp_path / "town.osm"))

    buildings = {(b.osm_type, b.osm_id): b for b in Building.objects.filter(geom__intersects=AREA)}
    assert sorted(buildings) == [("relation", 60), ("way", 50)]
    assert buildings["relation", 60].geom.geom_type == "MultiPolygon"
    assert len(buildings["relation", 60].geom[0]) == 2  # outer ring and the hole
    assert buildings["way", 50].geom.contains(Point(at(4, 4), srid=4326))


def test_a_second_import_of_the_same_data_changes_nothing_and_says_so(town, tmp_path):
    path = town.write(tmp_path / "town.osm")
    import_file(path)
    before = database_snapshot()

    summary = import_file(path)

    assert summary.no_change
    assert (summary.counts.cameras_new, summary.counts.cameras_updated) == (0, 0)
    assert summary.counts.cameras_unchanged == 3
    assert (summary.counts.segments_added, summary.counts.segments_removed) == (0, 0)
    assert "No change" in summary.lines()[-1]
    assert database_snapshot() == before


def test_changed_new_and_vanished_cameras(town, tmp_path):
    import_file(town.write(tmp_path / "v1.osm"))
    ids_before = {osm_id: camera.pk for osm_id, camera in cameras().items()}
    town.camera(101, at(0.1, 2.1), version=2, tags={"camera:direction": "NE;SW"})
    del town.nodes[103]
    town.camera(104, at(3, 3), tags={"surveillance:type": "guard"})

    summary = import_file(town.write(tmp_path / "v2.osm"))

    counts = summary.counts
    assert (
        counts.cameras_new,
        counts.cameras_updated,
        counts.cameras_removed,
        counts.cameras_unchanged,
    ) == (1, 1, 1, 1)
    found = cameras()
    assert found[101].pk == ids_before[101]
    assert (found[101].osm_version, found[101].directions, found[101].height) == (
        2,
        [45.0, 225.0],
        None,
    )
    assert (
        found[103].status == "removed" and found[103].removed_at is not None
    )  # marked, not deleted
    assert found[104].surveillance_type == "guard" and found[104].status == "active"
    assert found[102].updated_at < found[101].updated_at


def test_a_removed_camera_that_comes_back_is_active_again(town, tmp_path):
    full = town.write(tmp_path / "full.osm")
    import_file(full)
    del town.nodes[103]
    import_file(town.write(tmp_path / "without.osm"))
    assert cameras()[103].status == "removed"

    summary = import_file(full)

    assert summary.counts.cameras_updated == 1
    assert (cameras()[103].status, cameras()[103].removed_at) == ("active", None)


def test_cameras_outside_the_imported_area_are_not_marked_removed(town, tmp_path):
    elsewhere = make_camera(location=Point(10.5, 45.5, srid=4326))  # an OSM camera, another area

    import_file(town.write(tmp_path / "town.osm"))

    elsewhere.refresh_from_db()
    assert (elsewhere.status, elsewhere.removed_at) == ("active", None)


def test_a_camera_a_hair_outside_the_area_is_not_marked_removed(town, tmp_path):
    # 1e-7 degrees (1 cm) beyond the edge: inside the float4 box PostGIS's && compares,
    # outside the area all the same.
    area = TESTVILLE_BBOX
    outside = make_camera(location=Point(area.max_lon + 1e-7, 45.0, srid=4326))
    on_edge = make_camera(location=Point(area.max_lon, 45.0, srid=4326))

    import_file(town.write(tmp_path / "town.osm"), area=area)

    outside.refresh_from_db()
    on_edge.refresh_from_db()
    assert (outside.status, on_edge.status) == ("active", "removed")


def test_community_cameras_are_never_touched(town, tmp_path):
    resident = make_camera(
        source="community", location=Point(*at(0.5, 0.5), srid=4326), name="seen"
    )
    # The field of view is derived data, recomputed for every camera after an import.
    columns = [f.name for f in Camera._meta.fields if f.name != "fov"]
    before = Camera.objects.filter(pk=resident.pk).values(*columns).get()

    import_file(town.write(tmp_path / "town.osm"))
    del town.nodes[101]
    import_file(town.write(tmp_path / "less.osm"))

    assert Camera.objects.filter(pk=resident.pk).values(*columns).get() == before


def test_new_streets_are_added_and_unchanged_edges_keep_their_rows(town, tmp_path):
    import_file(town.write(tmp_path / "v1.osm"))
    kept = {(s.way_id, s.source, s.target): s.pk for s in segments()}
    town.node(7, at(2, 4))
    town.way(13, [3, 7], {"highway": "steps"})  # new steps from node 3, already a way end

    summary = import_file(town.write(tmp_path / "v2.osm"))

    assert (summary.counts.segments_added, summary.counts.segments_removed) == (1, 0)
    now = {(s.way_id, s.source, s.target): s.pk for s in segments()}
    assert now == kept | {(13, 3, 7): now[13, 3, 7]}  # same ids: exposure survives


def test_vanished_streets_are_deleted_and_the_graph_recut(town, tmp_path):
    import_file(town.write(tmp_path / "v1.osm"))
    del town.ways[11]  # without the residential street, node 2 is no junction any more

    summary = import_file(town.write(tmp_path / "v2.osm"))

    assert (summary.counts.segments_added, summary.counts.segments_removed) == (1, 3)
    assert [(s.way_id, s.source, s.target) for s in segments()] == [(10, 1, 3)]
    assert len(segments()[0].geom) == 3  # still through node 2's position


def test_vanished_buildings_are_deleted_and_changed_ones_updated(town, tmp_path):
    import_file(town.write(tmp_path / "v1.osm"))
    del town.ways[50]
    town.node(620, at(-4.1, 4.1))  # the hole gets a fifth corner
    inner = town.ways[62][0]
    town.way(62, [*inner[:2], 620, *inner[2:]], {})

    summary = import_file(town.write(tmp_path / "v2.osm"))

    assert (summary.counts.buildings_removed, summary.counts.buildings_updated) == (1, 1)
    remaining = Building.objects.filter(geom__intersects=AREA)
    assert [(b.osm_type, b.osm_id, b.geom.num_coords) for b in remaining] == [("relation", 60, 11)]


def test_a_successful_run_is_recorded_with_counts_and_duration(town, tmp_path):
    path = town.write(tmp_path / "town.osm")
    summary = import_file(path)

    run = ImportRun.objects.get(pk=summary.run_id)
    assert (run.kind, run.status, run.file, run.error) == ("file", "succeeded", str(path), "")
    assert run.counts["cameras_new"] == 3 and run.counts["unparsed"] == {"height": 1}
    assert run.duration_s > 0 and run.finished_at >= run.started_at
    assert run.bbox.extent == pytest.approx(TESTVILLE_BBOX.as_tuple())


class InterruptAfterWriting(Progress):
    """Ctrl-C pressed right after the rows are written, before the transaction ends."""

    def step(self, label: str) -> None:
        if label == "database written":
            raise KeyboardInterrupt


def test_ctrl_c_half_way_leaves_the_database_as_it_was_and_records_the_failure(town, tmp_path):
    import_file(town.write(tmp_path / "v1.osm"))
    before = database_snapshot()
    del town.nodes[101]
    del town.ways[10]
    town.camera(105, at(1, 1))
    runs_before = ImportRun.objects.count()

    with pytest.raises(KeyboardInterrupt):
        import_file(town.write(tmp_path / "v2.osm"), progress=InterruptAfterWriting())

    assert database_snapshot() == before
    assert ImportRun.objects.count() == runs_before + 1
    failed = ImportRun.objects.order_by("-id").first()
    assert failed.status == "failed" and "interrupted" in failed.error


def test_an_unreadable_file_fails_cleanly_and_is_recorded(tmp_path):
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(b"\x00garbage")
    before = database_snapshot()

    with pytest.raises(Exception, match="not readable"):
        import_file(broken)

    assert database_snapshot() == before
    failed = ImportRun.objects.order_by("-id").first()
    assert (failed.status, failed.file) == ("failed", str(broken))
    assert "not readable as OpenStreetMap data" in failed.error


def test_a_street_that_only_crosses_the_area_is_left_alone(town, tmp_path):
    # A segment from another import whose vertices are all outside Testville's box but
    # whose line crosses it: no Testville extract would contain its way.
    crossing = make_segment([(9.98, 45.0), (10.02, 45.0)], source=1, target=2, way_id=777)

    import_file(town.write(tmp_path / "town.osm"))

    assert StreetSegment.objects.filter(pk=crossing.pk).exists()


def _nested_loops(cursor) -> str:
    cursor.execute("SHOW enable_nestloop")
    return cursor.fetchone()[0]


def test_the_vanished_cameras_anti_join_runs_without_nested_loops_and_then_puts_it_back():
    from django.db import connection, transaction

    from mapping.sync import MARK_REMOVED_CAMERAS, without_nested_loops

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE import_camera (osm_type text, osm_id bigint)")
        cursor.execute("ANALYZE import_camera")
        with without_nested_loops(cursor):
            assert _nested_loops(cursor) == "off"
            cursor.execute(
                "EXPLAIN " + MARK_REMOVED_CAMERAS,
                {"now": "2026-01-01T00:00:00Z", "min_lon": 9, "min_lat": 44, "max_lon": 11,
                 "max_lat": 46, "shape": None},
            )  # fmt: skip
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Nested Loop" not in plan and "Anti Join" in plan
        assert _nested_loops(cursor) == "on"
        transaction.set_rollback(True)
