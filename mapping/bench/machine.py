"""What machine a run measured: without it the figures mean nothing."""

from __future__ import annotations

import os
import platform
import time
from importlib.metadata import version
from pathlib import Path

import psycopg


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> str:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    return "unknown"


def machine_info(conn: psycopg.Connection) -> dict[str, str]:
    row = conn.execute(
        "SELECT current_setting('server_version'), postgis_lib_version(), pgr_version(), "
        "current_setting('shared_buffers'), current_setting('work_mem')"
    ).fetchone()
    load = os.getloadavg()
    return {
        "CPU": f"{_cpu_model()}, {os.cpu_count()} cores",
        "RAM": _memory_gib(),
        "OS": f"{platform.system()} {platform.release()}",
        "PostgreSQL": f"{row[0]} (shared_buffers {row[3]}, work_mem {row[4]})",
        "PostGIS": row[1],
        "pgRouting": row[2],
        "Python": platform.python_version(),
        "Django / DRF / gunicorn": (
            f"{version('django')} / {version('djangorestframework')} / {version('gunicorn')}"
        ),
        "Load average at start (1, 5, 15 min)": ", ".join(f"{v:.2f}" for v in load),
    }


SPEED_PROBE_STEPS = 10_000_000
SPEED_PROBE_LABEL = f"Speed probe (a plain Python loop of {SPEED_PROBE_STEPS:,} steps)"


def python_loop_s(steps: int = SPEED_PROBE_STEPS) -> float:
    """Seconds a plain Python loop takes: how fast this machine runs at that moment.

    Shared machines change speed within the hour with no change of code (the same loop
    took 0.23 s and 1.05 s on one day); the absolute targets move with it, so a report
    says how fast the machine was when it started and when it ended.
    """
    started = time.perf_counter()
    for _ in range(steps):
        pass
    return time.perf_counter() - started


def busy_cpu_seconds() -> float | None:
    """Seconds the machine's cores have been busy since boot, all processes (Linux), or None.

    The difference over a run is the CPU time the run cost the whole machine, PostgreSQL's
    backends and the kernel included (the machine otherwise idle): divided by the number
    of cores, the shortest the run could take however its work were shared among them.
    """
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    # user, nice, system, idle, iowait, irq, softirq, steal (guest time is already in user)
    ticks = [int(value) for value in fields[:8]]
    idle = ticks[3] + ticks[4]
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK")
