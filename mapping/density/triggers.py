"""Statement-level triggers keeping mapping_densitycell exactly in step with mapping_camera.

Every writer of cameras (the OSM import's upserts and COPY, moderation, the admin,
a factory in a test) goes through INSERT, UPDATE, DELETE or TRUNCATE, so the
counts are maintained here rather than by each writer remembering to refresh
them. The triggers are per statement and read the statement's transition tables:
an import of a million cameras is aggregated in one pass (to the finest level,
then summed up the levels), not a million times. An UPDATE only counts rows whose
location or packed columns changed, so bumping last_seen on every camera costs a
join, not a re-aggregation.

The SQL is built lazily (get_func) because mapping.models imports this module
before its choices, which the packing in dimensions.py reads, exist.
"""

from __future__ import annotations

import pgtrigger

from mapping.density.cells import AGGREGATE_LEVELS, FINE_LEVEL, MAX_MERCATOR_LAT

DENSITY_TABLE = "mapping_densitycell"
# The columns that decide a camera's cell and packed dims: a change to any of them moves
# the camera from one aggregate row to another.
COUNTED_COLUMNS = (
    "location",
    "source",
    "status",
    "surveillance",
    "surveillance_type",
    "camera_type",
    "capabilities",
)


def tile_x_sql(location: str, scale: str) -> str:
    """Column of a point's tile; ``scale`` is 2**level as SQL. Same arithmetic as cells.tile_x."""
    return tile_column_sql(f"ST_X({location})", scale)


def tile_y_sql(location: str, scale: str) -> str:
    """Row of a point's tile, from the north; same arithmetic as cells.tile_y."""
    return tile_row_sql(f"ST_Y({location})", scale)


def tile_column_sql(lon: str, scale: str) -> str:
    """tile_x_sql from a longitude (float8 SQL), e.g. a ``point``'s ``[0]``."""
    return (
        f"LEAST(GREATEST(floor(({lon} + 180.0::float8) / 360.0::float8 * {scale}),"
        f" 0), {scale} - 1)::int"
    )


def tile_row_sql(lat: str, scale: str) -> str:
    """tile_y_sql from a latitude (float8 SQL), e.g. a ``point``'s ``[1]``."""
    limit = f"{MAX_MERCATOR_LAT}::float8"
    lat = f"LEAST(GREATEST({lat}, -{limit}), {limit})"
    return (
        f"LEAST(GREATEST(floor((1.0::float8 - asinh(tan(radians({lat}))) / pi()) / 2.0::float8"
        f" * {scale}), 0), {scale} - 1)::int"
    )


def _fine_scale() -> str:
    return f"{float(2**FINE_LEVEL)}::float8"


def _delta_rows(operation: str) -> str:
    """SELECT of (location, dims, n) rows: +1 per camera counted in, -1 per camera out."""
    from mapping.density.dimensions import dims_sql

    if operation == "INSERT":
        return f"SELECT c.location, {dims_sql('c')} AS dims, 1 AS n FROM new_cameras c"
    if operation == "DELETE":
        return f"SELECT c.location, {dims_sql('c')} AS dims, -1 AS n FROM old_cameras c"
    before = ", ".join(f"o.{column}" for column in COUNTED_COLUMNS)
    after = ", ".join(f"c.{column}" for column in COUNTED_COLUMNS)
    return (
        "SELECT moved.location, moved.dims, moved.n FROM ("
        f"SELECT o.location AS old_location, {dims_sql('o')} AS old_dims,"
        f" c.location AS new_location, {dims_sql('c')} AS new_dims"
        " FROM old_cameras o JOIN new_cameras c ON c.id = o.id"
        f" WHERE ({before}) IS DISTINCT FROM ({after})"
        ") changed CROSS JOIN LATERAL (VALUES"
        " (changed.old_location, changed.old_dims, -1),"
        " (changed.new_location, changed.new_dims, 1)"
        ") AS moved(location, dims, n)"
    )


def _fine_cells_sql(delta_rows: str) -> str:
    """SELECT of (cell_x, cell_y, dims, n): the delta rows summed per finest cell."""
    scale = _fine_scale()
    return f"""
            SELECT {tile_x_sql("d.location", scale)} AS cell_x,
                   {tile_y_sql("d.location", scale)} AS cell_y,
                   d.dims, sum(d.n)::int AS n
            FROM ({delta_rows}) d
            GROUP BY 1, 2, 3
            HAVING sum(d.n) <> 0"""


def levels_insert_sql(
    table: str, alias: str, fine: str, upsert: bool, dims: bool = True, where: str = ""
) -> str:
    """INSERT adding ``fine`` (a FROM item of finest cells named fine: cell_x, cell_y, dims, n)
    to every aggregated level of ``table``, keyed by dims too (the cells) or not (the totals,
    mapping/density/totals.py), in key order; ``where`` keeps some of the finest cells.
    Without a closing semicolon, so that it can sit in a WITH."""
    first, last = AGGREGATE_LEVELS[0], AGGREGATE_LEVELS[-1]
    key = "level, cell_x, cell_y, dims" if dims else "level, cell_x, cell_y"
    columns = "1, 2, 3, 4" if dims else "1, 2, 3"
    conflict = (
        f"""ON CONFLICT ({key})
        DO UPDATE SET camera_count = {alias}.camera_count + EXCLUDED.camera_count"""
        if upsert
        else ""
    )
    kept = f"\n        WHERE {where}" if where else ""
    dims_column = " fine.dims," if dims else ""
    return f"""
        INSERT INTO {table} AS {alias} ({key}, camera_count)
        SELECT lv.level, fine.cell_x >> ({FINE_LEVEL} - lv.level),
               fine.cell_y >> ({FINE_LEVEL} - lv.level),{dims_column} sum(fine.n)::int
        FROM {fine}
        CROSS JOIN generate_series({first}, {last}) AS lv(level){kept}
        GROUP BY {columns}
        HAVING sum(fine.n) <> 0
        ORDER BY {columns}
        {conflict}"""


def _cells_insert_sql(fine: str, upsert: bool) -> str:
    return levels_insert_sql(DENSITY_TABLE, "cell", fine, upsert)


def apply_delta_sql(delta_rows: str, upsert: bool = True) -> str:
    """Add the delta rows' counts to every aggregated level, in one statement.

    The rows are first summed per finest cell, then each coarser cell is the sum of
    the finest cells it contains (tile x >> k at level FINE_LEVEL - k). Rows are
    upserted in key order so two concurrent writers lock cells in the same order.
    Sums are cast to int at each step: a sum of bigints is numeric, several times
    slower to aggregate. upsert False writes plain rows, for an empty table: a
    first import of 50,000 cameras writes about 180,000 cells, and the conflict check
    of an upsert roughly doubles what each costs.
    """
    return _cells_insert_sql(f"({_fine_cells_sql(delta_rows)}) AS fine", upsert) + ";"


def apply_deltas_sql(delta_rows: str, upsert: bool = True) -> str:
    """apply_delta_sql, and the same rows added to the totals (mapping/density/totals.py),
    in one statement: the finest cells are computed once, and both tables written from them
    (a data-modifying WITH runs to completion whether or not its output is read)."""
    from mapping.density.totals import total_insert_sql

    return f"""
        WITH fine AS MATERIALIZED ({_fine_cells_sql(delta_rows)}
        ), cells AS ({_cells_insert_sql("fine", upsert)}
        )
        {total_insert_sql("fine", upsert)};
    """


class DensityTrigger(pgtrigger.Trigger):
    """AFTER <operation> FOR EACH STATEMENT: apply the statement's cameras to the counts."""

    level = pgtrigger.Statement
    when = pgtrigger.After

    def get_func(self, model) -> str:
        from mapping.density.totals import REMOVE_EMPTIED, TOTALS_TABLE

        operation = str(self.operation)
        if operation == "TRUNCATE":
            return f"DELETE FROM {DENSITY_TABLE}; DELETE FROM {TOTALS_TABLE}; RETURN NULL;"
        sql = apply_deltas_sql(_delta_rows(operation))
        if operation == "INSERT":
            # The first cameras into an empty aggregate (a first import): plain rows. Two
            # first writers at once: the loser fails on the primary key and rolls back.
            # The totals are derived from the cells: without cells, any left are stale.
            first_fill = apply_deltas_sql(_delta_rows(operation), upsert=False)
            sql = (
                f"IF NOT EXISTS (SELECT 1 FROM {DENSITY_TABLE}) THEN"
                f" DELETE FROM {TOTALS_TABLE}; {first_fill}"
                f" ELSE {sql} END IF;"
            )
        if operation != "INSERT":
            # Emptied cells go; the partial indexes on camera_count = 0 find them at once.
            sql += f" DELETE FROM {DENSITY_TABLE} WHERE camera_count = 0; {REMOVE_EMPTIED};"
        return sql + " RETURN NULL;"


def density_triggers() -> list[pgtrigger.Trigger]:
    """The triggers for Camera.Meta.triggers."""
    return [
        DensityTrigger(
            name="density_insert",
            operation=pgtrigger.Insert,
            referencing=pgtrigger.Referencing(new="new_cameras"),
        ),
        DensityTrigger(
            name="density_update",
            operation=pgtrigger.Update,
            referencing=pgtrigger.Referencing(old="old_cameras", new="new_cameras"),
        ),
        DensityTrigger(
            name="density_delete",
            operation=pgtrigger.Delete,
            referencing=pgtrigger.Referencing(old="old_cameras"),
        ),
        DensityTrigger(name="density_truncate", operation=pgtrigger.Truncate),
    ]
