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
    "pbf_import": "the work itself, more than how it is shared out. The import costs the "
    "machine 145-156 s of CPU in all (every process: Python, PostgreSQL, the kernel; "
    "/proc/stat, 2026-12-03): the read 25-34 s (Python and pyosmium, one core, the other "
    "idle), the COPY 68-84 s (Python making the lines, PostgreSQL parsing them, the kernel "
    "carrying them over the loopback), the index builds and density cells 35-57 s. On two "
    "cores that is 73-78 s at the very least, 32,000-34,000 cameras/s, however the work "
    "is arranged. Since 2026-12-03 a first import of 200,000 cameras or more loads a stage "
    "table from side sessions and swaps it in (mapping/parallel_load.py), so the nine "
    "index builds and the density cells share both cores instead of one: in the same "
    "hour the write took 62-68 s against 73 s in one session (whole import 89-96 s against "
    "105 s). Splitting the COPY itself does not pay on two cores, each COPY already keeping "
    "two busy: as two parts from two processes it took 47 s and 91 s of CPU, against 39 s "
    "and 66 s as one. 50,000 cameras/s needs less work or more cores (the stage takes one "
    "COPY part per two sessions, IMPORT_PARALLEL_SESSIONS, by default one per core; not "
    "measured here, the host has two). The Python part is already flat: pyosmium builds "
    "the tag dicts in C++, the tags are parsed by cached readers, the lines go out through a "
    "queued writer; what remains is 10-12 microseconds of Python per camera for its line "
    "and as much for its read. Making each camera's line as the file is read, from the tag "
    "dict osmium builds, was tried on 2026-12-04: the same lines, a peak of 1.5 GB instead "
    "of 1.7 GB, but no faster on two cores (85 and 93 s against 76 and 93 s, runs "
    "alternated in the same hour): the read then does on one core what the COPY did beside "
    "the server's parsing, and the COPY, now the server's work alone, took 29-35 s from two "
    "sessions into the one stage table, no less than one session's 31-33 s. What would "
    "pay is a read of the file's blocks by two processes.",
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
