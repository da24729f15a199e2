"""`make demo`'s database setup can run again without changing anything."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_setup() -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "setup_db.sh")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def catalogue_snapshot() -> str:
    query = (
        "select string_agg(x, ',' order by x) from ("
        " select 'db:' || datname as x from pg_database"
        " union all select 'role:' || rolname from pg_roles"
        " union all select 'ext:' || extname || extversion from pg_extension) s"
    )
    return subprocess.run(
        ["su", "postgres", "-s", "/bin/sh", "-c", f'psql -tAc "{query}"'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as the postgres user")
def test_database_setup_is_idempotent():
    first = run_setup()
    assert first.returncode == 0, first.stderr
    before = catalogue_snapshot()
    second = run_setup()
    assert second.returncode == 0, second.stderr
    assert "Created" not in second.stdout
    assert "ready" in second.stdout
    assert "pgRouting" in second.stdout
    assert catalogue_snapshot() == before


def test_system_script_reports_packages_present_on_a_set_up_machine():
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "install_system.sh")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "PostGIS and pgRouting" in result.stdout or "installed" in result.stdout
