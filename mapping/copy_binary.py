"""PostgreSQL's binary COPY format for columns of integers, to and from numpy.

For tables of narrow integer rows (the density aggregate: millions of rows of five
integers), a whole column is encoded or decoded by numpy in one operation, where text
lines would be formatted and parsed number by number on both sides. Pure functions for
the format (arrays in, bytes out, and back), and the two COPY statements around them.

The format (PostgreSQL documentation, "COPY", Binary Format): a signature, 32-bit flags
and a header extension; then, per row, the field count (int16) and each field as its
length (int32) and its bytes in network order; then -1 as an int16.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

import numpy as np

SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
HEADER = SIGNATURE + struct.pack(">ii", 0, 0)  # no flags, no header extension
TRAILER = struct.pack(">h", -1)
# Integer column types by their PostgreSQL names, as big-endian numpy types.
INTEGER_TYPES = {"smallint": ">i2", "integer": ">i4", "bigint": ">i8"}
# Sent in pieces of this many bytes: psycopg copies each piece once more on its way.
PIECE_BYTES = 1 << 24


class BinaryCopyError(ValueError):
    """The bytes are not what a binary COPY of these integer columns looks like."""


def _row_type(types: Sequence[str]) -> np.dtype:
    """One row: the field count, then each field's length and value."""
    fields: list[tuple[str, str]] = [("count", ">i2")]
    for k, name in enumerate(types):
        fields += [(f"length_{k}", ">i4"), (f"value_{k}", INTEGER_TYPES[name])]
    return np.dtype(fields)


def encode_rows(columns: Sequence[tuple[str, np.ndarray]]) -> bytes:
    """Rows of the given (type, values) columns, without header or trailer."""
    types = [name for name, _ in columns]
    count = len(columns[0][1]) if columns else 0
    rows = np.empty(count, dtype=_row_type(types))
    rows["count"] = len(columns)
    for k, (name, values) in enumerate(columns):
        if len(values) != count:
            raise ValueError("every column needs as many values as the first")
        limits = np.iinfo(np.dtype(INTEGER_TYPES[name]))
        if count and (values.min() < limits.min or values.max() > limits.max):
            raise ValueError(f"column {k} holds values beyond the range of {name}")
        rows[f"length_{k}"] = np.dtype(INTEGER_TYPES[name]).itemsize
        rows[f"value_{k}"] = values
    return rows.tobytes()


def decode_rows(data: bytes, types: Sequence[str]) -> list[np.ndarray]:
    """The columns of a whole binary COPY output of non-NULL integer columns."""
    if not data.startswith(SIGNATURE) or len(data) < len(HEADER) + len(TRAILER):
        raise BinaryCopyError("not PostgreSQL binary COPY data (no signature)")
    (extension,) = struct.unpack_from(">i", data, len(SIGNATURE) + 4)
    start = len(HEADER) + extension
    if not data.endswith(TRAILER):
        raise BinaryCopyError("binary COPY data without its trailer")
    row_type = _row_type(types)
    body = len(data) - start - len(TRAILER)
    if body < 0 or body % row_type.itemsize:
        raise BinaryCopyError("binary COPY rows are not all integers of the types expected")
    rows = np.frombuffer(data, dtype=row_type, offset=start, count=body // row_type.itemsize)
    if len(rows) and (rows["count"] != len(types)).any():
        raise BinaryCopyError(f"binary COPY rows without {len(types)} fields each")
    for k, name in enumerate(types):
        if len(rows) and (rows[f"length_{k}"] != np.dtype(INTEGER_TYPES[name]).itemsize).any():
            raise BinaryCopyError(f"field {k} is NULL or not a {name} in some row")
    return [rows[f"value_{k}"].astype(np.int64) for k in range(len(types))]


def fetch_columns(cursor, query: str, types: Sequence[str]) -> list[np.ndarray]:
    """The integer columns a query returns (none of them NULL), as int64 arrays."""
    raw_cursor = getattr(cursor, "cursor", cursor)  # Django's wrapper, or psycopg's own
    with raw_cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT BINARY)") as copy:
        data = b"".join(bytes(block) for block in copy)
    return decode_rows(data, types)


def copy_rows(cursor, table: str, columns: Sequence[str], rows: Iterable[bytes]) -> None:
    """COPY encoded rows (encode_rows) into table's columns."""
    raw_cursor = getattr(cursor, "cursor", cursor)
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
    with raw_cursor.copy(statement) as copy:
        copy.write(HEADER)
        for block in rows:
            view = memoryview(block)
            for start in range(0, len(view), PIECE_BYTES):
                copy.write(view[start : start + PIECE_BYTES])
        copy.write(TRAILER)
