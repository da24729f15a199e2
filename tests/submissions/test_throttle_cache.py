"""The submission throttle's file cache (api.throttle_cache): live counters survive many
clients, and expired ones do not stay on disk."""

from __future__ import annotations

import time
from pathlib import Path

from api import throttle_cache
from api.throttle_cache import ThrottleFileCache


def test_live_counters_survive_hundreds_of_other_clients(tmp_path):
    """Django's default of 300 entries culled a third of them, live ones included: 7 of
    10 throttled clients could submit again after 700 others had sent one report."""
    cache = ThrottleFileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 100_000}})
    throttled = [f"throttle_submissions_{n}" for n in range(10)]
    for key in throttled:
        cache.set(key, [time.time()] * 2, 3600)
    for n in range(700):
        cache.set(f"throttle_submissions_other_{n}", [time.time()], 3600)
    assert all(cache.get(key) is not None for key in throttled)


def test_expired_entries_are_deleted_without_being_read_again(tmp_path, monkeypatch):
    """Django deletes an expired file only when its own key is read again: the counters of
    clients who never came back stayed on disk, with their times."""
    monkeypatch.setattr(throttle_cache, "PURGE_EVERY", 1000)
    cache = ThrottleFileCache(str(tmp_path), {})
    for n in range(3):
        cache.set(f"gone_{n}", [1.0], 1)  # expire within a second
    cache.set("live", [2.0], 3600)
    assert len(list(tmp_path.iterdir())) == 4
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 10)  # ten seconds later
    assert cache.purge_expired() == 3
    assert [p.name for p in tmp_path.iterdir()] == [Path(cache._key_to_file("live")).name]

    # A write purges by itself, every PURGE_EVERY-th one (here each).
    monkeypatch.setattr(throttle_cache, "PURGE_EVERY", 1)
    for n in range(4):
        cache.set(f"gone_again_{n}", [1.0], 1)
    assert len(list(tmp_path.iterdir())) == 5
    monkeypatch.setattr(time, "time", lambda: real_time() + 20)
    cache.set("live_too", [3.0], 3600)
    assert len(list(tmp_path.iterdir())) == 2
    assert cache.get("live") == [2.0] and cache.get("live_too") == [3.0]
