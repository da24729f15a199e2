"""Latency statistics: medians and tail percentiles of repeated calls."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


def percentile(samples: Sequence[float], share: float) -> float:
    """The share-th percentile (0..1) with linear interpolation between ranks."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = share * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Timing:
    """Durations of repeated calls, in milliseconds."""

    samples_ms: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.samples_ms)

    @property
    def median(self) -> float:
        return percentile(self.samples_ms, 0.5)

    @property
    def p95(self) -> float:
        return percentile(self.samples_ms, 0.95)

    @property
    def p99(self) -> float:
        return percentile(self.samples_ms, 0.99)

    def describe(self) -> str:
        return f"median {self.median:.1f} ms, p95 {self.p95:.1f} ms, n={self.n}"


def time_calls(call: Callable[[int], object], repeat: int, warmup: int = 3) -> Timing:
    """Call call(i) warmup times untimed, then repeat times timed (i counts from 0)."""
    for i in range(warmup):
        call(i)
    samples = []
    for i in range(repeat):
        started = time.perf_counter()
        call(i)
        samples.append((time.perf_counter() - started) * 1000)
    return Timing(tuple(samples))


def time_interleaved(
    calls: dict[str, Callable[[int], object]], repeat: int, warmup: int = 3
) -> dict[str, Timing]:
    """Time several calls side by side: for each i, every call once, in an order that
    alternates from one i to the next. A change of load on the machine during the run
    then weighs on each of them alike, so the ratio of their medians holds."""
    for i in range(warmup):
        for call in calls.values():
            call(i)
    samples: dict[str, list[float]] = {name: [] for name in calls}
    order = list(calls.items())
    for i in range(repeat):
        for name, call in order if i % 2 == 0 else reversed(order):
            started = time.perf_counter()
            call(i)
            samples[name].append((time.perf_counter() - started) * 1000)
    return {name: Timing(tuple(values)) for name, values in samples.items()}
