"""Every migration of ours can be undone: an operator rolling back an upgrade
(`manage.py migrate mapping 0008`) gets exactly the schema that version had.

Run in a database of its own (the test database is shared by every other test and
must stay at the latest migration): a child process applies the mapping migrations
one at a time, reading the schema from the catalogue after each, then undoes them
one at a time back to the first (PostGIS and pgRouting, which stay) and reads it
again; the two readings of each version must be equal. Forward again, the schema
must be the latest one.
"""

from __future__ import annotations

import json
from itertools import pairwise

import pytest

from mapping.bench.databases import (
    PREFIX_VARIABLE,
    create_database,
    database_name,
    drop_database,
    run_django,
)

# What a migration can leave behind, read from the catalogue: columns (types, defaults,
# generated expressions), indexes, constraints, triggers, our functions, statistics
# objects and table storage options (autovacuum settings). Rows as text, sorted.
SCHEMA_QUERIES = {
    "columns": """
        SELECT table_name, column_name, data_type, udt_name, is_nullable,
               coalesce(column_default, ''), coalesce(generation_expression, ''),
               is_identity
        FROM information_schema.columns WHERE table_schema = 'public'
    """,
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    "constraints": """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid <> 0
    """,
    "triggers": """
        SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid), tgenabled::text
        FROM pg_trigger WHERE NOT tgisinternal
    """,
    "functions": """
        SELECT p.proname, pg_get_function_identity_arguments(p.oid), md5(p.prosrc)
        FROM pg_proc AS p
        WHERE p.pronamespace = 'public'::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_depend AS d
                          WHERE d.objid = p.oid AND d.deptype = 'e')
    """,
    "statistics": """
        SELECT stxname, pg_get_statisticsobjdef(oid) FROM pg_statistic_ext
        WHERE stxnamespace = 'public'::regnamespace
    """,
    "storage options": """
        SELECT relname, array_to_string(reloptions, ',') FROM pg_class
        WHERE relnamespace = 'public'::regnamespace AND reloptions IS NOT NULL
    """,
}

WALK = """
import json
from io import StringIO

from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

QUERIES = json.loads(%r)


def schema():
    with connection.cursor() as cursor:
        read = {}
        for name, query in QUERIES.items():
            cursor.execute(query)
            read[name] = sorted("|".join(map(str, row)) for row in cursor.fetchall())
        return read


loader = MigrationLoader(None, ignore_no_migrations=True)
names = sorted(name for app, name in loader.disk_migrations if app == "mapping")


def emits_sql(name):
    out = StringIO()
    call_command("sqlmigrate", "mapping", name, stdout=out)
    return any(
        line.strip() and not line.startswith("--") and line.strip() not in ("BEGIN;", "COMMIT;")
        for line in out.getvalue().splitlines()
    )


state_only = [name for name in names if not emits_sql(name)]
# Django's own apps first: post_migrate fills their tables as their latest schema has them.
for app in sorted({app for app, _ in loader.disk_migrations} - {"mapping"}):
    call_command("migrate", app, verbosity=0)
forward, backward = {}, {}
for name in names:
    call_command("migrate", "mapping", name, verbosity=0)
    forward[name] = schema()
for name in reversed(names[:-1]):
    call_command("migrate", "mapping", name, verbosity=0)
    backward[name] = schema()
call_command("migrate", verbosity=0)
again = schema()
print(%r + json.dumps({"names": names, "forward": forward, "backward": backward,
                       "again": again, "state_only": state_only}))
"""


def _differences(expected: dict, found: dict) -> list[str]:
    lines = []
    for kind in expected:
        for row in sorted(set(expected[kind]) - set(found[kind])):
            lines.append(f"{kind}: missing {row}")
        for row in sorted(set(found[kind]) - set(expected[kind])):
            lines.append(f"{kind}: left behind {row}")
    return lines


@pytest.fixture(scope="module")
def walked(django_db_setup):
    """The schema after each migration, going forward, then back, then forward again."""
    from django.conf import settings

    from mapping.bench.databases import RESULT_MARKER

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(PREFIX_VARIABLE, f"{settings.DATABASES['default']['NAME']}_migrations")
        name = database_name("walk")
        create_database(name, drop_first=True)
        try:
            yield run_django(name, WALK % (json.dumps(SCHEMA_QUERIES), RESULT_MARKER))
        finally:
            drop_database(name)


def test_each_migration_changes_the_schema(walked):
    """The readings see what the migrations do (else equality below would prove nothing).

    A migration that emits no SQL (sqlmigrate prints none) only changes Django's model
    state, such as the translated names of 0014: it must then leave the schema as it was.
    """
    names, forward, state_only = walked["names"], walked["forward"], walked["state_only"]
    assert len(names) >= 10 and names[0] == "0001_extensions"
    assert len(state_only) < len(names) // 2
    for before, after in pairwise(names):
        if after in state_only:
            assert forward[before] == forward[after], f"{after} emits no SQL, yet changed"
        else:
            assert forward[before] != forward[after], f"{after} changed nothing that is read"
    options = forward[names[-1]]["storage options"]
    assert any(row.startswith("mapping_camera|") and "vacuum_index_cleanup=on" in row
               for row in options)  # fmt: skip


def test_undoing_each_migration_gives_back_the_schema_before_it(walked):
    differences = [
        f"back to {name}: {line}"
        for name, schema in walked["backward"].items()
        for line in _differences(walked["forward"][name], schema)
    ]
    assert differences == []
    assert len(walked["backward"]) == len(walked["names"]) - 1


def test_applying_them_again_gives_the_latest_schema(walked):
    latest = walked["forward"][walked["names"][-1]]
    assert _differences(latest, walked["again"]) == []
