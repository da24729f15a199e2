"""The file importer on the synthetic .osm.pbf: cameras per second, against a bare read."""

from __future__ import annotations

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
)
from mapping.bench.helsinki import phases
from mapping.bench.report import Measurement
from mapping.synthetic import SyntheticSpec, write_synthetic_pbf

IMPORT_TIMEOUT_S = 1800
# The fields of view of every camera cost far more than writing it: the whole 2.5 million
# would take most of an hour on two cores, so the file importer is measured on the first
# 50,000 synthetic cameras (same generator).
IMPORT_MAX_CAMERAS = 50_000

# `import_osm --file --defer-derived` (the data, in one transaction), then, timed on its
# own, `refresh_derived` (fields of view and exposure of every camera, another one).
IMPORT_CODE = """
import json, time
from mapping.analysis import refresh_derived_data
from mapping.importer import import_file
from mapping.models import Camera
started = time.perf_counter()
summary = import_file(%r, defer_derived=True)
seconds = time.perf_counter() - started
started = time.perf_counter()
refresh_derived_data(None)
from mapping.bulk_load import vacuum_analyze
vacuum_started = time.perf_counter()
vacuum_analyze("mapping_camera")  # as the refresh_derived command ends
vacuum_s = time.perf_counter() - vacuum_started
derived_s = time.perf_counter() - started
with_fov = Camera.objects.filter(fov__isnull=False).count()
print(%r + json.dumps({"seconds": seconds, "cameras": Camera.objects.count(),
                       "phases": summary.timings, "derived_s": derived_s,
                       "vacuum_s": vacuum_s,
                       "with_fov": with_fov}))
"""


def synthetic_pbf(config: BenchConfig) -> tuple[Path, str]:
    """The synthetic cameras as a .pbf (written once per size and seed); returns a note."""
    cameras = import_size(config)
    path = config.work_dir / f"synthetic-{cameras}-{config.seed}.osm.pbf"
    if path.exists():
        return path, f"{path} reused."
    started = time.perf_counter()
    write_synthetic_pbf(SyntheticSpec(cameras, config.segments, config.seed), path)
    return path, f"Wrote {path} in {time.perf_counter() - started:.0f} s (pyosmium SimpleWriter)."


def import_size(config: BenchConfig) -> int:
    return min(config.cameras, IMPORT_MAX_CAMERAS)


def run_pbf_import(config: BenchConfig) -> tuple[Measurement, list[str]]:
    title = (
        f"import_osm --file --defer-derived on the synthetic .pbf ({import_size(config):,} "
        "cameras; fields of view and exposure measured apart)"
    )
    target = ">= 50,000 cameras/s (the data; derived data not included)"
    try:
        from mapping.importer import import_file  # noqa: F401 - is the importer there?
    except ImportError:
        return Measurement.not_measured("pbf_import", title, target, "cameras/s", "no importer"), []
    path, note = synthetic_pbf(config)
    found, read_s = baselines.osmium_read(path)
    create_database(database_name("import"), drop_first=True)
    migrate(database_name("import"))
    detail = ""
    try:
        code = IMPORT_CODE % (str(path.resolve()), RESULT_MARKER)
        result = run_django(database_name("import"), code, timeout_s=IMPORT_TIMEOUT_S)
        seconds, imported = result["seconds"], result["cameras"]
    except subprocess.TimeoutExpired:
        seconds, imported, result = IMPORT_TIMEOUT_S, import_size(config), {}
        detail = f"Did not finish within {IMPORT_TIMEOUT_S} s: the rate is an upper bound. "
    return (
        Measurement(
            "pbf_import", title, target, "cameras/s", value=imported / seconds,
            baseline=found / read_s, baseline_name="a bare pyosmium pass over the same file",
            check=lambda v, r: v >= 50_000,
            detail=(f"{detail}import_file(defer_derived=True) into an empty database (what "
                    f"`import_osm --file ... --defer-derived` runs): {imported:,} cameras in "
                    f"{seconds:.2f} s; the bare read found {found:,} cameras in {read_s:.2f} s. "
                    f"Phases: {phases(result)}. {derived(result, imported, seconds)}"),
        ),
        [note],
    )  # fmt: skip


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
