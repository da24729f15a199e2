"""Python's cycle collector paused while an import makes millions of acyclic objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Python's cycle collector off for the body, then as it was.

    What an import makes by the million (rows read, slices of them for a COPY) forms no
    reference cycles, and every full pass of the collector walks the whole heap, which
    an import's extract makes big: the passes only cost time. Reading the 2.5 million
    synthetic cameras, 15 of them took 3-4 s of 23; slicing their lines out for the
    COPY, 1.1 s of 2.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
