"""Density levels and totals summed by numpy, against sums written out the slow way."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from django.db import connection

from mapping.camera_queries import CameraFilters
from mapping.density import rollup
from mapping.density.dimensions import DIMS_BITS, dims_conditions, dims_match


def _fine(level: int = 16, rows: int = 5000, seed: int = 1) -> rollup.LevelCells:
    rng = np.random.default_rng(seed)
    # Clustered, as cameras are, so that parents gather several children; repeats too.
    x = rng.integers(30000, 30000 + 300, rows)
    y = rng.integers(20000, 20000 + 200, rows)
    dims = rng.choice([0, 5, 1029, 2**14 + 3], rows)
    return rollup.LevelCells(level, x, y, dims, rng.integers(1, 9, rows))


def _summed_slowly(fine: rollup.LevelCells, level: int) -> Counter:
    shift = fine.level - level
    sums: Counter = Counter()
    for x, y, dims, n in zip(fine.x, fine.y, fine.dims, fine.n, strict=True):
        sums[(int(x) >> shift, int(y) >> shift, int(dims))] += int(n)
    return sums


def test_every_level_is_the_finest_cells_summed_into_their_ancestors():
    fine = _fine()

    levels = rollup.roll_up(fine, range(3, 17))

    assert [cells.level for cells in levels] == list(range(3, 17))
    for cells in levels:
        got = {
            (int(x), int(y), int(d)): int(n)
            for x, y, d, n in zip(cells.x, cells.y, cells.dims, cells.n, strict=True)
        }
        assert got == _summed_slowly(fine, cells.level)
        assert len(got) == len(cells.n)  # each cell once
        assert sum(got.values()) == int(fine.n.sum())


def test_each_level_comes_in_key_order():
    for cells in rollup.roll_up(_fine(seed=4), [3, 9, 16]):
        keys = list(zip(cells.x.tolist(), cells.y.tolist(), cells.dims.tolist(), strict=True))
        assert keys == sorted(keys)


def test_only_the_levels_asked_for_come_back():
    assert [cells.level for cells in rollup.roll_up(_fine(), [12, 5])] == [5, 12]
    assert rollup.roll_up(_fine(), []) == []


def test_a_level_finer_than_the_cells_given_is_refused():
    with pytest.raises(ValueError, match="finer"):
        rollup.roll_up(_fine(level=10), [11])


def test_fields_too_wide_to_pack_are_refused():
    wide = rollup.LevelCells(16, np.array([1 << 20]), np.array([0]), np.array([0]), np.array([1]))
    with pytest.raises(ValueError, match="must lie in"):
        rollup.roll_up(wide, [16])


def test_totals_sum_the_counted_rows_over_their_dims():
    (cells,) = rollup.roll_up(_fine(seed=7), [11])
    counted = cells.dims != 5

    summed = rollup.totals(cells, counted)

    expected: Counter = Counter()
    for x, y, d, n in zip(cells.x, cells.y, cells.dims, cells.n, strict=True):
        if d != 5:
            expected[(int(x), int(y))] += int(n)
    got = list(zip(summed.x.tolist(), summed.y.tolist(), summed.n.tolist(), strict=True))
    assert got == sorted((x, y, n) for (x, y), n in expected.items())
    assert summed.level == 11


@pytest.mark.django_db
@pytest.mark.parametrize(
    "filters",
    [
        CameraFilters(statuses=("active",)),
        CameraFilters(sources=("community",), camera_types=("dome", "panning")),
        CameraFilters(surveillances=("",), capabilities=("alpr", "thermal")),
        CameraFilters(),
    ],
)
def test_numpy_keeps_the_dims_the_sql_conditions_keep(filters):
    everything = np.arange(1 << DIMS_BITS)
    conditions, params = dims_conditions(filters)
    where = " AND ".join(conditions) or "true"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT dims FROM generate_series(0, %s) AS dims WHERE {where} ORDER BY 1",
            [len(everything) - 1, *params],
        )
        kept_by_sql = [dims for (dims,) in cursor.fetchall()]

    assert everything[dims_match(filters, everything)].tolist() == kept_by_sql
    assert 0 < len(kept_by_sql) <= len(everything)
