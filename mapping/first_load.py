"""The first import into an empty camera table: one COPY straight into it, in place order.

Any other import goes through a staging table (mapping.sync), because its cameras must
be compared with the stored ones. Into an empty table there is nothing to compare with,
and the staging table was a detour: on the 2.5 million synthetic cameras its COPY and
the INSERT from it in place order took 20 s and 37 s, the sort of 2.5 million wide rows
spilling 2.3 GB to disk. Here numpy puts the cameras in geohash order (neighbours in
space are neighbours on disk, what mapping.storage_order's CLUSTER gives too) on
their coordinates alone, and the rows go in with one COPY.

The caller holds the table empty and locked (mapping.bulk_load.lock_if_empty) with its
secondary indexes dropped, inside the import's transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

import numpy as np
from psycopg import sql

from mapping import bulk_load, camera_lines, camera_rows, collector, copy_text
from mapping.camera_rows import CameraRows
from mapping.osm.extract import CameraElement

CAMERA_TABLE = "mapping_camera"
# Each line: the camera's own fields, then its place. What every camera of a first import
# shares (the CONSTANT_COLUMNS) comes from column defaults set for the COPY alone.
COLUMNS = (*camera_lines.COLUMNS, "location")
CONSTANT_COLUMNS = ("source", "status", "confirmations", "first_seen", "last_seen", "updated_at")

# The columns' own defaults, to put back after the COPY (Django sets none in the database).
COLUMN_DEFAULTS = """
SELECT a.attname, pg_get_expr(d.adbin, d.adrelid)
FROM pg_attribute AS a
LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = %s::regclass AND a.attname::text = ANY(%s)
"""

# Bits per axis of the order key: 2 x 30 = 60 bits, a geohash of 12 characters (cells of
# a few centimetres); two keys in one unsigned 64-bit integer.
AXIS_BITS = 30
_AXIS_CELLS = float(1 << AXIS_BITS)


def _spread_bits(values: np.ndarray) -> np.ndarray:
    """Each bit i of the 30-bit values moved to bit 2i (zeros in between)."""
    v = values.astype(np.uint64)
    for shift, mask in (
        (16, 0x0000FFFF0000FFFF),
        (8, 0x00FF00FF00FF00FF),
        (4, 0x0F0F0F0F0F0F0F0F),
        (2, 0x3333333333333333),
        (1, 0x5555555555555555),
    ):
        v = (v | (v << np.uint64(shift))) & np.uint64(mask)
    return v


def _axis_cells(values: np.ndarray, low: float, span: float) -> np.ndarray:
    cells = np.floor((values - low) / span * _AXIS_CELLS)
    return np.clip(cells, 0, _AXIS_CELLS - 1)


def geohash_keys(lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """Geohash order as integers: longitude and latitude bits interleaved, longitude first.

    Each key is the point's 12-character geohash (ST_GeoHash(location, 12)) read as a
    60-bit number, so sorting by them follows a Z-shaped curve over the whole globe;
    except that a coordinate within about 1e-14 degree below a cell's edge (a nanometre)
    may round into the next cell, which only moves that row among its neighbours on disk.
    """
    x = _spread_bits(_axis_cells(np.asarray(lons, dtype=np.float64), -180.0, 360.0))
    y = _spread_bits(_axis_cells(np.asarray(lats, dtype=np.float64), -90.0, 180.0))
    return (x << np.uint64(1)) | y


def load_order(cameras: CameraRows | Sequence[CameraElement]) -> np.ndarray:
    """Indexes of the cameras to write, in geohash order.

    The first of any repeated OSM identity is kept (as the staging path keeps it);
    cameras at the same key stay in the order they were read.
    """
    rows = camera_rows.as_rows(cameras)
    first = rows.first_of_each_identity()
    keys = geohash_keys(rows.lons[first], rows.lats[first])
    return first[np.argsort(keys, kind="stable")]


@contextmanager
def column_defaults(cursor, table: str, values: dict[str, object]) -> Iterator[None]:
    """The columns default to values for the body, then to what they defaulted to before.

    For a COPY that leaves them out: PostgreSQL fills a constant default once per
    statement, where a value in every line is parsed for every row; for the three
    timestamps of 2.5 million cameras, 9 % of the COPY's time in the server. ALTER
    TABLE inside the caller's transaction, on the table it holds locked: no other
    session sees these defaults, and a rollback takes them back.
    """
    bulk_load.require_transaction("changing column defaults")
    bulk_load.settle_pending_checks(cursor)
    cursor.execute(COLUMN_DEFAULTS, [table, list(values)])
    before = dict(cursor.fetchall())
    cursor.execute(set_defaults(table, values))
    yield
    cursor.execute(restore_defaults(table, before))


def set_defaults(table: str, values: dict[str, object]) -> sql.Composed:
    """ALTER TABLE giving the columns these constant defaults."""
    return sql.SQL("ALTER TABLE {} ").format(sql.Identifier(table)) + sql.SQL(", ").join(
        sql.SQL("ALTER COLUMN {} SET DEFAULT {}").format(sql.Identifier(name), sql.Literal(v))
        for name, v in values.items()
    )


def restore_defaults(table: str, before: dict[str, str | None]) -> sql.Composed:
    """ALTER TABLE giving the columns back their defaults as COLUMN_DEFAULTS read them."""
    return sql.SQL("ALTER TABLE {} ").format(sql.Identifier(table)) + sql.SQL(", ").join(
        sql.SQL("ALTER COLUMN {} DROP DEFAULT").format(sql.Identifier(name))
        if expression is None
        else sql.SQL("ALTER COLUMN {} SET DEFAULT {}").format(
            sql.Identifier(name), sql.SQL(expression)
        )
        for name, expression in before.items()
    )


def copy_into_empty_table(cursor, rows: CameraRows, now: datetime, unparsed: Counter[str]) -> int:
    """COPY every camera (each identity once) into the empty table; returns how many."""
    constants = dict(zip(CONSTANT_COLUMNS, ("osm", "active", 0, now, now, now), strict=True))
    chunks = rows.ewkb_chunks(load_order(rows), unparsed)
    with column_defaults(cursor, CAMERA_TABLE, constants), collector.paused():
        return copy_text.copy_chunks(cursor, CAMERA_TABLE, COLUMNS, chunks)
