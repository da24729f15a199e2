"""Active cameras per density cell, every kind together: the map's density layer without filters.

mapping_densitycell keeps one row per cell and combination of packed columns (dims), so
that filters can be answered from it; but what most readers see is the map without
filters (active cameras of every kind), and summing those rows cost more than anything
else in a density answer: a city view at zoom 12 on the 2.5 M benchmark set summed
42,000 rows into 1,800 cells (17-19 ms). mapping_densitytotal keeps that sum, one row per
cell, written by the same statement-level triggers in the same statements, so it is as
exact as the cells it sums (tests recount both).
"""

from __future__ import annotations

from mapping.camera_queries import CameraFilters
from mapping.density import rollup
from mapping.density.rollup import LevelCells, LevelTotals

TOTALS_TABLE = "mapping_densitytotal"


def serves(filters: CameraFilters) -> bool:
    """Whether the totals answer these filters: active cameras, nothing else asked."""
    return (
        set(filters.statuses) == {"active"}
        and not filters.sources
        and not filters.surveillances
        and not filters.surveillance_types
        and not filters.camera_types
        and not filters.capabilities
        and not filters.operator
        and filters.updated_since is None
    )


# The cameras the totals count.
COUNTED = CameraFilters(statuses=("active",))


def _active_condition(dims: str) -> str:
    from mapping.density.dimensions import dims_conditions

    (condition,), (values,) = dims_conditions(COUNTED, dims)
    # A constant from the model's choices, not a parameter: these statements run in triggers.
    return condition.replace("%s", "'{" + ",".join(map(str, values)) + "}'::int[]")


def total_insert_sql(fine: str, upsert: bool = True) -> str:
    """INSERT adding the active cameras of ``fine`` (finest cells, as for the cells) to every
    level of the totals; without a closing semicolon."""
    from mapping.density.triggers import levels_insert_sql

    where = _active_condition("fine.dims")
    return levels_insert_sql(TOTALS_TABLE, "total", fine, upsert, dims=False, where=where)


def totals_of(cells: LevelCells) -> LevelTotals:
    """One level's totals from its cells, by numpy: the rows fill_from_cells_sql writes."""
    from mapping.density.dimensions import dims_match

    return rollup.totals(cells, dims_match(COUNTED, cells.dims))


def fill_from_cells_sql(cells_table: str) -> str:
    """INSERT of every total summed from the cells, for an empty totals table."""
    return f"""
        INSERT INTO {TOTALS_TABLE} (level, cell_x, cell_y, camera_count)
        SELECT level, cell_x, cell_y, sum(camera_count)::int
        FROM {cells_table}
        WHERE {_active_condition("dims")}
        GROUP BY 1, 2, 3
        ORDER BY 1, 2, 3
    """


REMOVE_EMPTIED = f"DELETE FROM {TOTALS_TABLE} WHERE camera_count = 0"
