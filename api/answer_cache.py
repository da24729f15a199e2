"""The file cache answers live in by default: Django's, with two costs of each write taken out.

Django's FileBasedCache lists its whole directory on every write to decide whether to cull
(11 ms with 5,000 answers stored: more than most answers take to compute), and compresses
each entry at zlib's default level (16 ms for a 1 MB page of 5,000 markers, the map's
largest answer). Under the load test of map readers, every answer nobody had asked for
before paid both on top of its own computation.

Here the directory is counted on one write in CULL_CHECK_EVERY (per process), so between
two checks a worker may store up to that many entries beyond MAX_ENTRIES before the cull
brings the count down; and entries are compressed at level 1 (7 ms for that page, files a
fifth larger). Reading is Django's own: zlib reads any level.
"""

from __future__ import annotations

import pickle
import zlib

from django.core.cache.backends.filebased import FileBasedCache

CULL_CHECK_EVERY = 50
COMPRESSION_LEVEL = 1


class AnswerFileCache(FileBasedCache):
    """FileBasedCache that checks its size now and then and compresses fast."""

    def __init__(self, dir, params) -> None:
        super().__init__(dir, params)
        self._writes = 0

    def _cull(self) -> None:
        self._writes += 1
        if self._writes % CULL_CHECK_EVERY == 0:
            super()._cull()

    def _write_content(self, file, timeout, value) -> None:
        expiry = self.get_backend_timeout(timeout)
        file.write(pickle.dumps(expiry, self.pickle_protocol))
        file.write(zlib.compress(pickle.dumps(value, self.pickle_protocol), COMPRESSION_LEVEL))
