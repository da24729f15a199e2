"""A regional update beside millions of cameras: the Helsinki import into the synthetic set.

A planet is kept up to date region by region. Such an import must cost its region, not
the database: it recomputes the derived data of the cameras within reach of what it
wrote (mapping.import_scope), and a moderated camera those of the streets near it. Both
run here inside a transaction that is rolled back, so the synthetic set stays as it was;
the baseline is the same import into an empty database, in the same run.
"""

from __future__ import annotations

import statistics

from mapping.bench.common import BenchConfig
from mapping.bench.databases import (
    RESULT_MARKER,
    create_database,
    database_name,
    migrate,
    run_django,
)
from mapping.bench.helsinki import HELSINKI_FILE
from mapping.bench.report import Measurement

REPEATS = 3
# At most this many times the same import into an empty database.
TARGET_RATIO = 2.0

# The import REPEATS times, each rolled back; then, with MODERATED, the refresh a moderated
# camera triggers (refresh_derived_data of its id) for a few cameras that have a field of view.
REGIONAL_CODE = """
import json, time
from django.db import transaction
from mapping.analysis import refresh_derived_data
from mapping.importer import import_file
from mapping.models import Camera, ImportRun
runs = []
for _ in range(%d):
    with transaction.atomic():
        started = time.perf_counter()
        summary = import_file(%r)
        seconds = time.perf_counter() - started
        counts = ImportRun.objects.get(pk=summary.run_id).counts
        runs.append({"seconds": seconds, "phases": summary.timings,
                     "derived_cameras": counts.get("derived_cameras"),
                     "new": summary.counts.cameras_new})
        transaction.set_rollback(True)
moderated = []
if %r:
    with_fov = Camera.objects.filter(fov__isnull=False).order_by("id")
    for camera_id in with_fov.values_list("id", flat=True)[:5]:
        with transaction.atomic():
            started = time.perf_counter()
            refresh_derived_data([camera_id])
            moderated.append((time.perf_counter() - started) * 1000)
            transaction.set_rollback(True)
print(%r + json.dumps({"runs": runs, "moderated_ms": moderated,
                       "cameras": Camera.objects.count()}))
"""


def _run(dbname: str, moderated: bool) -> dict:
    return run_django(dbname, REGIONAL_CODE % (REPEATS, HELSINKI_FILE, moderated, RESULT_MARKER))


def _median_s(result: dict) -> float:
    return statistics.median(run["seconds"] for run in result["runs"])


def run_regional_import(config: BenchConfig, scale_db: str) -> Measurement:
    title = (
        f"import_osm --file fixtures/helsinki.osm.pbf beside the synthetic set "
        f"({config.cameras:,} cameras): a regional update, rolled back after each run"
    )
    target = f"<= {TARGET_RATIO:g}x the same import into an empty database"
    empty = database_name("regional")
    create_database(empty, drop_first=True)
    migrate(empty)
    alone = _run(empty, moderated=False)
    beside = _run(scale_db, moderated=True)
    value, baseline = _median_s(beside), _median_s(alone)
    last = beside["runs"][-1]
    moderated = beside["moderated_ms"]
    detail = (
        f"Median of {REPEATS} runs: {value:.2f} s beside {beside['cameras']:,} cameras "
        f"({', '.join(format(run['seconds'], '.2f') for run in beside['runs'])} s; phases of "
        "the last: "
        + ", ".join(f"{phase} {s:.2f} s" for phase, s in last["phases"].items())
        + f"; fields of view recomputed for {last['derived_cameras']} cameras, the "
        f"{last['new']} new ones and those within reach), {baseline:.2f} s into an empty "
        f"database. "
    )
    if moderated:
        detail += (
            f"A moderated camera's refresh (its field of view and the streets it sees, "
            f"refresh_derived_data of one id) beside them: median "
            f"{statistics.median(moderated):.0f} ms over {len(moderated)} cameras "
            f"({min(moderated):.0f}-{max(moderated):.0f} ms)."
        )
    return Measurement(
        "regional_import", title, target, "s", value=value, baseline=baseline,
        baseline_name="the same import into an empty database",
        check=lambda v, r: r is not None and r <= TARGET_RATIO, detail=detail,
    )  # fmt: skip
