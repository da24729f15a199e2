"""The bulk load of a first import into an empty camera table: indexes built after the
rows, density cells counted level from level. Same rows, same indexes, same counts as
the general path; a duplicate still refused; a failure still leaves nothing.

Each test empties the camera table inside its own transaction (rolled back afterwards).
"""

from __future__ import annotations

from contextlib import contextmanager, nullcontext

import pytest
from django.db import IntegrityError, connection, transaction

from mapping import bulk_load, first_load
from mapping.density import first_fill
from mapping.density.queries import rebuild_density_cells
from mapping.importer import import_file
from mapping.models import Camera, DensityCell
from mapping.synthetic import SyntheticSpec, write_synthetic_pbf
from tests.density import empty_aggregate
from tests.factories import make_camera, point
from tests.helsinki import HELSINKI_PBF
from tests.osm.builder import at
from tests.osm.snapshot import database_snapshot
from tests.osm.test_first_import import _aggregate, _camera_rows, _without_cameras

pytestmark = pytest.mark.django_db


def _index_definitions(table: str = "mapping_camera") -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass",
            [table],
        )
        return {definition for (definition,) in cursor.fetchall()}


def _constraints(table: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass",
            [table],
        )
        return set(cursor.fetchall())


def test_the_secondary_indexes_are_the_ones_no_constraint_owns():
    names = {name for name, _ in bulk_load.secondary_indexes(connection.cursor(), "mapping_camera")}
    assert "mapping_camera_pkey" not in names
    assert {"camera_unique_osm_identity", "camera_capabilities_gin"} <= names


def test_a_bulk_loaded_table_has_exactly_its_indexes_back():
    before = _index_definitions()
    _without_cameras()

    import_file(HELSINKI_PBF)

    assert _index_definitions() == before
    assert Camera.objects.count() > 200


def _counting_fills(monkeypatch) -> list[int]:
    """Records the cells each level-by-level fill writes (the bulk path was taken)."""
    fills: list[int] = []
    real = first_fill.fill_from_cameras

    def counting(cursor, cameras="mapping_camera"):
        fills.append(real(cursor, cameras))
        return fills[-1]

    monkeypatch.setattr(first_fill, "fill_from_cameras", counting)
    return fills


def test_a_bulk_load_stores_the_same_cameras_and_cells_as_the_general_path(tmp_path, monkeypatch):
    fills = _counting_fills(monkeypatch)
    path = tmp_path / "synthetic.osm.pbf"
    write_synthetic_pbf(SyntheticSpec(cameras=2000, segments=0, seed=3), path)
    _without_cameras()
    make_camera(source="community", location=point())  # not empty: the general path
    import_file(path, defer_derived=True)
    general = _camera_rows()
    _without_cameras()
    assert not fills

    summary = import_file(path, defer_derived=True)

    assert summary.counts.cameras_new == 2000 and len(fills) == 1
    assert _camera_rows() == general
    counted = _aggregate()
    rebuild_density_cells()
    assert _aggregate() == counted


def test_the_level_by_level_fill_counts_every_kind_of_camera_like_a_recount():
    _without_cameras()
    for n, (source, status) in enumerate(
        [("osm", "active"), ("community", "active"), ("osm", "removed")] * 4
    ):
        make_camera(
            source=source,
            status=status,
            removed_at=None if status == "active" else "2024-01-01T00:00Z",
            location=point(24.93 + n * 0.013, 60.16 + n * 0.007),
            surveillance=("public", "outdoor", "indoor", "")[n % 4],
            camera_type=("fixed", "dome", "panning")[n % 3],
            capabilities=[["alpr"], ["face_recognition", "ptz"], []][n % 3],
        )
    make_camera(location=point(179.99999, 85.06))  # clamped to the last tile both ways
    rebuild_density_cells()
    recounted = _aggregate()
    empty_aggregate()

    with connection.cursor() as cursor:
        written = first_fill.fill_from_cameras(cursor)

    assert _aggregate() == recounted
    assert written == len([row for row in recounted if row[0] == "cell"])


def test_the_fill_writes_the_cells_on_disk_in_key_order():
    _without_cameras()
    for n in range(12):  # far apart and out of order, so that no level is one cell
        make_camera(location=point(170.0 - n * 29.3, (-1) ** n * (n * 7.1)), camera_type="dome")
        make_camera(location=point(-3.0 + n * 0.011, 40.0 - n * 0.007), camera_type="fixed")
    empty_aggregate()

    with connection.cursor() as cursor:
        first_fill.fill_from_cameras(cursor)
        cursor.execute("SELECT level, cell_x, cell_y, dims FROM mapping_densitycell ORDER BY ctid")
        on_disk = cursor.fetchall()

    assert len(on_disk) > 12 * len(first_fill.AGGREGATE_LEVELS)
    assert on_disk == sorted(on_disk)


def test_the_fill_leaves_the_session_as_it_found_it():
    _without_cameras()
    make_camera(location=point(2.35, 48.85))
    empty_aggregate()

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '5MB'")
        first_fill.fill_from_cameras(cursor)
        cursor.execute("SELECT current_setting('work_mem')")
        (work_mem,) = cursor.fetchone()
        # A second fill in the same transaction works as the first.
        empty_aggregate()
        assert first_fill.fill_from_cameras(cursor) == len(first_fill.AGGREGATE_LEVELS)

    assert work_mem == "5MB"


def test_the_aggregate_gets_its_primary_key_and_indexes_back_after_the_fill():
    indexes, constraints = (
        _index_definitions("mapping_densitycell"),
        _constraints("mapping_densitycell"),
    )
    assert ("mapping_densitycell_pkey", "PRIMARY KEY (level, cell_x, cell_y, dims)") in constraints
    _without_cameras()
    make_camera(location=point(2.35, 48.85))
    empty_aggregate()

    with connection.cursor() as cursor:
        first_fill.fill_from_cameras(cursor)

    assert _index_definitions("mapping_densitycell") == indexes
    assert _constraints("mapping_densitycell") == constraints


def test_a_duplicate_cell_fails_the_primary_key_rebuild():
    _without_cameras()
    cell = (
        "INSERT INTO mapping_densitycell (level, cell_x, cell_y, dims, camera_count)"
        " VALUES (3, 1, 1, 0, 1)"
    )
    with (  # noqa: PT012 - the error comes from the block's end, the key's rebuild
        connection.cursor() as cursor,
        pytest.raises(IntegrityError, match="could not create unique index"),
        transaction.atomic(),
        bulk_load.primary_key_built_after(cursor, "mapping_densitycell"),
    ):
        cursor.execute(cell)
        cursor.execute(cell)  # without its key, the table takes the duplicate
        cursor.execute("SELECT count(*) FROM mapping_densitycell WHERE level = 3")
        assert cursor.fetchone()[0] == 2
    names = {name for name, _ in _constraints("mapping_densitycell")}
    assert "mapping_densitycell_pkey" in names  # rolled back with the savepoint, key included


def _insert_trigger_state() -> tuple[str, str, str] | None:
    """The density insert trigger's definition, comment and enabled state; None if gone."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_triggerdef(t.oid), obj_description(t.oid, 'pg_trigger'), t.tgenabled"
            " FROM pg_trigger AS t WHERE t.tgrelid = 'mapping_camera'::regclass"
            " AND t.tgname LIKE 'pgtrigger_density_insert_%%'"
        )
        return cursor.fetchone()


def _temp_bytes() -> int:
    """What this database's sessions have written to temporary files, by the last flush.

    A session sends its statistics when it goes idle after a transaction: call it
    outside one, after the statements it measures have ended theirs.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")  # at this statement's end
        cursor.execute("SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_the_insert_trigger_is_gone_only_inside_the_block_and_comes_back_as_it_was():
    installed = _insert_trigger_state()
    assert installed is not None
    definition, comment, enabled = installed
    assert "REFERENCING NEW TABLE" in definition
    assert comment and enabled == "O"  # pgtrigger's hash of its definition
    # A camera deleted earlier in the transaction leaves deferred foreign-key checks
    # pending, which DROP TRIGGER refuses to run over.
    make_camera()
    _without_cameras()
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        first_fill.insert_trigger_dropped(cursor),
    ):
        assert _insert_trigger_state() is None
        make_camera()
    assert not DensityCell.objects.exists()
    assert _insert_trigger_state() == installed
    make_camera()
    assert DensityCell.objects.exists()


def test_a_disabled_insert_trigger_comes_back_disabled():
    table, trigger = first_fill._insert_trigger()
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        disabled = _insert_trigger_state()
        with transaction.atomic(), first_fill.insert_trigger_dropped(cursor):
            pass
    assert disabled[2] == "D"
    assert _insert_trigger_state() == disabled


@pytest.mark.django_db(transaction=True)
def test_rows_inserted_without_the_trigger_are_not_kept_for_a_transition_table():
    """1.2 GB of temporary file for the 2.5 million synthetic cameras, trigger disabled."""
    source = (
        "SELECT 'community', ST_SetSRID(ST_MakePoint(n * 1e-5, 45), 4326), '', 'camera', '',"
        " '', '', '{}', repeat('x', 200), '', '{}', '', '', '', '', 'active', 0, now(), now(),"
        " now(), '{}' FROM generate_series(1, 20000) AS n"
    )
    insert = (
        "INSERT INTO mapping_camera (source, location, surveillance, surveillance_type, zone,"
        " camera_type, mount, directions, operator, operator_type, capabilities, vendor, name,"
        f" ref, fixme, status, confirmations, first_seen, last_seen, updated_at, tags) {source}"
    )
    table, trigger = first_fill._insert_trigger()

    def kept(stand_aside, statement: str = insert) -> int:
        before = _temp_bytes()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64kB'")  # a transition table spills at once
            with stand_aside(cursor):
                cursor.execute(statement)
            transaction.set_rollback(True)
        _temp_bytes()  # flushes the statistics of the transaction just ended
        return _temp_bytes() - before

    @contextmanager
    def disabled(cursor):
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        yield

    # generate_series spills its own rows too, with so little memory.
    source_alone = kept(lambda cursor: nullcontext(), f"SELECT count(*) FROM ({source}) AS s")
    assert kept(disabled) > source_alone + 20000 * 200  # the measure sees the copy
    assert kept(first_fill.insert_trigger_dropped) == source_alone


def test_a_failure_inside_the_block_leaves_the_insert_trigger_as_it_was():
    installed = _insert_trigger_state()
    _without_cameras()
    with (  # noqa: PT012 - the failure is raised inside the block on purpose
        pytest.raises(ZeroDivisionError),
        transaction.atomic(),
        connection.cursor() as cursor,
        first_fill.insert_trigger_dropped(cursor),
    ):
        make_camera()
        1 / 0  # noqa: B018
    assert _insert_trigger_state() == installed
    make_camera()
    assert DensityCell.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_insert_trigger_is_only_dropped_inside_a_transaction():
    """Outside one, nothing would bring it back should the load fail."""
    installed = _insert_trigger_state()
    with (
        connection.cursor() as cursor,
        pytest.raises(RuntimeError, match="inside a transaction"),
        first_fill.insert_trigger_dropped(cursor),
    ):
        pass
    assert _insert_trigger_state() == installed


def _load_twice(osm_id: int) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        assert bulk_load.lock_if_empty(cursor, "mapping_camera")
        with bulk_load.indexes_built_after(cursor, "mapping_camera"):
            make_camera(osm_id=osm_id)
            make_camera(osm_id=osm_id)  # no unique index to refuse it yet


def test_a_duplicate_identity_fails_the_unique_index_rebuild():
    _without_cameras()
    with pytest.raises(IntegrityError, match="camera_unique_osm_identity"):
        _load_twice(7)


def test_a_bulk_load_that_fails_on_a_duplicate_leaves_the_database_unchanged(
    town, tmp_path, monkeypatch
):
    _without_cameras()
    before, indexes = database_snapshot(), _index_definitions()
    real_order = first_load.load_order
    # Every camera written twice: the unique index, built after the rows, must refuse it.
    monkeypatch.setattr(first_load, "load_order", lambda cameras: real_order(cameras).repeat(2))

    with pytest.raises(IntegrityError):
        import_file(town.write(tmp_path / "town.osm.pbf"))

    assert database_snapshot() == before and _index_definitions() == indexes
    assert not DensityCell.objects.exists()


def test_a_table_with_community_cameras_is_not_locked_nor_reindexed():
    _without_cameras()
    make_camera(source="community")
    with connection.cursor() as cursor:
        assert not bulk_load.lock_if_empty(cursor, "mapping_camera")
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE relation = 'mapping_camera'::regclass"
            " AND mode = 'AccessExclusiveLock' AND pid = pg_backend_pid()"
        )
        assert cursor.fetchone()[0] == 0


@pytest.mark.parametrize("empty_table", [True, False], ids=["bulk load", "general path"])
@pytest.mark.parametrize(
    "value",
    ["tab\there", "two\nlines", "back\\slash", 'a "quote"', "\\N", "crlf\r\n", "Café ✓"],
)
def test_tags_that_copy_must_escape_are_stored_exactly(town, tmp_path, value, empty_table):
    if empty_table:
        _without_cameras()
    town.camera(104, at(0.5, 0.5), tags={"operator": value, "name": value, "note": value})
    import_file(town.write(tmp_path / "town.osm.pbf"))
    camera = Camera.objects.get(osm_id=104)
    assert (camera.operator, camera.name, camera.tags["note"]) == (
        value.strip(),
        value.strip(),
        value,
    )


def _pages_and_all_visible_pages() -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relpages, relallvisible FROM pg_class WHERE oid = 'mapping_camera'::regclass"
        )
        return cursor.fetchone()


def test_inside_a_transaction_only_statistics_are_refreshed():
    make_camera(location=point(2.35, 48.85))
    assert bulk_load.vacuum_analyze("mapping_camera") == "ANALYZE mapping_camera"


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_pages_are_marked_all_visible_for_index_only_counts():
    for index in range(300):
        make_camera(location=point(2.35 + index * 1e-5, 48.85))
    assert (
        bulk_load.vacuum_analyze("mapping_camera")
        == "VACUUM (ANALYZE, INDEX_CLEANUP ON) mapping_camera"
    )
    pages, all_visible = _pages_and_all_visible_pages()
    assert all_visible == pages > 0
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM mapping_camera"
            " WHERE status = 'active' AND position <@ box(point(2.34, 48.84), point(2.36, 48.86))"
        )
        plan = cursor.fetchone()[0][0]["Plan"]["Plans"][0]
    assert plan["Node Type"] == "Index Only Scan"
    assert plan["Heap Fetches"] == 0
    assert plan["Actual Rows"] == 300


def _heap_fetches_counting(box_sql: str) -> tuple[str, int, int]:
    """Node type, heap fetches and rows of counting the active cameras in a box."""
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM mapping_camera"
            f" WHERE status = 'active' AND position <@ {box_sql}"
        )
        plan = cursor.fetchone()[0][0]["Plan"]["Plans"][0]
    return plan["Node Type"], plan["Heap Fetches"], plan["Actual Rows"]


@pytest.fixture
def default_index_cleanup():
    """The camera table with PostgreSQL's default index cleanup (migration 0010 turns it on
    for the table, which would hide what vacuum_analyze itself asks for)."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE mapping_camera RESET (vacuum_index_cleanup)")
    yield
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE mapping_camera SET (vacuum_index_cleanup = on)")


@pytest.mark.django_db(transaction=True)
def test_a_few_rewritten_pages_are_marked_all_visible_too(default_index_cleanup):
    """VACUUM skips the indexes when under 2 % of the pages hold dead rows, leaving those
    pages out of the visibility map: one moved camera among 4,000 must not cost its
    neighbours' index-only counts a read of the table each."""
    Camera.objects.bulk_create(
        Camera(
            location=point(2.30 + (index % 100) * 1e-4, 48.80 + (index // 100) * 1e-4),
            source="osm",
            osm_type="node",
            osm_id=10_000_000 + index,
            osm_version=1,
            surveillance_type="camera",
        )
        for index in range(4000)
    )
    bulk_load.vacuum_analyze("mapping_camera")
    pages, _ = _pages_and_all_visible_pages()
    moved = Camera.objects.order_by("id").first()
    # A new position changes indexed columns: the old row version is dead, not pruned away.
    Camera.objects.filter(pk=moved.pk).update(location=point(2.30005, 48.80005))
    assert pages >= 60, "one page of dead rows is under 2 % of them"
    bulk_load.vacuum_analyze("mapping_camera")
    node, heap_fetches, rows = _heap_fetches_counting("box(point(2.29, 48.79), point(2.32, 48.85))")
    assert (node, heap_fetches, rows) == ("Index Only Scan", 0, 4000)


def test_autovacuum_starts_early_on_the_camera_table_and_cleans_its_indexes():
    from importlib import import_module

    wanted = import_module("mapping.migrations.0010_camera_vacuum_settings").SETTINGS
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = 'mapping_camera'::regclass")
        options = dict(option.split("=", 1) for option in cursor.fetchone()[0])
    assert {name: options.get(name) for name in wanted} == wanted
    assert float(options["autovacuum_vacuum_scale_factor"]) <= 0.01
