"""Fill the empty density aggregate from the cameras, level from level.

The INSERT trigger (triggers.py) handles any statement: it spreads every camera's
finest cell over the 14 aggregated levels (a row per camera and level, about 700,000
rows for 50,000 cameras) and groups them all at once. When the aggregate is empty and
every camera is new (a first import into an empty table), each level can instead be
summed from the one below it, a cell's parent being (x >> 1, y >> 1): the same counts,
from about a quarter of the rows. PostgreSQL counts the cameras into the finest level
(in parallel where the server allows it) with the trigger's own tile and dims SQL, so
both ways put every camera in the same cell; numpy sums the coarser levels and the
totals from it (rollup.py, integers only), and both go back in with a binary COPY, in
key order. Tests compare the result with rebuild_density_cells.

The caller inserts the cameras with the trigger told to stand aside
(insert_trigger_dropped), then calls fill_from_cameras, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from psycopg import sql

from mapping import bulk_load, copy_binary
from mapping.density import rollup, totals
from mapping.density.cells import AGGREGATE_LEVELS, FINE_LEVEL, tile_columns, tile_rows
from mapping.density.dimensions import dims_sql
from mapping.density.triggers import DENSITY_TABLE, tile_x_sql, tile_y_sql

INSERT_TRIGGER_NAME = "density_insert"
AGGREGATE_IS_EMPTY = f"SELECT NOT EXISTS (SELECT 1 FROM {DENSITY_TABLE})"
# The finest cells' hash table (1.1 million cells for the 2.5 million synthetic cameras) in
# memory: spilled to disk, beside the import's own writes, the fill took from 8.7 to 21 s.
# Half what an index build sorts in (bulk_load).
FILL_WORK_MEM = "256MB"
CELL_COLUMNS = ("level", "cell_x", "cell_y", "dims", "camera_count")
TOTAL_COLUMNS = ("level", "cell_x", "cell_y", "camera_count")


def fine_cells_query(cameras: str = "mapping_camera") -> str:
    """SELECT of the cameras counted into their finest cells.

    Read with a COPY, which PostgreSQL runs in parallel (an INSERT's SELECT it does not):
    this scan, every camera's tile with a tangent and an arcsinh each, is most of the
    fill's work in the server, 4.7 s alone and 2.7-3.2 s with two workers on the 2.5
    million synthetic cameras. (Not where every core is busy already: mapping
    .parallel_load counts without workers, beside its index builds.)
    """
    scale = f"{float(2**FINE_LEVEL)}::float8"
    return f"""
        SELECT {tile_x_sql("c.location", scale)} AS cell_x,
               {tile_y_sql("c.location", scale)} AS cell_y,
               {dims_sql("c")} AS dims, count(*)::int AS n
        FROM {cameras} AS c
        GROUP BY 1, 2, 3
    """


def fine_cells(cursor, cameras: str = "mapping_camera") -> rollup.LevelCells:
    """The cameras counted into their finest cells (any session that sees the rows)."""
    x, y, dims, n = copy_binary.fetch_columns(cursor, fine_cells_query(cameras), ("integer",) * 4)
    return rollup.LevelCells(FINE_LEVEL, x, y, dims, n)


def cameras_as_fine_cells(
    lons: np.ndarray, lats: np.ndarray, dims: np.ndarray
) -> rollup.LevelCells:
    """Each camera as one count in its finest cell, for rollup.roll_up to sum: what
    fine_cells counts, from the places and dims of the cameras about to be written.

    For a first import that has them in arrays (mapping.parallel_load): 0.3 s of numpy
    for the 2.5 million synthetic cameras, where PostgreSQL took 4.7-6.2 s of a core to
    scan and count the rows written. The tiles are those of the SQL (tile_rows says how).
    """
    return rollup.LevelCells(
        FINE_LEVEL,
        tile_columns(lons, FINE_LEVEL),
        tile_rows(lats, FINE_LEVEL),
        np.asarray(dims, dtype=np.int64),
        np.ones(len(dims), dtype=np.int64),
    )


def _level(level: int, count: int) -> tuple[str, np.ndarray]:
    return ("smallint", np.full(count, level, dtype=np.int64))


def _cell_rows(cells: rollup.LevelCells) -> bytes:
    return copy_binary.encode_rows(
        [
            _level(cells.level, len(cells.n)),
            ("integer", cells.x),
            ("integer", cells.y),
            ("integer", cells.dims),
            ("integer", cells.n),
        ]
    )


def _total_rows(cells: rollup.LevelCells) -> bytes:
    summed = totals.totals_of(cells)
    return copy_binary.encode_rows(
        [
            _level(summed.level, len(summed.n)),
            ("integer", summed.x),
            ("integer", summed.y),
            ("integer", summed.n),
        ]
    )


def aggregate_is_empty(cursor) -> bool:
    cursor.execute(AGGREGATE_IS_EMPTY)
    return cursor.fetchone()[0]


def _insert_trigger() -> tuple[str, str]:
    """The camera table and the density insert trigger's name in PostgreSQL."""
    from mapping.models import Camera

    (trigger,) = (t for t in Camera._meta.triggers if t.name == INSERT_TRIGGER_NAME)
    return Camera._meta.db_table, trigger.get_pgid(Camera)


# The trigger as PostgreSQL would recreate it, its comment (pgtrigger keeps the hash of
# its definition there) and whether it is enabled.
TRIGGER_STATE = """
SELECT pg_get_triggerdef(t.oid), obj_description(t.oid, 'pg_trigger'), t.tgenabled
FROM pg_trigger AS t
WHERE t.tgrelid = %s::regclass AND t.tgname = %s
"""


@contextmanager
def insert_trigger_dropped(cursor) -> Iterator[None]:
    """Statements in the body insert cameras without the density trigger counting them.

    The trigger is dropped for the body and created again after it, exactly as it was
    (definition read back with pg_get_triggerdef, comment, enabled state), inside the
    caller's transaction: other sessions never see it gone, and a rollback brings it
    back. Neither told to return at once (pgtrigger.ignore) nor disabled (ALTER TABLE
    ... DISABLE TRIGGER): PostgreSQL still keeps a copy of every inserted row for a
    statement trigger's transition table while the trigger exists, fired or not,
    enabled or not. For the 2.5 million synthetic cameras that copy was about 1.2 GB written
    to a temporary file during the COPY, a fifth of the server's time in it (perf). The
    caller holds the table locked (DROP TRIGGER takes a lock that blocks other writers).
    """
    bulk_load.require_transaction("dropping a trigger")
    bulk_load.settle_pending_checks(cursor)
    table, trigger = _insert_trigger()
    cursor.execute(TRIGGER_STATE, [table, trigger])
    definition, comment, enabled = cursor.fetchone()
    names = {"trigger": sql.Identifier(trigger), "table": sql.Identifier(table)}
    cursor.execute(sql.SQL("DROP TRIGGER {trigger} ON {table}").format(**names))
    yield
    bulk_load.create_trigger(cursor, table, trigger, definition, comment, enabled)


def fill_from_cameras(cursor, cameras: str = "mapping_camera") -> int:
    """Count cameras into the empty aggregate; returns the number of cells written.

    The aggregate's indexes (its primary key among them) are built after the cells, as
    the camera table's are (mapping/bulk_load.py): writing the cells one by one into a
    four-column key cost about as much as counting them. Only the empty aggregate gets
    here, inside the import's transaction; density readers wait for its commit, as
    readers of the camera table do (there is nothing to read yet).
    """
    with bulk_load.local_setting(cursor, "work_mem", FILL_WORK_MEM):
        return fill_from_fine_cells(cursor, fine_cells(cursor, cameras))


def fill_from_fine_cells(cursor, fine: rollup.LevelCells) -> int:
    """Write the empty aggregate from the finest cells already counted; returns the cells.

    For a caller that counted them in another session, at the same time as other work
    (mapping.parallel_load); fill_from_cameras counts them in this one.
    """
    with (
        bulk_load.primary_key_built_after(cursor, DENSITY_TABLE),
        bulk_load.indexes_built_after(cursor, DENSITY_TABLE),
    ):
        levels = rollup.roll_up(fine, AGGREGATE_LEVELS)
        copy_binary.copy_rows(cursor, DENSITY_TABLE, CELL_COLUMNS, map(_cell_rows, levels))
    # The totals are the cells summed over their dims: any left without cells are stale.
    cursor.execute(f"DELETE FROM {totals.TOTALS_TABLE}")
    with (
        bulk_load.primary_key_built_after(cursor, totals.TOTALS_TABLE),
        bulk_load.indexes_built_after(cursor, totals.TOTALS_TABLE),
    ):
        copy_binary.copy_rows(cursor, totals.TOTALS_TABLE, TOTAL_COLUMNS, map(_total_rows, levels))
    return sum(len(cells.n) for cells in levels)
