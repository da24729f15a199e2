"""The submission throttle's file cache: Django's, removing expired entries by itself.

Each entry is a keyed hash of a client (never its address) and the times of its requests
within the hour. Django's file cache deletes an expired entry only when that very key is
read again, so the entries of clients who never came back stayed on disk for ever, with
their times. Here every PURGE_EVERY-th write of a worker also deletes every expired
entry: an entry outlives its hour by at most that many throttled requests per worker.
"""

from __future__ import annotations

from django.core.cache.backends.filebased import FileBasedCache

PURGE_EVERY = 50


class ThrottleFileCache(FileBasedCache):
    def __init__(self, dir, params) -> None:
        super().__init__(dir, params)
        self._writes = 0

    def set(self, key, value, timeout=None, version=None) -> None:
        super().set(key, value, timeout, version)
        self._writes += 1
        if self._writes % PURGE_EVERY == 0:
            self.purge_expired()

    def purge_expired(self) -> int:
        """Delete every expired entry; returns how many (Django's own test of a file)."""
        removed = 0
        for path in self._list_cache_files():
            try:
                with open(path, "rb") as entry:
                    removed += self._is_expired(entry)
            except OSError:
                continue  # removed by another worker meanwhile
        return removed
