"""The benchmark suite's own machinery: statistics, the report, gunicorn and the load client."""

from __future__ import annotations

import time

import pytest
from django.core.management import CommandError, call_command

from mapping.bench.databases import PREFIX_VARIABLE, database_name, drop_database
from mapping.bench.load import run_load, shuffled_mix
from mapping.bench.report import MET, MISSED, NOT_MEASURED, Measurement, render_report
from mapping.bench.server import Gunicorn, HttpClient, memory_kb
from mapping.bench.stats import Timing, percentile, time_interleaved


@pytest.mark.parametrize(
    ("samples", "share", "expected"),
    [
        ([5.0], 0.5, 5.0),
        ([1, 2, 3, 4], 0.5, 2.5),
        ([1, 2, 3, 4, 5], 0.95, 4.8),
        ([3, 1, 2], 0.0, 1),
    ],
)
def test_percentile_interpolates_between_ranks(samples, share, expected):
    assert percentile(samples, share) == pytest.approx(expected)


def test_timing_reports_median_and_tail():
    timing = Timing(tuple(float(v) for v in range(1, 101)))
    assert timing.median == pytest.approx(50.5)
    assert timing.p95 == pytest.approx(95.05)
    assert "n=100" in timing.describe()


def _measurements():
    return [
        Measurement("fast", "Fast thing", "<= 2x raw", "ms", value=8.0, baseline=4.0,
                    baseline_name="raw SQL", check=lambda v, r: r <= 2),
        Measurement("slow", "Slow thing", "<= 10 ms", "ms", value=30.0, baseline=10.0,
                    baseline_name="raw SQL", check=lambda v, r: v <= 10, note="What limits it: x"),
        Measurement.not_measured("gone", "Missing thing", "<= 1 s", "s", "no endpoint yet"),
    ]  # fmt: skip


def test_interleaved_timing_alternates_the_order_of_the_calls():
    seen: list[tuple[str, int]] = []
    timings = time_interleaved(
        {"api": lambda i: seen.append(("api", i)), "raw": lambda i: seen.append(("raw", i))},
        repeat=4,
        warmup=1,
    )
    assert seen[2:] == [
        ("api", 0), ("raw", 0), ("raw", 1), ("api", 1),
        ("api", 2), ("raw", 2), ("raw", 3), ("api", 3),
    ]  # fmt: skip
    assert {name: timing.n for name, timing in timings.items()} == {"api": 4, "raw": 4}


def test_verdicts_follow_the_checks_and_missing_values():
    fast, slow, gone = _measurements()
    assert (fast.ratio, fast.verdict) == (2.0, MET)
    assert (slow.ratio, slow.verdict) == (3.0, MISSED)
    assert (gone.ratio, gone.verdict) == (None, NOT_MEASURED)


def test_report_has_ratio_columns_machine_and_commands():
    text = render_report(
        _measurements(), {"CPU": "test cpu, 2 cores"}, ["make bench"], "2025-01-01 00:00 UTC"
    )
    assert "| Benchmark | Target | Measured | Baseline (same run) | Ratio | Result |" in text
    assert "| Fast thing | <= 2x raw | 8 ms | 4 ms (raw SQL) | 2.00x | MET |" in text
    assert "| Slow thing | <= 10 ms | 30 ms | 10 ms (raw SQL) | 3.00x | **MISSED** |" in text
    assert "| Missing thing | <= 1 s | - | - | - | **NOT MEASURED** |" in text
    assert "not measured: no endpoint yet" in text and "What limits it: x" in text
    assert "- CPU: test cpu, 2 cores" in text and "make bench" in text


@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_and_the_load_client_stops_by_itself(settings):
    name = settings.DATABASES["default"]["NAME"]  # the test database: only the 404 floor is read
    with Gunicorn(name, workers=1) as server:
        (worker,) = server.worker_pids()
        status, _ = HttpClient(server.port).get("/api/__bench_floor__/")
        assert status == 404
        assert memory_kb(worker) > 10_000  # a Django worker holds tens of MB
        mix = shuffled_mix({"floor": (1.0, ["/api/__bench_floor__/"])}, 10, seed=1)
        result = run_load(server.port, mix, rate=20, seconds=1)
    assert result.sent == 20
    assert result.ok == 0 and result.errors == {"floor: HTTP 404": 20}


@pytest.mark.django_db(transaction=True)
def test_a_cached_server_computes_a_repeated_view_once_and_the_client_counts_it(settings):
    from tests.factories import make_camera, point

    make_camera(location=point(2.3522, 48.8566))
    name = settings.DATABASES["default"]["NAME"]
    path = "/api/cameras/?in_bbox=2.35,48.85,2.36,48.86"
    with Gunicorn(name, workers=1, cached=True) as server:
        mix = shuffled_mix({"bbox": (1.0, [path])}, 10, seed=1)
        result = run_load(server.port, mix, rate=20, seconds=0.5)
    assert result.errors == {}
    assert result.cache == {"bbox miss": 1, "bbox hit": 9}
    with Gunicorn(name, workers=1) as uncached:
        result = run_load(uncached.port, mix, rate=20, seconds=0.25)
    assert result.cache == {"bbox off": 5}


def test_unknown_benchmark_name_is_refused():
    with pytest.raises(CommandError, match="unknown benchmark nope"):
        call_command("bench", only=["nope"])


def _tiny_import_report(tmp_path, monkeypatch, settings, cameras: int) -> str:
    """A real quick run of the import benchmark, in databases of its own; the report's text."""
    monkeypatch.setenv(PREFIX_VARIABLE, f"{settings.DATABASES['default']['NAME']}_bench")
    output = tmp_path / "benchmarks.md"
    try:
        call_command("bench", quick=True, only=["pbf_import"], cameras=cameras, segments=300,
                     output=output, work_dir=tmp_path)  # fmt: skip
    finally:
        drop_database(database_name("import"))
    return output.read_text()


def test_tiny_quick_run_writes_the_markdown_report(tmp_path, monkeypatch, settings):
    """A real run, tiny: the synthetic .pbf imported into its own database."""
    text = _tiny_import_report(tmp_path, monkeypatch, settings, cameras=300)
    assert "| Ratio | Result |" in text
    row = next(line for line in text.splitlines() if line.startswith("| import_osm --file"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[2].endswith("cameras/s") and cells[4].endswith("x")
    assert cells[5] in {"MET", "**MISSED**"}
    assert "300 cameras in" in text and "## Machine" in text and "pgRouting" in text
    probe = next(line for line in text.splitlines() if line.startswith("- Speed probe"))
    assert "10,000,000 steps" in probe and probe.endswith("s at its end")


def test_the_import_is_timed_on_the_whole_file_and_the_derived_data_on_its_start(
    tmp_path, monkeypatch, settings
):
    """The file bigger than the derived data's share: the whole file imported alone (the
    figure), then its first cameras imported again with their fields of view."""
    from mapping.bench import imports

    monkeypatch.setattr(imports, "DERIVED_MAX_CAMERAS", 150)
    text = _tiny_import_report(tmp_path, monkeypatch, settings, cameras=400)
    assert "synthetic .pbf (400 cameras;" in text
    assert "400 cameras in" in text and "the bare read found 400 cameras" in text
    assert "The first 150 cameras alone, the same way" in text
    assert "The same file imported again" in text and "no change, as expected" in text
    assert "Then `refresh_derived`" in text and "fields of view" in text
    assert "the importing process peaking at" in text
    assert "Started once no autovacuum worker ran on the server (waited" in text
    assert sorted(path.name for path in tmp_path.glob("*.pbf")) == [
        "synthetic-150-8.osm.pbf",
        "synthetic-400-8.osm.pbf",
    ]


def test_the_machines_busy_time_grows_with_work_done():
    from mapping.bench.machine import busy_cpu_seconds

    before = busy_cpu_seconds()
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:  # 0.3 s of this process's CPU
        pass
    after = busy_cpu_seconds()
    assert before is not None and after is not None
    assert after - before >= 0.25


def test_the_wait_for_autovacuum_ends_by_its_timeout_at_the_latest(db):
    from mapping.bench.databases import wait_for_autovacuum

    started = time.perf_counter()
    waited = wait_for_autovacuum(timeout_s=0.5, poll_s=0.1)

    assert 0 <= waited <= time.perf_counter() - started < 5
