"""A token that changes whenever the camera data readers see may have changed.

The map's read endpoints (camera pages, density cells) are answered from a response
cache and validated with ETags (api/response_cache.py). Both are keyed by this
token, so a cached answer can never outlive the data it was computed from: every
statement that writes mapping_camera or mapping_densitycell (imports, moderation,
the admin, a rebuild of the aggregate) replaces the token in the same transaction,
through a statement-level trigger, and readers see the new token exactly when they
see the new rows. A random token rather than a counter survives a TRUNCATE of the
token table itself (tests flush every table) without ever repeating an old value.

The row is written by each writing statement, so two concurrent writers of cameras
queue on it until the first commits; imports are single-writer anyway (see
docs/deployment.md).
"""

from __future__ import annotations

import pgtrigger
from django.db import connection

VERSION_TABLE = "mapping_dataversion"
CAMERAS = "cameras"
# What a database without the row (nothing written yet) reads as.
NO_WRITES_YET = "initial"

# What the triggers run; also run as it is where a write bypasses them (a table swap).
BUMP_CAMERA_TOKEN = f"""
    INSERT INTO {VERSION_TABLE} (name, token, changed_at)
    VALUES ('{CAMERAS}', md5(random()::text || clock_timestamp()::text), clock_timestamp())
    ON CONFLICT (name) DO UPDATE SET token = EXCLUDED.token, changed_at = EXCLUDED.changed_at
"""
_BUMP_SQL = BUMP_CAMERA_TOKEN.rstrip() + ";\n    RETURN NULL;\n"


def data_version_triggers(table_label: str) -> list[pgtrigger.Trigger]:
    """Statement-level triggers replacing the token after any write to the model's table."""
    return [
        pgtrigger.Trigger(
            name=f"{table_label}_data_version",
            level=pgtrigger.Statement,
            when=pgtrigger.After,
            operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete | pgtrigger.Truncate,
            func=_BUMP_SQL,
        )
    ]


def camera_data_token() -> str:
    """The current token (one primary-key lookup on a one-row table)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {VERSION_TABLE} WHERE name = %s", [CAMERAS])
        row = cursor.fetchone()
    return row[0] if row else NO_WRITES_YET
