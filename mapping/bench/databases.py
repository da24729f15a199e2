"""The benchmark databases, and Django work run in them by child processes.

Benchmarks never touch the demo database or a test database: they use their own
(created by the anglemort role, which has CREATEDB; PostGIS and pgRouting come from
template1 as scripts/setup_db.sh sets it up). Django code that must run inside one
of them (an import, the fields of view) runs in a child `manage.py shell` whose
environment points at it, so the parent process stays on its own connection.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from django.conf import settings
from psycopg import sql

DEFAULT_PREFIX = "anglemort_bench"
PREFIX_VARIABLE = "BENCH_DATABASE_PREFIX"  # another set of databases (the tests use their own)


def database_name(kind: str = "") -> str:
    """The benchmark database of a kind: "" the synthetic millions (kept between runs),
    "helsinki" the demo city and "import" an empty one (both recreated each run)."""
    prefix = os.environ.get(PREFIX_VARIABLE) or DEFAULT_PREFIX
    return f"{prefix}_{kind}" if kind else prefix


# Our own sessions on the database (a gunicorn left behind, a child process): closed first.
TERMINATE_OWN_SESSIONS = """
SELECT pg_terminate_backend(pid) FROM pg_stat_activity
WHERE datname = %s AND usename = current_user AND pid <> pg_backend_pid()
"""


def drop_database(name: str) -> None:
    """Drop the database, closing our sessions on it first.

    Not DROP ... WITH (FORCE): it refuses to end sessions of other roles, among them the
    autovacuum worker PostgreSQL may have just started on a freshly loaded database, and
    the drop then fails at random. A plain DROP DATABASE stops autovacuum by itself.
    """
    with connect(MAINTENANCE_DATABASE) as conn:
        conn.execute(TERMINATE_OWN_SESSIONS, [name])
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


MAINTENANCE_DATABASE = "postgres"
RESULT_MARKER = "BENCH_RESULT "
MANAGE_PY = Path(settings.BASE_DIR) / "manage.py"


def connection_params(dbname: str) -> dict[str, str]:
    """libpq parameters for dbname, with the server and role of Django's database."""
    db = settings.DATABASES["default"]
    params = {"dbname": dbname, "user": db["USER"], "password": db["PASSWORD"]}
    if db.get("HOST"):
        params["host"] = db["HOST"]
    if db.get("PORT"):
        params["port"] = str(db["PORT"])
    if db["OPTIONS"].get("options"):  # the application's server settings: same planner
        params["options"] = db["OPTIONS"]["options"]
    return params


def connect(dbname: str, autocommit: bool = True) -> psycopg.Connection:
    return psycopg.connect(**connection_params(dbname), autocommit=autocommit)


def database_exists(name: str) -> bool:
    with connect(MAINTENANCE_DATABASE) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


AUTOVACUUM_WORKERS = (
    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
)


def wait_for_autovacuum(timeout_s: float = 300.0, poll_s: float = 1.0) -> float:
    """Wait until no autovacuum worker runs on the server (at most timeout_s); returns
    the seconds waited.

    For a timed import: autovacuum vacuums the table an earlier import left a minute or
    two after it (2.5 million rows), and a vacuum of it running beside the file import,
    throttled as autovacuum's are, made it 46.1 s instead of 40.0 (2026-12-04). Every
    role sees the workers, if not what they run.
    """
    started = time.perf_counter()
    with connect(MAINTENANCE_DATABASE) as conn:
        while conn.execute(AUTOVACUUM_WORKERS).fetchone()[0]:
            if time.perf_counter() - started >= timeout_s:
                break
            time.sleep(poll_s)
    return time.perf_counter() - started


def create_database(name: str, drop_first: bool = False) -> None:
    if drop_first:  # as drop_database does: WITH (FORCE) fails on an autovacuum worker
        drop_database(name)
    with connect(MAINTENANCE_DATABASE) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def child_env(dbname: str, **extra: str) -> dict[str, str]:
    """The environment of a child process (manage.py, gunicorn) working in dbname.

    Production-like: DEBUG off and a throwaway secret key, whatever the parent had.
    """
    env = dict(os.environ)
    if env.get("DATABASE_URL"):
        parts = urlsplit(env["DATABASE_URL"])
        env["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + dbname))
    else:
        env["PGDATABASE"] = dbname
    env.pop("DJANGO_DEBUG", None)
    env.pop("ANGLEMORT_TESTING", None)
    env["DJANGO_SECRET_KEY"] = os.urandom(24).hex()
    env["PGOPTIONS"] = "--client-min-messages=warning"
    env.update(extra)
    return env


def run_manage(dbname: str, *args: str, timeout_s: float = 3600) -> subprocess.CompletedProcess:
    """Run a management command in dbname; raise with its output when it fails."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py, fixed arguments
        [sys.executable, str(MANAGE_PY), *args],
        env=child_env(dbname),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def run_django(dbname: str, code: str, timeout_s: float = 3600) -> dict:
    """Run Python code in a Django shell on dbname; it prints RESULT_MARKER + JSON."""
    done = run_manage(dbname, "shell", "-v", "0", "-c", code, timeout_s=timeout_s)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER) :])
    raise RuntimeError(f"no result from the child process:\n{done.stdout}\n{done.stderr}")


def migrate(dbname: str) -> None:
    run_manage(dbname, "migrate", "--noinput", "-v", "0")
