"""Density cells summed from one level into the coarser ones, with numpy.

A cell's parent is (x >> 1, y >> 1) with the same dims (cells.py), so every aggregated
level is the level below it summed: integer arithmetic only, the same counts wherever
it runs. A first fill (first_fill.py) takes the finest cells from PostgreSQL, which
alone places cameras in tiles (one formula, triggers.py), and sums the coarser levels
here: on the 2.5 million synthetic cameras, 1.1 million finest cells became 3 million
rows of every level in under a second, where the same sums and sorts in SQL, written
with INSERT ... SELECT, took 6-10 s.

Pure: arrays in, arrays out, each level in the order of the aggregate's key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

# Three fields packed into one int64 sort key: x, y and dims, 20 bits each. Tiles of the
# finest aggregated level (16) need 16 bits, dims 15 (dimensions.DIMS_BITS).
FIELD_BITS = 20
_FIELD_MASK = (1 << FIELD_BITS) - 1


class LevelCells(NamedTuple):
    """One level's cells: a count per (x, y, dims), in that order."""

    level: int
    x: np.ndarray
    y: np.ndarray
    dims: np.ndarray
    n: np.ndarray


class LevelTotals(NamedTuple):
    """One level's totals: a count per (x, y), in that order."""

    level: int
    x: np.ndarray
    y: np.ndarray
    n: np.ndarray


def _sums(keys: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys in order, and the counts summed per key."""
    distinct, which = np.unique(keys, return_inverse=True)
    # Float sums of integers stay exact below 2**53 (there are a few billion cameras at most).
    return distinct, np.bincount(which, weights=counts, minlength=len(distinct)).astype(np.int64)


def _check_fits(*columns: np.ndarray) -> None:
    for values in columns:
        if len(values) and (values.min() < 0 or values.max() > _FIELD_MASK):
            raise ValueError(f"cell fields must lie in [0, {_FIELD_MASK}] to be summed here")


def roll_up(fine: LevelCells, levels: Sequence[int]) -> list[LevelCells]:
    """fine summed into each of levels (none finer than fine), ascending by level.

    Each level's cells come in key order (x, y, dims), as the aggregate's primary key
    and its readers want them on disk; fine's own level, if asked, is summed too (its
    rows need not be distinct or ordered).
    """
    wanted = sorted(set(levels))
    if wanted and wanted[-1] > fine.level:
        raise ValueError(f"level {wanted[-1]} is finer than the cells given ({fine.level})")
    _check_fits(fine.x, fine.y, fine.dims)
    x, y = fine.x.astype(np.int64), fine.y.astype(np.int64)
    dims, n = fine.dims.astype(np.int64), fine.n.astype(np.int64)
    summed: list[LevelCells] = []
    for level in range(fine.level, (wanted[0] if wanted else fine.level) - 1, -1):
        if level < fine.level:  # each level from the one below it: fewer rows every time
            x, y = x >> 1, y >> 1
        keys, n = _sums((x << (2 * FIELD_BITS)) | (y << FIELD_BITS) | dims, n)
        x, y = keys >> (2 * FIELD_BITS), (keys >> FIELD_BITS) & _FIELD_MASK
        dims = keys & _FIELD_MASK
        if level in wanted:
            summed.append(LevelCells(level, x, y, dims, n))
    return summed[::-1]


def totals(cells: LevelCells, counted: np.ndarray) -> LevelTotals:
    """cells summed over their dims, counting only the rows where counted is true."""
    x, y, n = cells.x[counted], cells.y[counted], cells.n[counted]
    _check_fits(x, y)
    keys, n = _sums((x << FIELD_BITS) | y, n)
    return LevelTotals(cells.level, keys >> FIELD_BITS, keys & _FIELD_MASK, n)
