"""The fast paths of a big file import: the first import into a table without OpenStreetMap
cameras, and the import that leaves derived data for later (--defer-derived).

Each test empties the camera table inside its own transaction (rolled back afterwards), so
the shared Helsinki data is back for the next test.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from mapping.density.queries import rebuild_density_cells
from mapping.importer import import_file
from mapping.models import Camera, DensityCell, ImportRun
from tests.density import aggregate_rows
from tests.factories import make_camera, point
from tests.helsinki import HELSINKI_CAMERAS, HELSINKI_PBF
from tests.osm.snapshot import database_snapshot
from tests.osm.test_sync import InterruptAfterWriting

pytestmark = pytest.mark.django_db


def _without_cameras() -> None:
    Camera.objects.all().delete()
    assert not DensityCell.objects.exists()


def _camera_rows() -> list[tuple]:
    """Every stored camera field that the import writes, keyed by OSM identity."""
    fields = (
        "osm_type", "osm_id", "osm_version", "surveillance", "surveillance_type", "zone",
        "camera_type", "mount", "directions", "tilt", "height", "operator", "operator_type",
        "capabilities", "vendor", "name", "ref", "fixme", "check_date", "tags", "status",
    )  # fmt: skip
    rows = Camera.objects.filter(source="osm").order_by("osm_type", "osm_id")
    return [(*row[:-1], row[-1].coords) for row in rows.values_list(*fields, "location")]


def _aggregate() -> set[tuple]:
    return aggregate_rows()


def test_a_first_import_stores_the_same_cameras_as_an_import_over_existing_ones(town, tmp_path):
    path = town.write(tmp_path / "town.osm.pbf")
    make_camera(location=point())  # an OSM camera elsewhere: the import compares with it
    import_file(path)
    general = _camera_rows()
    _without_cameras()

    summary = import_file(path)

    counts = summary.counts
    assert (counts.cameras_new, counts.cameras_updated, counts.cameras_unchanged) == (3, 0, 0)
    assert counts.cameras_removed == 0 and counts.unparsed == {"height": 1}
    assert _camera_rows() == [row for row in general if row[1] in {101, 102, 103}]
    again = import_file(path)
    assert again.no_change and again.counts.cameras_unchanged == 3


def test_a_first_import_stamps_every_camera_with_the_import_time_as_a_new_active_one(
    town, tmp_path
):
    _without_cameras()
    summary = import_file(town.write(tmp_path / "town.osm.pbf"))
    run = ImportRun.objects.get(pk=summary.run_id)

    stamps = set(
        Camera.objects.values_list(
            "source", "status", "confirmations", "removed_at", "first_seen", "last_seen",
            "updated_at",
        )
    )  # fmt: skip

    assert len(stamps) == 1
    source, status, confirmations, removed_at, first_seen, last_seen, updated_at = stamps.pop()
    assert (source, status, confirmations, removed_at) == ("osm", "active", 0, None)
    assert first_seen == last_seen == updated_at
    assert run.started_at <= first_seen <= run.finished_at


def test_a_first_import_fills_the_empty_density_aggregate_exactly(town, tmp_path):
    _without_cameras()
    import_file(town.write(tmp_path / "town.osm.pbf"))
    kept = _aggregate()
    assert kept and all(row[-1] > 0 for row in kept)

    rebuild_density_cells()

    assert _aggregate() == kept


def test_a_first_import_writes_cameras_in_spatial_order():
    _without_cameras()
    import_file(HELSINKI_PBF)
    with connection.cursor() as cursor:
        # Ids are drawn in the order rows are written: they must follow the geohashes
        # (ties, cameras at one place, in the order they were read, hence by id).
        cursor.execute(
            "SELECT array_agg(id ORDER BY id)"
            " = array_agg(id ORDER BY ST_GeoHash(location, 12), id), count(*)"
            " FROM mapping_camera"
        )
        in_order, stored = cursor.fetchone()
    assert stored == HELSINKI_CAMERAS and in_order


def test_a_first_import_interrupted_half_way_leaves_nothing(town, tmp_path):
    _without_cameras()
    before = database_snapshot()

    with pytest.raises(KeyboardInterrupt):
        import_file(town.write(tmp_path / "town.osm"), progress=InterruptAfterWriting())

    assert database_snapshot() == before
    assert not Camera.objects.exists() and not DensityCell.objects.exists()


def test_deferred_derived_data_is_left_for_refresh_derived(town, tmp_path):
    path = town.write(tmp_path / "town.osm.pbf")
    import_file(path)
    complete = dict(Camera.objects.filter(osm_id__in=[101, 102]).values_list("osm_id", "fov"))
    assert all(complete.values())
    _without_cameras()

    summary = import_file(path, defer_derived=True)

    assert "fields of view and exposure" not in summary.timings
    assert any("NOT computed" in line and "refresh_derived" in line for line in summary.lines())
    assert ImportRun.objects.get(pk=summary.run_id).counts["derived_deferred"] is True
    assert not Camera.objects.filter(fov__isnull=False).exists()
    out = io.StringIO()
    call_command("refresh_derived", stdout=out)
    assert "recomputed" in out.getvalue()
    refreshed = Camera.objects.filter(osm_id__in=[101, 102])
    assert {c.osm_id: c.fov.wkb for c in refreshed} == {k: v.wkb for k, v in complete.items()}


def test_a_deferred_import_that_changes_nothing_does_not_claim_work_left(town, tmp_path):
    path = town.write(tmp_path / "town.osm.pbf")
    import_file(path)

    summary = import_file(path, defer_derived=True)

    assert summary.no_change and not summary.derived_deferred
    assert not any("NOT computed" in line for line in summary.lines())


def test_import_osm_defer_derived_says_so_and_needs_a_file(town, tmp_path):
    _without_cameras()
    out = io.StringIO()
    call_command(
        "import_osm", "--file", str(town.write(tmp_path / "t.osm.pbf")), "--defer-derived",
        stdout=out,
    )  # fmt: skip
    assert "Cameras: 3 new" in out.getvalue() and "NOT computed" in out.getvalue()
    with pytest.raises(CommandError, match="--defer-derived goes with --file"):
        call_command("import_osm", "--bbox", "24.9,60.1,25.0,60.2", "--defer-derived")
