"""A bounded open-loop load test on 127.0.0.1: a fixed rate, a fixed duration, then stop.

Requests are sent on a fixed schedule whatever the server does (open loop), and each
latency is measured from the moment its request was due, so a server that falls
behind shows it in the tail instead of silently slowing the client (the "coordinated
omission" of closed-loop tools). Each request opens its own connection, as browsers
talking to gunicorn's sync workers effectively do.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from mapping.bench.stats import percentile

LOCALHOST = "127.0.0.1"  # never anything else: this is a load test of our own server
MAX_IN_FLIGHT = 512
REQUEST_TIMEOUT_S = 10.0


@dataclass
class LoadResult:
    rate: float
    seconds: float
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter = field(default_factory=Counter)
    sent: int = 0
    wall_s: float = 0.0
    # X-Cache of each 200 answer (api/response_cache.py): hit, miss, pass, off, or "" (none).
    cache: Counter = field(default_factory=Counter)

    @property
    def all_latencies(self) -> list[float]:
        return [v for values in self.latencies_ms.values() for v in values]

    @property
    def ok(self) -> int:
        return len(self.all_latencies)

    @property
    def achieved_rps(self) -> float:
        return self.ok / self.wall_s if self.wall_s else 0.0

    def quantile(self, share: float, kind: str | None = None) -> float:
        values = self.all_latencies if kind is None else self.latencies_ms.get(kind, [])
        return percentile(values, share) if values else float("nan")


def _cache_status(head: bytes) -> str:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"x-cache":
            return value.strip().decode()
    return ""


async def _request(port: int, path: str) -> tuple[int, str]:
    reader, writer = await asyncio.open_connection(LOCALHOST, port)
    try:
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {LOCALHOST}\r\nAccept: application/json\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        await writer.drain()
        response = await reader.read()  # the server closes after the body
    finally:
        writer.close()
    if not response.startswith(b"HTTP/1."):
        return 0, ""
    return int(response[9:12]), _cache_status(response.partition(b"\r\n\r\n")[0])


async def _load(port: int, mix: Sequence[tuple[str, str]], rate: float, seconds: float):
    result = LoadResult(rate, seconds)
    total = int(rate * seconds)
    in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.1

    async def one(index: int) -> None:
        kind, path = mix[index % len(mix)]
        due = start + index / rate
        try:
            status, cached = await asyncio.wait_for(_request(port, path), REQUEST_TIMEOUT_S)
        except (TimeoutError, OSError) as error:
            result.errors[f"{kind}: {type(error).__name__}"] += 1
            return
        finally:
            in_flight.release()
        if status != 200:
            result.errors[f"{kind}: HTTP {status}"] += 1
            return
        result.cache[f"{kind} {cached or 'uncached'}"] += 1
        result.latencies_ms.setdefault(kind, []).append((loop.time() - due) * 1000)

    tasks = []
    wall = time.perf_counter()
    for index in range(total):
        delay = start + index / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if in_flight.locked():
            result.errors["client: too many requests in flight"] += 1
            continue
        await in_flight.acquire()
        tasks.append(asyncio.create_task(one(index)))
        result.sent += 1
    await asyncio.gather(*tasks)
    result.wall_s = time.perf_counter() - wall
    return result


def _run_event_loop(coroutine):
    """asyncio.run in a thread of its own: the caller's thread may already run a loop
    (Playwright's sync API keeps one in pytest's main thread)."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, coroutine).result()


def run_load(port: int, mix: Sequence[tuple[str, str]], rate: float, seconds: float) -> LoadResult:
    """Send rate*seconds requests cycling over mix (kind, path); it ends by itself."""
    return _run_event_loop(_load(port, list(mix), rate, seconds))


async def _capacity(port: int, mix: Sequence[tuple[str, str]], concurrency: int, seconds: float):
    result = LoadResult(0.0, seconds)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    counter = iter(range(10**9))

    async def client() -> None:
        while loop.time() < deadline:
            kind, path = mix[next(counter) % len(mix)]
            started = loop.time()
            result.sent += 1
            try:
                status, cached = await asyncio.wait_for(_request(port, path), REQUEST_TIMEOUT_S)
            except (TimeoutError, OSError) as error:
                result.errors[f"{kind}: {type(error).__name__}"] += 1
                continue
            if status != 200:
                result.errors[f"{kind}: HTTP {status}"] += 1
                continue
            result.cache[f"{kind} {cached or 'uncached'}"] += 1
            result.latencies_ms.setdefault(kind, []).append((loop.time() - started) * 1000)

    wall = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    result.wall_s = time.perf_counter() - wall
    return result


def run_capacity(
    port: int, mix: Sequence[tuple[str, str]], concurrency: int, seconds: float
) -> LoadResult:
    """Closed loop: `concurrency` clients each send the next request as soon as the last
    is answered, for `seconds`; achieved_rps is what the server sustains at best."""
    return _run_event_loop(_capacity(port, list(mix), concurrency, seconds))


def shuffled_mix(parts: dict[str, tuple[float, Sequence[str]]], size: int, seed: int):
    """`size` (kind, path) requests: each kind gets its share, paths cycled, order shuffled."""
    rng = random.Random(seed)  # noqa: S311 - reproducible inputs, not secrets
    mix = []
    for kind, (share, paths) in parts.items():
        count = round(share * size)
        mix += [(kind, paths[k % len(paths)]) for k in range(count)]
    rng.shuffle(mix)
    return mix
