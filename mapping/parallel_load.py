"""A very big first import: loaded by several sessions at once, then swapped in.

One transaction is one PostgreSQL backend, and a backend works on one core. Into an
empty table, the 2.5 million synthetic cameras took 45-68 s of that one core after the
file was read (the COPY, nine index builds, the density cells), the other core mostly
idle. What osm2pgsql and imposm do instead, done here: the rows go into a table of
their own, the stage, from several sessions at once, each COPYing one part of them
from a process of its own, while the importing process counts the density cells from
the rows' arrays; the stage's indexes are built by several sessions at once, while the
import's session writes the density cells; then the import's transaction swaps the
stage in for the empty camera table, in a few catalogue statements.

All or nothing still holds. The stage is a table no reader knows, committed by the
sessions that fill it; the swap happens inside the import's transaction, which holds
the empty camera table locked from before the load until it commits. If anything fails
before the swap, the stage is dropped at once; if the import's transaction rolls back
after it, the stage is back under its own name, and the importer drops it
(drop_leftovers), as the next big import would.

The swapped-in table must be the one the migrations made, to the letter: columns,
defaults, checks, storage parameters, identity sequence, index and constraint names,
triggers (pgtrigger keeps a hash of each in its comment), the foreign keys pointing at
it, its grants. The stage is made LIKE the camera table, its indexes from the camera
table's own definitions (pg_get_indexdef), and the rest is read from the catalogue and
put back by name; tests compare the catalogue before and after. A table with anything
else hanging on it (a view, a rule, a policy, a publication, column grants, a foreign
key of its own, a UNIQUE constraint) is not swapped: the import falls back to the
one-session load (mapping.first_load), as it does when the stage cannot be made.
"""

from __future__ import annotations

import multiprocessing
import re
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import psycopg
from django.conf import settings
from django.db import connection
from psycopg import sql

from mapping import bulk_load, collector, copy_text, data_version, first_load
from mapping.camera_rows import CameraRows
from mapping.density import first_fill

CAMERA_TABLE = first_load.CAMERA_TABLE
STAGE_PREFIX = "import_stage_camera_"
# How long a side session waits for a lock before the import gives up on this way of
# loading (making the stage) or on dropping a stage (somebody is still using it).
STAGE_LOCK_TIMEOUT = "5s"
LEFTOVER_LOCK_TIMEOUT = "200ms"
# Cores one COPY keeps busy: Python making lines and the server parsing them, or the
# server alone when the lines were made as the file was read (mapping.camera_rows).
CORES_PER_COPY = 2
CORES_PER_MADE_COPY = 1
# The index builds run side by side, as many as there are sessions, which is as many as
# there are cores: parallel workers of their own would only fight them for the cores,
# and a parallel build's workers sort apart, write their runs to temporary files and
# merge them again. On the 2.5 million synthetic cameras, the builds and the density
# count (then a query of its own) took 16.8 and 17.5 s with them, 15.5 and 15.2 s
# without, run in turn (2026-12-04).
BUILD_SETTINGS = {
    "maintenance_work_mem": bulk_load.BUILD_MEMORY,
    "max_parallel_maintenance_workers": "0",
}
COUNT_SETTINGS = {
    "work_mem": first_fill.FILL_WORK_MEM,
    "max_parallel_workers_per_gather": "0",
}
# The density cells are counted from the rows' arrays while they are written when at
# most one row in this many is an element (a camera way or relation, or any camera of an
# Overpass answer): the reader packed each camera node's dims as it read it, and an
# element would have its tags read again for it, 3.5 µs each. Otherwise PostgreSQL
# counts them from the stage, 4.7-6.2 s of a core for 2.5 million.
ELEMENTS_COUNTED_HERE = 10

# What may hang on the camera table for a swap to put everything back: its indexes, its
# TOAST table and identity sequence, its row type, defaults, check constraints, primary
# key, triggers, and foreign keys of other tables pointing at it. Anything else is named.
OTHER_DEPENDENTS = """
SELECT d.classid::regclass::text || ' ' || d.objid::text
FROM pg_depend AS d
LEFT JOIN pg_class AS c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
LEFT JOIN pg_constraint AS k ON d.classid = 'pg_constraint'::regclass AND k.oid = d.objid
WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = %(table)s::regclass
  AND d.classid NOT IN ('pg_type'::regclass, 'pg_attrdef'::regclass, 'pg_trigger'::regclass)
  AND NOT coalesce(c.relkind IN ('i', 't') OR (c.relkind = 'S' AND d.deptype = 'i'), false)
  AND NOT coalesce(
      (k.conrelid = %(table)s::regclass AND k.contype IN ('c', 'p'))
      OR (k.confrelid = %(table)s::regclass AND k.contype = 'f'), false)
UNION ALL
SELECT 'column grants' FROM pg_attribute
WHERE attrelid = %(table)s::regclass AND attacl IS NOT NULL
UNION ALL
SELECT 'inheritance' FROM pg_inherits
WHERE inhrelid = %(table)s::regclass OR inhparent = %(table)s::regclass
UNION ALL
SELECT 'publication' FROM pg_publication_rel WHERE prrelid = %(table)s::regclass
UNION ALL
SELECT 'kind ' || relkind::text FROM pg_class
WHERE oid = %(table)s::regclass AND (relkind <> 'r' OR relpersistence <> 'p')
"""
FOREIGN_KEYS_TO = """
SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
FROM pg_constraint WHERE confrelid = %s::regclass AND contype = 'f' ORDER BY oid
"""
TRIGGERS = """
SELECT pg_get_triggerdef(oid), tgname, obj_description(oid, 'pg_trigger'), tgenabled
FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal ORDER BY oid
"""
PRIMARY_KEY = """
SELECT conname, pg_get_indexdef(conindid) FROM pg_constraint
WHERE conrelid = %s::regclass AND contype = 'p'
"""
IDENTITY_SEQUENCES = """
SELECT attname, pg_get_serial_sequence(%s, attname) FROM pg_attribute
WHERE attrelid = %s::regclass AND attidentity <> '' AND NOT attisdropped ORDER BY attnum
"""
TABLE_GRANTS = """
SELECT coalesce(quote_ident(r.rolname), 'PUBLIC'), a.privilege_type, a.is_grantable
FROM pg_class AS c, aclexplode(c.relacl) AS a
LEFT JOIN pg_roles AS r ON r.oid = a.grantee
WHERE c.oid = %s::regclass AND a.grantee <> c.relowner
"""
RELOPTIONS = "SELECT coalesce(reloptions, '{}') FROM pg_class WHERE oid = %s::regclass"
# Off while the stage is filled and indexed: an autovacuum of the rows just committed
# would take the cores the index builds need, then be cancelled by them (they wait a
# second for it first). The swap gives the table back the camera table's own setting.
AUTOVACUUM = "autovacuum_enabled"
STAGES = f"""
SELECT quote_ident(relname) FROM pg_class
WHERE starts_with(relname, '{STAGE_PREFIX}') AND relkind = 'r'
  AND relnamespace = current_schema()::regnamespace
"""
# The secondary indexes (bulk_load's), each by its bare name, to be given to the stage's.
SECONDARY_INDEXES = """
SELECT quote_ident(c.relname), pg_get_indexdef(i.indexrelid)
FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid
WHERE i.indrelid = %s::regclass
  AND NOT EXISTS (SELECT 1 FROM pg_constraint AS k WHERE k.conindid = i.indexrelid)
ORDER BY i.indexrelid
"""
_INDEX_DEFINITION = re.compile(
    r"CREATE (?P<unique>UNIQUE )?INDEX (?P<name>\"(?:[^\"]|\"\")+\"|\S+) "
    r"ON (?:ONLY )?\S+ (?P<rest>USING .*)",
    re.DOTALL,
)


class ParallelLoadError(RuntimeError):
    """A session loading the stage failed; the stage is gone, the import rolls back."""


def wanted(camera_count: int) -> bool:
    """Whether a first import of camera_count cameras is worth several sessions."""
    least = settings.IMPORT_PARALLEL_MIN_CAMERAS
    return (
        0 < least <= camera_count
        and settings.IMPORT_PARALLEL_SESSIONS >= 2
        and "fork" in multiprocessing.get_all_start_methods()
    )


def side_session(**settings_: str) -> psycopg.Connection:
    """A new connection to the import's database, in autocommit, with the given settings."""
    params = connection.get_connection_params()
    params["autocommit"] = True
    side = psycopg.connect(**params)
    for name, value in settings_.items():
        side.execute("SELECT set_config(%s, %s, false)", [name, value])
    return side


def swap_blockers(cursor, table: str = CAMERA_TABLE) -> list[str]:
    """What hangs on table that a swap could not put back (nothing: it can be swapped)."""
    cursor.execute(OTHER_DEPENDENTS, {"table": table})
    return [row[0] for row in cursor.fetchall()]


def drop_leftovers() -> list[str]:
    """Drop every stage nobody holds; returns their names.

    A stage is left behind when an import's transaction rolls back after its swap, or
    when the importing process dies. One still being filled or swapped is locked by its
    import, so the DROP gives up on it after LEFTOVER_LOCK_TIMEOUT.
    """
    dropped = []
    with side_session(lock_timeout=LEFTOVER_LOCK_TIMEOUT) as side:
        for (name,) in side.execute(STAGES).fetchall():
            try:
                side.execute(f"DROP TABLE IF EXISTS {name}")
            except psycopg.errors.LockNotAvailable:
                continue
            dropped.append(name)
    return dropped


@dataclass
class Timings:
    """Seconds spent in each step of a parallel load (the benchmark reports them)."""

    steps: dict[str, float] = field(default_factory=dict)
    _started: float = field(default_factory=time.perf_counter)

    def mark(self, step: str) -> None:
        now = time.perf_counter()
        self.steps[step] = round(now - self._started, 3)
        self._started = now


# The last parallel load's steps, for the benchmark's notes (None: none ran yet).
last_timings: dict[str, float] | None = None


@dataclass
class Stage:
    """A committed, empty copy of the camera table's shape, to be filled and swapped in."""

    name: str
    sessions: int
    autovacuum: str | None = None  # the camera table's own autovacuum_enabled=..., if any

    @classmethod
    def make(cls, cursor) -> Stage | None:
        """The stage, made by a side session; None when the camera table cannot be swapped.

        Called before the import locks the camera table: making a table LIKE another
        takes a lock on it that the import's lock would block. Whatever stops it here
        (something a swap would lose, a lock held elsewhere) only means the one-session
        load.
        """
        if swap_blockers(cursor):
            return None
        cursor.execute("SELECT pg_backend_pid()")
        stage = cls(f"{STAGE_PREFIX}{cursor.fetchone()[0]}", settings.IMPORT_PARALLEL_SESSIONS)
        cursor.execute(RELOPTIONS, [CAMERA_TABLE])
        (reloptions,) = cursor.fetchone()
        stage.autovacuum = next((o for o in reloptions if o.startswith(AUTOVACUUM + "=")), None)
        options = [o for o in reloptions if o != stage.autovacuum] + [f"{AUTOVACUUM}=false"]
        try:
            drop_leftovers()
            with side_session(lock_timeout=STAGE_LOCK_TIMEOUT) as side:
                side.execute(
                    f"CREATE TABLE {stage.name} "
                    f"(LIKE {CAMERA_TABLE} INCLUDING ALL EXCLUDING INDEXES EXCLUDING STATISTICS)"
                )
                side.execute(f"ALTER TABLE {stage.name} SET ({', '.join(options)})")
        except psycopg.Error:  # a lock held elsewhere, no connection left, no right to
            stage.drop()  # create a table: the one-session load needs none of these
            return None
        return stage

    def drop(self) -> None:
        """Drop the stage, if nobody holds it (after a swap, the import's transaction does)."""
        try:
            with side_session(lock_timeout=LEFTOVER_LOCK_TIMEOUT) as side:
                side.execute(f"DROP TABLE IF EXISTS {self.name}")
        except psycopg.Error:
            pass  # drop_leftovers will, once the import's transaction has ended

    def load_and_swap(
        self, cursor, cameras: CameraRows, now: datetime, unparsed: Counter[str]
    ) -> int:
        """Fill the stage, index it, count its density cells, swap it in; returns the rows.

        cursor: the import's, inside its transaction, holding the empty camera table
        locked (bulk_load.lock_if_empty) with an empty density aggregate.
        """
        global last_timings
        timings = Timings()
        # The import's session must not touch the stage before the swap: a lock it took
        # would last until it commits, and the side sessions altering the stage would wait
        # for it while it waits for them.
        fine: list[first_fill.rollup.LevelCells] = []
        try:
            order = first_load.load_order(cameras)

            def count_cells() -> None:  # while the rows are written, from their arrays
                if cameras.elements_count <= len(order) // ELEMENTS_COUNTED_HERE:
                    dims = cameras.first_import_dims(order)
                    lons, lats = cameras.lons[order], cameras.lats[order]
                    fine.append(first_fill.cameras_as_fine_cells(lons, lats, dims))

            self._prepare(cursor, now)
            loaded = self._copy_in_parts(cameras, order, unparsed, count_cells)
            timings.mark("copy")
            self._put_back_defaults(cursor)
            cursor.execute(SECONDARY_INDEXES, [CAMERA_TABLE])
            indexes = cursor.fetchall()
            cursor.execute(PRIMARY_KEY, [CAMERA_TABLE])
            key_name, key_definition = cursor.fetchone()
            built = self._index_and_fill_density(
                cursor, indexes, key_definition, fine[0] if fine else None
            )
            timings.mark("indexes and density")
        except BaseException:
            self.drop()
            raise
        self._swap(cursor, built, key_name)
        timings.mark("swap")
        cursor.execute(f"ANALYZE {CAMERA_TABLE} (location, source, status, osm_type, osm_id)")
        timings.mark("analyze")
        last_timings = timings.steps
        return loaded

    # --- before the load ------------------------------------------------------------

    def _prepare(self, cursor, now: datetime) -> None:
        """The stage's identity goes on from the camera table's; constants become defaults.

        Ids are never handed out twice, even those of cameras deleted before the import.
        What every camera of a first import shares is filled by PostgreSQL once per
        statement instead of parsed in every line (as mapping.first_load does).
        """
        cursor.execute(IDENTITY_SEQUENCES, [CAMERA_TABLE, CAMERA_TABLE])
        positions = []
        for column, sequence in cursor.fetchall():
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
            positions.append((column, *cursor.fetchone()))
        constants = dict(
            zip(first_load.CONSTANT_COLUMNS, ("osm", "active", 0, now, now, now), strict=True)
        )
        with side_session() as side:
            for column, last_value, is_called in positions:
                side.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), %s, %s)",
                    [self.name, column, last_value, is_called],
                )
            side.execute(first_load.set_defaults(self.name, constants))

    def _copy_in_parts(
        self,
        cameras: CameraRows,
        order: np.ndarray,
        unparsed: Counter[str],
        meanwhile: Callable[[], None],
    ) -> int:
        """COPY the cameras, in place order, as one contiguous part per two sessions, or
        per session when every line was made as the file was read.

        A part whose lines are made at the COPY keeps two cores busy: Python making its
        lines, the server parsing them. Split finer, the parts only fight over the cores,
        and each costs more than its share: on two cores, the 2.5 million synthetic
        cameras took 39 s as one part and 47 s as two (66 s of CPU against 91;
        2026-12-03). Lines made already only need joining: the server's parsing is the
        work, and two sessions share it. One part is written from this process, through
        a side session that commits it into the stage; more parts are each written by a
        forked process of its own (it inherits the cameras read, nothing is pickled).
        Parts are runs of the geohash order, so each keeps its neighbours together on
        disk. meanwhile is called while forked processes write (before, without them).
        """
        cores = CORES_PER_MADE_COPY if cameras.all_made else CORES_PER_COPY
        count = max(1, self.sessions // cores)
        if multiprocessing.current_process().daemon:
            count = 1  # a daemonic process (a task queue's worker) may have no children
        if count == 1:
            meanwhile()
            try:
                return _copy_rows(self.name, cameras, order, unparsed)
            except psycopg.Error as error:
                raise ParallelLoadError(f"{type(error).__name__}: {error}") from error
        parts = np.array_split(order, count)
        context = multiprocessing.get_context("fork")
        workers = []
        for part in parts:
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(
                target=_copy_part, args=(self.name, cameras, part, sender), daemon=True
            )
            process.start()
            sender.close()
            workers.append((process, receiver))
        loaded, errors = 0, []
        try:
            meanwhile()
            for process, receiver in workers:
                try:
                    outcome = receiver.recv()
                except EOFError:
                    outcome = ("error", f"the process writing a part ended ({process.exitcode})")
                process.join()
                if outcome[0] == "ok":
                    loaded += outcome[1]
                    unparsed.update(outcome[2])
                else:
                    errors.append(outcome[1])
        finally:
            for process, _ in workers:
                if process.is_alive():
                    process.terminate()
                    process.join()
        if errors:
            raise ParallelLoadError("; ".join(errors))
        return loaded

    # --- after the load -------------------------------------------------------------

    def _put_back_defaults(self, cursor) -> None:
        """The stage's columns default to what the camera table's do, as before the COPY."""
        cursor.execute(
            first_load.COLUMN_DEFAULTS, [CAMERA_TABLE, list(first_load.CONSTANT_COLUMNS)]
        )
        before = dict(cursor.fetchall())
        with side_session() as side:
            side.execute(first_load.restore_defaults(self.name, before))

    def _index_and_fill_density(
        self,
        cursor,
        indexes: list[tuple[str, str]],
        key_definition: str,
        fine: first_fill.rollup.LevelCells | None,
    ) -> dict[str, str]:
        """Build the stage's indexes in side sessions while this one fills the density.

        This session writes the aggregate from the finest cells (mapping.density
        .first_fill; it does not need the camera table) while the indexes are being
        built: those counted already, or, with fine None, those a side session counts
        from the stage first. The longest builds go first, so that no session is left
        with a big one at the end.
        Returns, by the camera table's index name, the stage's (the primary key's index
        under the name "").
        """
        builds: list[tuple[int, Callable[[], None]]] = []
        renamed = {}
        for k, (name, definition) in enumerate([("", key_definition), *indexes]):
            stage_index = f"{self.name}_{k}"
            statement = _on_stage(definition, stage_index, self.name)
            renamed[name] = stage_index
            builds.append((2 if " USING gist " in statement else 1, _build(statement)))
        builds.sort(key=lambda job: -job[0])
        # A failed build raises what the one-session load would: Django's IntegrityError
        # for a duplicate identity, not psycopg's own.
        with connection.wrap_database_errors, ThreadPoolExecutor(self.sessions) as pool:
            try:
                counting = pool.submit(_count_cells, self.name) if fine is None else None
                built = [pool.submit(job) for _, job in builds]
                first_fill.fill_from_fine_cells(cursor, fine or counting.result())
                for future in built:
                    future.result()
            except BaseException:
                pool.shutdown(cancel_futures=True)
                raise
        return renamed

    def _swap(self, cursor, stage_indexes: dict[str, str], key_name: str) -> None:
        """Put the filled stage in the empty camera table's place, names and all.

        Inside the import's transaction, which holds the camera table locked: other
        sessions see the old table until the import commits, then the new one.
        """
        table = sql.Identifier(CAMERA_TABLE)
        stage = sql.Identifier(self.name)
        cursor.execute(FOREIGN_KEYS_TO, [CAMERA_TABLE])
        foreign_keys = cursor.fetchall()
        cursor.execute(TRIGGERS, [CAMERA_TABLE])
        triggers = cursor.fetchall()
        cursor.execute(TABLE_GRANTS, [CAMERA_TABLE])
        grants = cursor.fetchall()
        cursor.execute(IDENTITY_SEQUENCES, [CAMERA_TABLE, CAMERA_TABLE])
        sequences = cursor.fetchall()
        bulk_load.settle_pending_checks(cursor)
        for referencing, name, _ in foreign_keys:
            cursor.execute(
                sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                    sql.SQL(referencing), sql.Identifier(name)
                )
            )
        cursor.execute(sql.SQL("DROP TABLE {}").format(table))
        cursor.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(stage, table))
        cursor.execute(sql.SQL("ALTER TABLE {} RESET ({})").format(table, sql.SQL(AUTOVACUUM)))
        if self.autovacuum is not None:
            cursor.execute(
                sql.SQL("ALTER TABLE {} SET ({})").format(table, sql.SQL(self.autovacuum))
            )
        for column, sequence in sequences:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [CAMERA_TABLE, column])
            (stage_sequence,) = cursor.fetchone()
            old_name = sequence.rsplit(".", 1)[-1]
            cursor.execute(
                sql.SQL("ALTER SEQUENCE {} RENAME TO {}").format(
                    sql.SQL(stage_sequence), sql.SQL(old_name)
                )
            )
        for name, stage_index in stage_indexes.items():
            if name:
                cursor.execute(
                    sql.SQL("ALTER INDEX {} RENAME TO {}").format(
                        sql.Identifier(stage_index), sql.SQL(name)
                    )
                )
        cursor.execute(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY USING INDEX {}").format(
                table, sql.Identifier(key_name), sql.Identifier(stage_indexes[""])
            )
        )
        for definition, name, comment, enabled in triggers:
            bulk_load.create_trigger(cursor, CAMERA_TABLE, name, definition, comment, enabled)
        for grantee, privilege, grantable in grants:
            cursor.execute(
                sql.SQL("GRANT {} ON {} TO {}{}").format(
                    sql.SQL(privilege),
                    table,
                    sql.SQL(grantee),
                    sql.SQL(" WITH GRANT OPTION" if grantable else ""),
                )
            )
        for referencing, name, definition in foreign_keys:
            cursor.execute(
                sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                    sql.SQL(referencing), sql.Identifier(name), sql.SQL(definition)
                )
            )
        # The camera table's own statement trigger never saw these rows: readers' caches
        # must still learn that the data changed.
        cursor.execute(data_version.BUMP_CAMERA_TOKEN)


def _on_stage(definition: str, index_name: str, stage: str) -> str:
    """An index definition of the camera table, for the stage under another name."""
    match = _INDEX_DEFINITION.fullmatch(definition)
    if match is None:
        raise ValueError(f"unexpected index definition: {definition}")
    unique = match["unique"] or ""
    return f"CREATE {unique}INDEX {index_name} ON {stage} {match['rest']}"


def _build(statement: str) -> Callable[[], None]:
    def build() -> None:
        with side_session(**BUILD_SETTINGS) as side:
            side.execute(statement)

    return build


def _count_cells(stage: str) -> first_fill.rollup.LevelCells:
    with side_session(**COUNT_SETTINGS) as side:
        return first_fill.fine_cells(side.cursor(), stage)


def _copy_rows(stage: str, cameras: CameraRows, part: np.ndarray, unparsed: Counter[str]) -> int:
    """COPY the cameras of part (indexes, in order) into the stage, and commit them."""
    with side_session(synchronous_commit="off") as side, collector.paused():
        chunks = cameras.ewkb_chunks(part, unparsed)
        with side.transaction(), side.cursor() as cursor:
            return copy_text.copy_chunks(cursor, stage, first_load.COLUMNS, chunks)


def _copy_part(stage: str, cameras: CameraRows, part: np.ndarray, sender) -> None:
    """In a forked process: _copy_rows, the outcome sent back through sender.

    Sends ("ok", rows, unparsed values) or ("error", what went wrong). Never touches the
    parent's connection (inherited, inside the import's transaction).
    """
    try:
        unparsed: Counter[str] = Counter()
        rows = _copy_rows(stage, cameras, part, unparsed)
        sender.send(("ok", rows, unparsed))
    except BaseException as error:  # the parent raises it
        sender.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        sender.close()
