"""Pieces the benchmark cases share: the run's settings, endpoint checks, HTTP timing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.urls import Resolver404, resolve

from mapping.bench.server import FLOOR_PATH, HttpClient
from mapping.bench.stats import Timing, time_calls


@dataclass(frozen=True)
class BenchConfig:
    """Sizes and repetitions of a run (--quick shrinks them all)."""

    quick: bool
    cameras: int
    segments: int
    seed: int
    repeat: int  # timed requests per latency benchmark
    route_pairs: int
    load_rate: float  # requests per second
    load_seconds: float
    work_dir: Path  # the synthetic .pbf and other large files

    @classmethod
    def build(cls, quick: bool, cameras=None, segments=None, seed=8, work_dir=None):
        return cls(
            quick=quick,
            cameras=cameras or (20_000 if quick else 2_500_000),
            segments=segments or (20_000 if quick else 500_000),
            seed=seed,
            repeat=20 if quick else 200,
            route_pairs=5 if quick else 30,
            load_rate=50.0 if quick else 200.0,
            load_seconds=5.0 if quick else 60.0,
            work_dir=Path(work_dir or "var/bench"),
        )


def endpoint_missing(path: str) -> str | None:
    """None when the URL exists in this code, else a sentence saying it does not."""
    try:
        resolve(path.split("?", 1)[0])
    except Resolver404:
        return f"{path.split('?', 1)[0]} does not exist yet in this code"
    return None


class EndpointError(RuntimeError):
    """An endpoint answered something other than what the benchmark needs."""


def get_json(client: HttpClient, path: str) -> dict:
    status, body = client.get(path)
    if status != 200:
        raise EndpointError(f"GET {path} answered {status}: {body[:300]!r}")
    return json.loads(body)


def time_gets(client: HttpClient, paths: Sequence[str], repeat: int, warmup: int = 5) -> Timing:
    """Median-able timings of GET requests cycling over paths; any non-200 is an error."""

    return time_calls(lambda i: get_ok(client, paths[i % len(paths)]), repeat, warmup)


def get_ok(client: HttpClient, path: str) -> bytes:
    """The body of a GET that must answer 200."""
    status, body = client.get(path)
    if status != 200:
        raise EndpointError(f"GET {path} answered {status}: {body[:300]!r}")
    return body


def http_floor(client: HttpClient, repeat: int) -> Timing:
    """A request Django answers with a bare 404: server, middleware and URL resolution."""

    def call(i: int) -> None:
        client.get(FLOOR_PATH)

    return time_calls(call, repeat, warmup=5)


def bbox_param(box: Sequence[float]) -> str:
    return ",".join(f"{v:.6f}" for v in box)


IN_PROCESS_CODE = """
import json, time
from django.conf import settings
from django.test import Client
settings.API_RESPONSE_CACHE = False  # the view's work, not the response cache's
client = Client(HTTP_HOST="127.0.0.1")
paths = %r
for path in paths:
    client.get(path)
samples = []
for i in range(%d):
    started = time.perf_counter()
    answer = client.get(paths[i %% len(paths)])
    samples.append((time.perf_counter() - started) * 1000)
    assert answer.status_code == 200, answer.status_code
print(%r + json.dumps(sorted(samples)[len(samples) // 2]))
"""


def in_process_median_ms(dbname: str, paths: Sequence[str], repeat: int) -> float:
    """Median time of the view alone (Django's test client in a child process, no HTTP)."""
    from mapping.bench.databases import RESULT_MARKER, run_django

    return run_django(dbname, IN_PROCESS_CODE % (list(paths), repeat, RESULT_MARKER))
