"""The file importer on the synthetic .osm.pbf: cameras per second, against a bare read."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from mapping.bench import baselines
from mapping.bench.common import BenchConfig
from mapping.bench.databases import (
    RESULT_MARKER,
    create_database,
    database_name,
    migrate,
    run_django,
    wait_for_autovacuum,
)
from mapping.bench.helsinki import phases
from mapping.bench.report import Measurement
from mapping.synthetic import SyntheticSpec, write_synthetic_pbf

IMPORT_TIMEOUT_S = 1800
# The fields of view of every camera cost far more than writing it: those of the whole 2.5
# million would take most of an hour on two cores, so the deferred derived data are
# measured after importing the first 50,000 synthetic cameras (same generator), and the
# import alone over the whole synthetic file.
DERIVED_MAX_CAMERAS = 50_000

# `import_osm --file --defer-derived` (the data, in one transaction); with AGAIN, the same
# file imported once more (nothing changes: what a periodic update of an unchanged extract
# costs, the general path that compares every camera); with DERIVED, then, timed on its
# own, `refresh_derived` (fields of view and exposure of every camera, another
# transaction). Peak memory: the process's resident high-water mark (Linux: kilobytes).
IMPORT_CODE = """
import json, resource, time
from mapping import parallel_load
from mapping.analysis import refresh_derived_data
from mapping.bench.machine import busy_cpu_seconds
from mapping.bulk_load import vacuum_analyze
from mapping.importer import import_file
from mapping.models import Camera
path = %r
busy, started = busy_cpu_seconds(), time.perf_counter()
summary = import_file(path, defer_derived=True)
result = {"seconds": time.perf_counter() - started, "cameras": Camera.objects.count(),
          "phases": summary.timings, "parallel_steps": parallel_load.last_timings,
          "cpu_s": busy_cpu_seconds() - busy if busy is not None else None,
          "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
if %r:
    started = time.perf_counter()
    again = import_file(path, defer_derived=True)
    result["again"] = {"seconds": time.perf_counter() - started, "phases": again.timings,
                       "no_change": again.no_change}
if %r:
    started = time.perf_counter()
    refresh_derived_data(None)
    vacuum_started = time.perf_counter()
    vacuum_analyze("mapping_camera")  # as the refresh_derived command ends
    result["vacuum_s"] = time.perf_counter() - vacuum_started
    result["derived_s"] = time.perf_counter() - started
    result["with_fov"] = Camera.objects.filter(fov__isnull=False).count()
print(%r + json.dumps(result))
"""


def synthetic_pbf(config: BenchConfig, cameras: int) -> tuple[Path, str]:
    """The first `cameras` synthetic cameras as a .pbf (written once per size and seed)."""
    path = config.work_dir / f"synthetic-{cameras}-{config.seed}.osm.pbf"
    if path.exists():
        return path, f"{path} reused."
    started = time.perf_counter()
    write_synthetic_pbf(SyntheticSpec(cameras, config.segments, config.seed), path)
    return path, f"Wrote {path} in {time.perf_counter() - started:.0f} s (pyosmium SimpleWriter)."


def derived_size(config: BenchConfig) -> int:
    return min(config.cameras, DERIVED_MAX_CAMERAS)


def import_into_empty_database(path: Path, with_derived: bool, again: bool = False) -> dict:
    """Run IMPORT_CODE on the file in a freshly created, migrated database; {} on timeout."""
    create_database(database_name("import"), drop_first=True)
    migrate(database_name("import"))
    waited = wait_for_autovacuum()
    code = IMPORT_CODE % (str(path.resolve()), again, with_derived, RESULT_MARKER)
    try:
        result = run_django(database_name("import"), code, timeout_s=IMPORT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {}
    return result | {"autovacuum_wait_s": waited}


def run_pbf_import(config: BenchConfig) -> tuple[Measurement, list[str]]:
    title = (
        f"import_osm --file --defer-derived on the synthetic .pbf ({config.cameras:,} cameras; "
        "fields of view and exposure measured apart)"
    )
    target = ">= 50,000 cameras/s (the data; derived data not included)"
    try:
        from mapping.importer import import_file  # noqa: F401 - is the importer there?
    except ImportError:
        return Measurement.not_measured("pbf_import", title, target, "cameras/s", "no importer"), []
    path, note = synthetic_pbf(config, config.cameras)
    notes = [note]
    found, read_s = baselines.osmium_read(path)
    whole_only = derived_size(config) < config.cameras
    result = import_into_empty_database(path, with_derived=not whole_only, again=True)
    seconds = result.get("seconds", IMPORT_TIMEOUT_S)
    imported = result.get("cameras", config.cameras)
    detail = (
        ""
        if result
        else f"Did not finish within {IMPORT_TIMEOUT_S} s: the rate is an upper bound. "
    )
    detail += (
        f"import_file(defer_derived=True) into an empty database (what `import_osm --file ... "
        f"--defer-derived` runs): {imported:,} cameras in {seconds:.2f} s{_peak(result)}; the "
        f"bare read found {found:,} cameras in {read_s:.2f} s. Phases: {phases(result)}. "
        + _waited(result)
        + _parallel(result)
        + _cpu(result)
        + _again(result)
    )
    if whole_only:
        subset_path, subset_note = synthetic_pbf(config, derived_size(config))
        notes.append(subset_note)
        subset = import_into_empty_database(subset_path, with_derived=True)
        detail += _subset(subset)
    else:
        detail += derived(result, imported, seconds)
    return (
        Measurement(
            "pbf_import", title, target, "cameras/s", value=imported / seconds,
            baseline=found / read_s, baseline_name="a bare pyosmium pass over the same file",
            check=lambda v, r: v >= 50_000, detail=detail.strip(),
        ),
        notes,
    )  # fmt: skip


def _peak(result: dict) -> str:
    if "peak_kb" not in result:
        return ""
    return f", the importing process peaking at {result['peak_kb'] / 1024:,.0f} MB"


def _waited(result: dict) -> str:
    if "autovacuum_wait_s" not in result:
        return ""
    return (
        "Started once no autovacuum worker ran on the server (waited "
        f"{result['autovacuum_wait_s']:.0f} s; one vacuuming an earlier import's table beside "
        "it made the same import 15 % slower). "
    )


def _parallel(result: dict) -> str:
    """The steps of the write when it took the parallel path (mapping.parallel_load)."""
    steps = result.get("parallel_steps")
    if not steps:
        return "The write took the one-session path (mapping.first_load). "
    said = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in steps.items())
    return f"The write loaded a stage table from side sessions and swapped it in: {said}. "


def _cpu(result: dict) -> str:
    """What the import cost the whole machine: the floor of its time on these cores."""
    cpu_s, cores = result.get("cpu_s"), os.cpu_count() or 1
    if not cpu_s:
        return ""
    return (
        f"The machine's cores were busy {cpu_s:.0f} s in all during the import (every "
        f"process: Python, PostgreSQL, the kernel; /proc/stat), {cpu_s / result['seconds']:.2f} "
        f"of its {cores} cores on average: on {cores} cores no arrangement of the same work "
        f"takes less than {cpu_s / cores:.0f} s ({result['cameras'] / (cpu_s / cores):,.0f} "
        f"cameras/s). "
    )


def _again(result: dict) -> str:
    """The same file imported a second time: every camera compared, none changed."""
    if "again" not in result:
        return ""
    again = result["again"]
    outcome = "no change, as expected" if again["no_change"] else "it reported CHANGES (a bug)"
    return (
        f"The same file imported again (what a periodic update of an unchanged extract "
        f"costs: every camera compared with the stored one; {outcome}): "
        f"{again['seconds']:.2f} s, {result['cameras'] / again['seconds']:,.0f} cameras/s "
        f"(phases: {phases(again)}). "
    )


def _subset(result: dict) -> str:
    """The first DERIVED_MAX_CAMERAS cameras imported the same way, then their derived data."""
    if "seconds" not in result:
        return f"The first {DERIVED_MAX_CAMERAS:,} cameras did not finish within the time limit."
    cameras, seconds = result["cameras"], result["seconds"]
    return (
        f"The first {cameras:,} cameras alone, the same way: {seconds:.2f} s, "
        f"{cameras / seconds:,.0f} cameras/s{_peak(result)} (phases: {phases(result)}). "
        + derived(result, cameras, seconds)
    )


def derived(result: dict, cameras: int, import_s: float) -> str:
    """The deferred half, measured apart: not part of the figure above, nor of its target."""
    if "derived_s" not in result:
        return ""
    derived_s = result["derived_s"]
    return (
        f"Then `refresh_derived` (fields of view and street exposure, then VACUUM ANALYZE of "
        f"the camera table, {result.get('vacuum_s', 0):.2f} s of it; no target of its own): "
        f"{derived_s:.2f} s, {cameras / derived_s:,.0f} cameras/s, {result['with_fov']:,} "
        f"fields of view; import and derived data together: {import_s + derived_s:.2f} s, "
        f"{cameras / (import_s + derived_s):,.0f} cameras/s."
    )
