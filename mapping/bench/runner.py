"""Run the selected benchmarks and write the report."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from mapping.bench import helsinki, scale
from mapping.bench.common import BenchConfig
from mapping.bench.databases import connect
from mapping.bench.imports import run_pbf_import
from mapping.bench.machine import SPEED_PROBE_LABEL, machine_info, python_loop_s
from mapping.bench.report import MISSED, Measurement, render_report
from mapping.bench.server import TIMEOUT_S, WORKERS

ALL_NAMES = (*helsinki.NAMES, *scale.NAMES, "pbf_import")

# What limits each target when it is missed: read with the figures, not instead of them.
LIMITS = {
    "helsinki_import": "the import is one transaction: parse, COPY, upsert, then fields of view "
    "and exposure in SQL; the derived data dominate on a city.",
    "helsinki_bbox": "compare the view alone with the HTTP figure: the rest is gunicorn, the "
    "socket and the other processes sharing the two cores during the run.",
    "city_bbox": "the count and the page's 500 lowest ids come from the partial position "
    "index alone (an index-only scan: 2-4 ms for 14,000 cameras, about 1.5 ms of it sorting "
    "the ids); then the page's 500 rows are read by id (1-2 ms) and written as features by "
    "PostgreSQL (about 2.5 ms), Python adds 3-4 ms (DRF, the filters, the page's text) and "
    "HTTP 1-2 ms. The answer takes 1.1-1.2x the raw SQL for the same rows, and both move "
    "with the machine's speed: in eight full runs on 2026-12-03 the API took 11.7-15.4 ms "
    "(raw SQL 10.4-13.9 ms), twice over the target (by 0.4 and 0.2 ms); in the evening, "
    "the host at half speed (speed probe 0.18-0.26 s instead of 0.11), two full runs took "
    "16.4 and 15.5 ms (raw SQL 14 and 13 ms) and a run of this benchmark alone right after "
    "12.6 ms (raw SQL 9.8 ms).",
    "country_density": "cells are aggregated per request from the pre-counted cell table.",
    "export": "each feature is serialised once by PostgreSQL and passed through a sync worker.",
    "graph_route": "two Dijkstra searches (shortest and avoiding) per answer on the subgraph "
    "around the walk, plus snapping and the exposure of both lines.",
    "helsinki_route": "the two searches take about what the baseline takes (8-10 ms on this "
    "machine); each answer adds a fixed 3.5-4 ms: snapping both ends and measuring the "
    "cut pieces' exposure (one statement, about 1.5 ms), Python (about 1.2 ms, a third of "
    "it writing the JSON) and HTTP (about 1 ms). The faster the machine, the larger that "
    "fixed part's share: in four runs on 2026-12-03 the ratio was 1.35x, 1.46x, 1.52x and "
    "1.53x, and 1.13-1.40x on slower days. The passed cameras' places, added to the "
    "searches' statement that day, cost no measurable time (in-process, 7.1-11.6 ms with "
    "them and 9.1-10.1 ms without, in alternating rounds).",
    "pbf_import": (
        "the machine's two cores, with little to spare: the import is the work of about 2 cores "
        "for its whole length (75-95 s of CPU in all, every process; /proc/stat), and how fast "
        "those cores run moves with the host beyond what the speed probe sees: on 2026-12-04 "
        "the same import took 40-46 s in one hour and 49-54 s in another (one process reading "
        "a fifth of the file: 6.8 s against 9.4 s; the probe 0.12-0.13 s in both). The camera "
        "nodes of a .pbf of 16 MB or more are read by two processes, each from a run of the "
        "file's blocks (mapping/osm/parallel_read.py), each making every camera's COPY fields "
        "and density dims as it reads it (mapping/camera_rows.py); two sessions then COPY the "
        "rows into a stage table while the importing process counts the density cells from "
        "the rows' arrays, two sessions build the stage's indexes while the import's session "
        "writes the cells, and the stage is swapped in (mapping/parallel_load.py). Where the "
        "time goes, in the fast hour: the read, 17-21 s (14-15 µs of a core per camera: "
        "osmium decoding it and building its tag dict about 5, its COPY fields and dims about "
        "9); bringing the other process's rows over and ordering them, 2 s; the COPY, 11-12 s "
        "(PostgreSQL parsing the rows, a third of it their tags' JSON); the ten index builds "
        "and the density cells, 11-12 s. What is left: rows in COPY's binary format, less "
        "Python per camera, the other process's rows shared rather than copied, or more cores "
        "(IMPORT_PARALLEL_SESSIONS, by default one per core, sets the processes reading, the "
        "sessions writing and those indexing)."
    ),
    "load": "answers the cache cannot give are computed by 3 sync workers on two cores shared "
    "with PostgreSQL (and, here, other users); when they arrive faster than that capacity, "
    "requests queue and time out.",
    "load_readers": "every view differs, so nearly every answer is computed, by 3 sync "
    "workers on the two cores PostgreSQL and the load client also use. Measured under this "
    "mix (2026-12-03): the workers spend 5.1-6.1 ms of CPU per answer and PostgreSQL "
    "2.0-2.5 ms (3.7-4.2 ms and 2.0-2.2 ms with the response cache off); in-process, "
    "without HTTP, a page of markers costs 3.6 ms of CPU (about 270 KB), a density screen "
    "2.8 ms, a street-level count 2.3 ms and a walk 2.9 ms. Capacity moved between 194 and "
    "310 answers/s with the machine's speed that day (96 while a plain Python loop ran at "
    "half speed), and the test was met in six of thirteen runs (p99 81-199 ms; on "
    "2026-12-03 194 ms, then 314 ms an hour later, then 83 ms in a later session): near 200 a "
    "second requests queue and the p99 grows to seconds. This host is at its edge at this rate; "
    "the capacity figure is what one such host sustains (docs/deployment.md).",
}


def _group(names: tuple[str, ...], selected: set[str], run: Callable[[], list[Measurement]]):
    wanted = selected.intersection(names)
    if not wanted:
        return []
    try:
        return run()
    except Exception as error:  # a broken group is reported, the run goes on
        return [
            Measurement.not_measured(n, n, "-", "-", f"the run failed: {error}") for n in wanted
        ]


def run_bench(
    config: BenchConfig,
    selected: set[str],
    output: Path,
    regenerate: bool = False,
    say: Callable[[str], None] = print,
) -> list[Measurement]:
    started = time.perf_counter()
    with connect("template1") as conn:
        machine = machine_info(conn)
    speed_at_start = python_loop_s()
    notes: list[str] = []
    results: list[Measurement] = []
    say("Helsinki benchmarks...")
    results += _group(helsinki.NAMES, selected, lambda: helsinki.run_helsinki(config, selected))
    say("Synthetic-scale benchmarks...")

    def scale_group():
        measured, scale_notes = scale.run_scale(config, selected, regenerate)
        notes.extend(scale_notes)
        return measured

    results += _group(scale.NAMES, selected, scale_group)
    say("File import benchmark...")

    def import_group():
        measured, import_notes = run_pbf_import(config)
        notes.extend(import_notes)
        return [measured]

    results += _group(("pbf_import",), selected, import_group)
    for m in results:
        if m.verdict == MISSED and m.name in LIMITS:
            m.note = f"What limits it: {LIMITS[m.name]}"
    order = {name: k for k, name in enumerate(ALL_NAMES)}
    results.sort(key=lambda m: order.get(m.name, len(order)))
    minutes = (time.perf_counter() - started) / 60
    machine[SPEED_PROBE_LABEL] = (
        f"{speed_at_start:.2f} s at the start of the run, {python_loop_s():.2f} s at its end"
    )
    preamble = [
        f"Data: the real Helsinki demo (fixtures/helsinki.osm.pbf) and a synthetic set of "
        f"{config.cameras:,} cameras and a {config.segments:,}-segment walk graph "
        f"(`generate_synthetic`, seed {config.seed}){' - a --quick run' if config.quick else ''}. "
        f"HTTP through gunicorn on 127.0.0.1 ({WORKERS} sync workers as in `make demo`, "
        f"--timeout {TIMEOUT_S}); latencies are measured by a client on the same machine after "
        f"warm-up. The run took {minutes:.0f} minutes.",
    ]
    commands = [
        "make bench                       # = python manage.py bench (full size, this file)",
        "python manage.py bench --quick --output var/bench/quick.md   # a few minutes",
        "python manage.py bench --only city_bbox --only load          # some benchmarks",
        "python manage.py generate_synthetic --cameras 2500000 --segments 500000 "
        "--pbf var/bench/synthetic.osm.pbf   # the data alone",
    ]
    text = render_report(
        results, machine, commands, datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        preamble, notes,
    )  # fmt: skip
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    return results
