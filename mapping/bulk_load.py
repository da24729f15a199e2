"""Load a table that is empty: write the rows first, build its secondary indexes after.

Maintaining nine indexes (three of them GiST) row by row while 50,000 cameras go in
cost more than the insert itself; building each index once from the finished table
(sorted builds, in memory) costs a fraction of it. Only for a table that is empty at
the moment, because the indexes are dropped and rebuilt over every row it holds.

The definitions are read back from the catalogue (pg_get_indexdef), never written
here, so the indexes come back exactly as the migrations made them (names, methods,
predicates, uniqueness). Indexes that carry a constraint (the primary key) stay.

Locking: DROP INDEX takes an ACCESS EXCLUSIVE lock on the table until the
transaction ends, so readers of the table wait for the import to commit. That is
acceptable only because the table is empty (there is nothing to read yet) and the
load takes seconds; it is why the caller checks emptiness under that very lock.
A unique index is checked again as it is rebuilt: a duplicate fails the rebuild and
the caller's transaction, whole import included, rolls back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from psycopg import sql

# The index builds sort in memory up to this much (per build; what scripts/setup_db.sh
# sets for the server); the setting lasts until the end of the import's transaction.
BUILD_MEMORY = "512MB"

# Indexes of the table that no constraint owns (a primary key or UNIQUE constraint's
# index cannot be dropped on its own, and the primary key is worth keeping anyway).
SECONDARY_INDEXES = """
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index AS i
WHERE i.indrelid = %s::regclass
  AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)
ORDER BY i.indexrelid
"""


def require_transaction(what: str) -> None:
    """Nothing puts a dropped index or key back if the load fails, except the rollback."""
    from django.db import connection

    if not connection.in_atomic_block:
        raise RuntimeError(f"{what} is only safe inside a transaction (transaction.atomic)")


def settle_pending_checks(cursor) -> None:
    """Run the transaction's deferred constraint checks now, as its commit would.

    PostgreSQL neither builds an index nor alters a table that has trigger events still
    pending: the deferred foreign-key checks of rows deleted earlier in the same
    transaction (a test emptying the table first).
    """
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@contextmanager
def local_setting(cursor, name: str, value: str) -> Iterator[None]:
    """The server setting name is value for the body, then what it was.

    Local to the caller's transaction (set_config(..., true)): if the body raises, the
    rollback puts it back.
    """
    cursor.execute("SELECT current_setting(%s)", [name])
    (before,) = cursor.fetchone()
    cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
    yield
    cursor.execute("SELECT set_config(%s, %s, true)", [name, before])


def lock_if_empty(cursor, table: str) -> bool:
    """Whether table holds no row; if so, it stays locked against every other session.

    A table with rows is left unlocked (its readers must not wait for an import that
    will not bulk-load). An empty one is locked with the lock DROP INDEX would take
    anyway, then checked again: no other session can add a row between that check and
    the load.
    """
    empty = f"SELECT NOT EXISTS (SELECT 1 FROM {table})"
    cursor.execute(empty)
    if not cursor.fetchone()[0]:
        return False
    cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
    cursor.execute(empty)
    return cursor.fetchone()[0]


def secondary_indexes(cursor, table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of every index of table that no constraint owns."""
    cursor.execute(SECONDARY_INDEXES, [table])
    return [(name, definition) for name, definition in cursor.fetchall()]


@contextmanager
def indexes_built_after(cursor, table: str) -> Iterator[list[str]]:
    """Drop table's secondary indexes, let the caller load rows, then build them again.

    Call inside a transaction, on a table the caller has checked empty (lock_if_empty).
    Yields the names of the indexes that will be rebuilt. If the body raises, nothing is
    rebuilt: the transaction is going to roll back, dropped indexes included.
    """
    require_transaction("dropping indexes")
    settle_pending_checks(cursor)
    indexes = secondary_indexes(cursor, table)
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")  # regclass text: quoted as needed
    yield [name for name, _ in indexes]
    cursor.execute(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'")
    for _, definition in indexes:
        cursor.execute(definition)


PRIMARY_KEY = """
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = %s::regclass AND contype = 'p'
"""


@contextmanager
def primary_key_built_after(cursor, table: str) -> Iterator[None]:
    """Drop table's primary key, let the caller load rows, then add it back, built once.

    For a table no foreign key points at, empty and locked by the caller's transaction
    (ALTER TABLE takes an ACCESS EXCLUSIVE lock until it ends). Inserting 177,000 density
    cells under their four-column key cost more than counting them; building the key from
    the finished table is a single sort. A duplicate fails the build and the transaction.
    """
    require_transaction("dropping a primary key")
    cursor.execute(PRIMARY_KEY, [table])
    name, definition = cursor.fetchone()
    cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    yield
    cursor.execute(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'")
    cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


# VACUUM's options after a bulk write: statistics, and every page's index entries cleaned.
VACUUM_OPTIONS = "(ANALYZE, INDEX_CLEANUP ON)"


def vacuum_analyze(table: str) -> str:
    """VACUUM ANALYZE table after a bulk write, or ANALYZE alone inside a transaction.

    ANALYZE gives the planner the new rows' statistics. VACUUM also marks the written
    pages all-visible, which is what lets an index-only scan (the box counts of
    mapping/plane_point.py) skip the table. INDEX_CLEANUP ON because by default VACUUM
    skips the indexes when under 2 % of the pages hold dead rows, and those pages then
    stay not all-visible: exactly the pages just rewritten, where readers look (after the
    fields of view of 41,000 of 2.5 million cameras were recomputed, 1.65 % of the pages:
    a 14,000-camera viewport was counted with 1,669 reads of the table, 11.5 ms instead of
    7.6). VACUUM cannot run inside a transaction block (a test's, or a caller's atomic
    block): there the visibility map is left to autovacuum (tuned for this table by
    migration 0010). Returns the statement run.
    """
    from django.db import connection

    statement = (
        f"ANALYZE {table}" if connection.in_atomic_block else f"VACUUM {VACUUM_OPTIONS} {table}"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement)
    return statement


# ALTER TABLE ... {} TRIGGER for each pg_trigger.tgenabled but the default, 'O'.
ENABLED_STATES = {"D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}


def create_trigger(
    cursor, table: str, name: str, definition: str, comment: str | None, enabled: str
) -> None:
    """Create a trigger again exactly as it was read from the catalogue.

    definition from pg_get_triggerdef, comment (pgtrigger keeps the hash of its
    definition there, and installs it again when it differs) and pg_trigger.tgenabled.
    """
    names = {"trigger": sql.Identifier(name), "table": sql.Identifier(table)}
    cursor.execute(definition)
    if comment is not None:
        cursor.execute(
            sql.SQL("COMMENT ON TRIGGER {trigger} ON {table} IS {comment}").format(
                comment=sql.Literal(comment), **names
            )
        )
    if enabled in ENABLED_STATES:
        cursor.execute(
            sql.SQL("ALTER TABLE {table} {state} TRIGGER {trigger}").format(
                state=sql.SQL(ENABLED_STATES[enabled]), **names
            )
        )
