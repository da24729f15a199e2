"""Long, hot statements run as prepared statements on Django's own connection.

Why: PostgreSQL spends longer planning the route statements (snapping with the
measure of the virtual pieces, mapping.exposure.WATCHED, and the two searches with
their lines) than running them on a city graph. Prepared once per database
connection (kept between requests by CONN_MAX_AGE), their plan is reused by every
later request that connection serves; PostgreSQL re-plans a statement whose generic
plan looks worse than its custom ones, so the plan stays as good as before.

Django binds parameters client-side and turns psycopg's automatic preparation off
(prepare_threshold=None, so that connection poolers keep working), so these
statements go through a server-binding psycopg cursor on the same connection (same
transaction) and ask to be prepared. Only they change: Django's client-side cursors
never prepare, and the threshold set here is too high for psycopg ever to prepare a
statement of its own accord. Behind a pooler that cannot carry prepared statements
(PgBouncer before 1.21 in transaction mode), set DB_PREPARED_STATEMENTS=0
(settings.PREPARED_STATEMENTS).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import psycopg
from django.conf import settings
from django.db import connection

# psycopg prepares a statement after this many runs of its own accord: never, here.
NEVER_AUTOMATICALLY = 2**31 - 1


def fetch_prepared(sql: str, params: Mapping[str, object] | Sequence[object]) -> list[tuple]:
    """Every row of a parameterised statement (%(name)s or %s placeholders), prepared.

    Placeholders are bound server-side, so the SQL must say the type of any value
    PostgreSQL cannot infer (%(name)s::bigint); the rows are the same as through a
    Django cursor.
    """
    if not getattr(settings, "PREPARED_STATEMENTS", True):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        raw.prepare_threshold = NEVER_AUTOMATICALLY
    with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchall()
