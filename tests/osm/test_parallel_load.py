"""A big first import loaded by several sessions into a stage, then swapped in.

The same rows and density cells as the one-session load; a camera table that is, to
the catalogue, the one the migrations made; ids that go on; nothing changed and no
stage left when any part fails, before or after the swap. The threshold is lowered so
that a few thousand synthetic cameras take the parallel path. The tests commit (the
side sessions only see committed data), so each starts by emptying the camera table.
"""

from __future__ import annotations

import multiprocessing

import pytest
from django.db import IntegrityError, connection

from mapping import camera_lines, data_version, first_load, parallel_load, sync
from mapping.density import first_fill
from mapping.density.queries import rebuild_density_cells
from mapping.importer import import_file
from mapping.models import Camera, DensityCell
from mapping.synthetic import SyntheticSpec, write_synthetic_pbf
from tests.factories import make_camera, point
from tests.osm.builder import at
from tests.osm.snapshot import database_snapshot
from tests.osm.test_first_import import _aggregate, _camera_rows, _without_cameras

pytestmark = pytest.mark.django_db(transaction=True)

CAMERAS = 3000

# Everything about the camera table that a swap must keep, by name.
CATALOGUE = {
    "columns": """
        SELECT attname, format_type(atttypid, atttypmod), attnotnull, attidentity,
               attgenerated, pg_get_expr(d.adbin, d.adrelid), attstorage, attcompression
        FROM pg_attribute AS a LEFT JOIN pg_attrdef AS d
          ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE attrelid = 'mapping_camera'::regclass AND attnum > 0 AND NOT attisdropped
    """,
    "constraints": """
        SELECT conname, contype, pg_get_constraintdef(oid), condeferrable, condeferred,
               convalidated
        FROM pg_constraint
        WHERE conrelid = 'mapping_camera'::regclass OR confrelid = 'mapping_camera'::regclass
    """,
    "indexes": """
        SELECT c.relname, replace(pg_get_indexdef(i.indexrelid), c.relname, ''),
               i.indisprimary, i.indisunique, i.indisvalid, i.indisready
        FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid
        WHERE i.indrelid = 'mapping_camera'::regclass
    """,
    "triggers": """
        SELECT tgname, pg_get_triggerdef(oid), obj_description(oid, 'pg_trigger'), tgenabled
        FROM pg_trigger WHERE tgrelid = 'mapping_camera'::regclass AND NOT tgisinternal
    """,
    "table": """
        SELECT relname, relkind, relpersistence, reloptions, relacl, relowner::regrole::text,
               relreplident, pg_get_serial_sequence('mapping_camera', 'id'),
               obj_description(oid, 'pg_class')
        FROM pg_class WHERE oid = 'mapping_camera'::regclass
    """,
    "sequence": """
        SELECT seqtypid::regtype::text, seqincrement, seqmin, seqmax, seqcache, seqcycle
        FROM pg_sequence
        WHERE seqrelid = pg_get_serial_sequence('mapping_camera', 'id')::regclass
    """,
    "stages": f"""
        SELECT relname FROM pg_class WHERE starts_with(relname, '{parallel_load.STAGE_PREFIX}')
    """,
}


def _catalogue() -> dict[str, list[tuple]]:
    with connection.cursor() as cursor:
        picture = {}
        for name, query in CATALOGUE.items():
            cursor.execute(query)
            picture[name] = sorted(map(repr, cursor.fetchall()))
    return picture


@pytest.fixture
def synthetic(tmp_path):
    path = tmp_path / "synthetic.osm.pbf"
    write_synthetic_pbf(SyntheticSpec(cameras=CAMERAS, segments=0, seed=5), path)
    return path


@pytest.fixture
def parallel(settings):
    """Imports of CAMERAS cameras take the parallel path; the last one's timings reset."""
    settings.IMPORT_PARALLEL_MIN_CAMERAS = CAMERAS // 2
    settings.IMPORT_PARALLEL_SESSIONS = 2
    parallel_load.last_timings = None
    return settings


def _loaded_in_parallel() -> bool:
    return parallel_load.last_timings is not None


@pytest.mark.parametrize("sessions", [2, 4], ids=["two COPYs in forked processes", "four"])
def test_it_stores_the_same_cameras_and_cells_as_the_one_session_load(
    synthetic, parallel, sessions
):
    parallel.IMPORT_PARALLEL_SESSIONS = sessions
    _without_cameras()
    parallel.IMPORT_PARALLEL_MIN_CAMERAS = CAMERAS + 1
    one_session = import_file(synthetic, defer_derived=True)
    assert not _loaded_in_parallel()
    rows, cells = _camera_rows(), _aggregate()
    _without_cameras()
    parallel.IMPORT_PARALLEL_MIN_CAMERAS = CAMERAS // 2
    token = data_version.camera_data_token()

    summary = import_file(synthetic, defer_derived=True)

    assert _loaded_in_parallel()
    assert summary.counts.cameras_new == CAMERAS == one_session.counts.cameras_new
    assert summary.counts.unparsed == one_session.counts.unparsed
    assert _camera_rows() == rows
    assert _aggregate() == cells
    rebuild_density_cells()
    assert _aggregate() == cells
    # Readers' cached answers are keyed by this token: they must not outlive the swap.
    assert data_version.camera_data_token() != token


KINDS = [
    {"surveillance:type": "ALPR", "camera:type": "ptz"},
    {"surveillance": "indoor", "camera:type": "dome", "surveillance:face_recognition": "yes"},
    {"surveillance": "outdoor", "surveillance:type": "guard"},
    {"surveillance": "nonsense", "camera:type": "bullet"},
    {},
]


@pytest.mark.parametrize(
    "ways",
    [1, 5],
    ids=["a camera way among 20 nodes: cells counted from the arrays", "5: by PostgreSQL"],
)
def test_camera_nodes_and_ways_are_counted_into_the_cells_a_rebuild_counts(
    town, tmp_path, parallel, monkeypatch, ways
):
    for k in range(20):
        town.camera(1000 + k, at(k % 7 - 3, k // 7 - 1), tags=KINDS[k % len(KINDS)])
    for k in range(ways):
        outline = town.square(2000 + 10 * k, at(k - 2, -3), 0.0001)
        town.way(3000 + k, outline, {"man_made": "surveillance", **KINDS[k % len(KINDS)]})
    path = town.write(tmp_path / "town.osm.pbf")
    parallel.IMPORT_PARALLEL_MIN_CAMERAS = 2
    _without_cameras()
    counted_by_postgresql = []
    count_cells = parallel_load._count_cells
    monkeypatch.setattr(
        parallel_load,
        "_count_cells",
        lambda stage: counted_by_postgresql.append(1) or count_cells(stage),
    )

    summary = import_file(path, defer_derived=True)

    assert _loaded_in_parallel() and summary.counts.cameras_new == 23 + ways
    assert bool(counted_by_postgresql) == (ways > 1)
    cells = _aggregate()
    assert sum(row[-1] for row in cells if row[:2] == ("cell", 3)) == 23 + ways
    rebuild_density_cells()
    assert _aggregate() == cells


def test_a_daemonic_process_which_may_not_fork_loads_the_stage_from_one_session(
    synthetic, parallel, monkeypatch
):
    """A task queue's worker may run imports in a daemonic process (no children allowed)."""
    _without_cameras()
    parallel.IMPORT_PARALLEL_MIN_CAMERAS = CAMERAS + 1
    import_file(synthetic, defer_derived=True)
    rows = _camera_rows()
    _without_cameras()
    parallel.IMPORT_PARALLEL_MIN_CAMERAS = CAMERAS // 2
    monkeypatch.setitem(multiprocessing.current_process()._config, "daemon", True)

    import_file(synthetic, defer_derived=True)

    assert _loaded_in_parallel() and _camera_rows() == rows


def test_the_swapped_in_table_is_the_one_the_migrations_made(synthetic, parallel):
    _without_cameras()
    before = _catalogue()

    import_file(synthetic, defer_derived=True)

    assert _loaded_in_parallel()
    assert _catalogue() == before
    assert not before["stages"]


def test_a_table_without_autovacuum_stays_without(synthetic, parallel):
    """The stage has none while it is filled; the table gets its own setting back."""
    _without_cameras()
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE mapping_camera SET (autovacuum_enabled = off)")
    try:
        before = _catalogue()
        import_file(synthetic, defer_derived=True)
        assert _loaded_in_parallel()
        assert _catalogue() == before
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE mapping_camera RESET (autovacuum_enabled)")


def test_it_keeps_the_tables_triggers_at_work(synthetic, parallel):
    _without_cameras()
    import_file(synthetic, defer_derived=True)
    assert _loaded_in_parallel()
    camera = Camera.objects.order_by("id").first()
    cells = DensityCell.objects.count()
    token = data_version.camera_data_token()

    Camera.objects.filter(pk=camera.pk).delete()

    assert data_version.camera_data_token() != token  # the statement trigger fired
    counted = _aggregate()
    rebuild_density_cells()
    assert _aggregate() == counted  # and the density triggers took the camera off
    assert DensityCell.objects.count() <= cells


def test_ids_go_on_from_the_table_it_replaced(synthetic, parallel):
    _without_cameras()
    earlier = make_camera(location=point()).pk
    Camera.objects.all().delete()

    import_file(synthetic, defer_derived=True)

    assert _loaded_in_parallel()
    assert Camera.objects.order_by("id").first().pk > earlier
    assert (
        make_camera(source="community", location=point()).pk
        > Camera.objects.filter(source="osm").order_by("-id").first().pk
    )


@pytest.mark.parametrize("sessions", [2, 4], ids=["two COPYs in forked processes", "four"])
def test_a_part_that_fails_to_copy_leaves_the_database_and_catalogue_as_they_were(
    synthetic, parallel, monkeypatch, sessions
):
    parallel.IMPORT_PARALLEL_SESSIONS = sessions
    _without_cameras()
    before, catalogue = database_snapshot(), _catalogue()
    # Forked after this, the processes writing the parts inherit it: no place is valid.
    width = camera_lines.PLACE_BYTES
    monkeypatch.setattr(
        camera_lines,
        "ewkb_places",
        lambda lons, lats: (b"\t" + b"x" * (width - 2) + b"\n") * len(lons),
    )

    with pytest.raises(parallel_load.ParallelLoadError, match="geometry"):
        import_file(synthetic, defer_derived=True)

    assert database_snapshot() == before and _catalogue() == catalogue
    assert not DensityCell.objects.exists()


def test_a_duplicate_fails_the_stages_unique_index_and_changes_nothing(
    synthetic, parallel, monkeypatch
):
    _without_cameras()
    before, catalogue = database_snapshot(), _catalogue()
    real_order = first_load.load_order
    monkeypatch.setattr(first_load, "load_order", lambda cameras: real_order(cameras).repeat(2))

    with pytest.raises(IntegrityError, match="could not create unique index"):
        import_file(synthetic, defer_derived=True)

    assert database_snapshot() == before and _catalogue() == catalogue


def test_a_density_failure_while_the_indexes_build_drops_the_stage(
    synthetic, parallel, monkeypatch
):
    _without_cameras()
    before, catalogue = database_snapshot(), _catalogue()

    def failing(cursor, fine):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(first_fill, "fill_from_fine_cells", failing)

    with pytest.raises(RuntimeError, match="the disk is full"):
        import_file(synthetic, defer_derived=True)

    assert database_snapshot() == before and _catalogue() == catalogue
    assert not DensityCell.objects.exists()


def test_a_failure_after_the_swap_rolls_it_back_and_drops_the_stage(
    synthetic, parallel, monkeypatch
):
    _without_cameras()
    before, catalogue = database_snapshot(), _catalogue()
    swapped = []

    def failing(cursor, extract, area, counts):
        swapped.append(_loaded_in_parallel())
        raise RuntimeError("the walk graph could not be written")

    monkeypatch.setattr(sync, "sync_segments", failing)

    with pytest.raises(RuntimeError, match="walk graph"):
        import_file(synthetic, defer_derived=True)

    assert swapped == [True]
    assert database_snapshot() == before and _catalogue() == catalogue
    assert not DensityCell.objects.exists()


def test_a_table_with_a_view_on_it_is_loaded_by_one_session(synthetic, parallel):
    _without_cameras()
    with connection.cursor() as cursor:
        cursor.execute("CREATE VIEW reporting_cameras AS SELECT id, operator FROM mapping_camera")
        assert parallel_load.swap_blockers(cursor) != []
    try:
        summary = import_file(synthetic, defer_derived=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM reporting_cameras")
            assert cursor.fetchone()[0] == CAMERAS
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP VIEW reporting_cameras")
    assert not _loaded_in_parallel()
    assert summary.counts.cameras_new == CAMERAS


def test_a_table_with_community_cameras_gets_no_stage(synthetic, parallel):
    _without_cameras()
    make_camera(source="community", location=point())
    catalogue = _catalogue()

    summary = import_file(synthetic, defer_derived=True)

    assert not _loaded_in_parallel()
    assert summary.counts.cameras_new == CAMERAS
    assert _catalogue()["stages"] == catalogue["stages"] == []


def test_nothing_hangs_on_the_camera_table_that_a_swap_would_lose():
    with connection.cursor() as cursor:
        assert parallel_load.swap_blockers(cursor) == []


def test_a_leftover_stage_is_dropped_unless_someone_holds_it():
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {parallel_load.STAGE_PREFIX}1 (id int)")
        cursor.execute(f"CREATE TABLE {parallel_load.STAGE_PREFIX}2 (id int)")
    with parallel_load.side_session() as holder, holder.transaction():
        holder.execute(f"LOCK TABLE {parallel_load.STAGE_PREFIX}2")
        assert parallel_load.drop_leftovers() == [f"{parallel_load.STAGE_PREFIX}1"]
    assert parallel_load.drop_leftovers() == [f"{parallel_load.STAGE_PREFIX}2"]
    assert _catalogue()["stages"] == []


def test_a_camera_table_locked_elsewhere_means_the_one_session_load(parallel, monkeypatch):
    """Making the stage LIKE the table waits for its lock; not for ever."""
    monkeypatch.setattr(parallel_load, "STAGE_LOCK_TIMEOUT", "100ms")
    with parallel_load.side_session() as holder, holder.transaction():
        holder.execute("LOCK TABLE mapping_camera IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            assert parallel_load.Stage.make(cursor) is None
    assert _catalogue()["stages"] == []


def test_a_readers_prepared_statement_reads_the_swapped_in_table(synthetic, parallel):
    """A worker's connection prepared its queries on the old table; they follow the name."""
    _without_cameras()
    with parallel_load.side_session() as reader:
        reader.execute(
            "PREPARE active_count AS SELECT count(*) FROM mapping_camera WHERE status = 'active'"
        )
        assert reader.execute("EXECUTE active_count").fetchone()[0] == 0

        import_file(synthetic, defer_derived=True)

        assert _loaded_in_parallel()
        assert reader.execute("EXECUTE active_count").fetchone()[0] == CAMERAS
