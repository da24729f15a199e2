"""PostgreSQL's binary COPY of integer columns, encoded and decoded by numpy."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from django.db import connection

from mapping import copy_binary

TYPES = ("smallint", "integer", "bigint")


def _columns() -> list[tuple[str, np.ndarray]]:
    return [
        ("smallint", np.array([3, -32768, 32767, 0])),
        ("integer", np.array([65535, -1, 2**31 - 1, -(2**31)])),
        ("bigint", np.array([2**40, -(2**62), 7, 0])),
    ]


def _whole(rows: bytes) -> bytes:
    return copy_binary.HEADER + rows + copy_binary.TRAILER


def test_rows_decode_to_the_values_encoded():
    columns = _columns()

    decoded = copy_binary.decode_rows(_whole(copy_binary.encode_rows(columns)), TYPES)

    assert [list(values) for values in decoded] == [list(values) for _, values in columns]


def test_a_row_is_its_field_count_then_each_field_length_and_big_endian_value():
    rows = copy_binary.encode_rows([("smallint", np.array([5])), ("integer", np.array([-2]))])

    assert rows == struct.pack(">hihii", 2, 2, 5, 4, -2)


def test_values_beyond_a_column_type_are_refused_not_wrapped():
    with pytest.raises(ValueError, match="beyond the range of integer"):
        copy_binary.encode_rows([("integer", np.array([1, 2**31]))])


def test_columns_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="as many values"):
        copy_binary.encode_rows([("integer", np.arange(3)), ("integer", np.arange(2))])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PGCOPX\n\xff\r\n\x00" + bytes(8) + b"\xff\xff", "signature"),
        (copy_binary.HEADER + struct.pack(">hii", 1, 4, 9), "trailer"),
        (_whole(struct.pack(">hii", 1, 4, 9) + b"\x00"), "not all integers"),
        (_whole(struct.pack(">hii", 2, 4, 9)), "fields each"),
        (_whole(struct.pack(">hii", 1, -1, 0)), "NULL"),
    ],
)
def test_what_is_not_a_copy_of_integer_columns_is_refused(data, message):
    with pytest.raises(copy_binary.BinaryCopyError, match=message):
        copy_binary.decode_rows(data, ("integer",))


def test_a_header_extension_is_skipped():
    extended = copy_binary.SIGNATURE + struct.pack(">ii", 0, 3) + b"abc"
    data = extended + struct.pack(">hii", 1, 4, 41) + copy_binary.TRAILER

    assert list(copy_binary.decode_rows(data, ("integer",))[0]) == [41]


@pytest.mark.django_db
def test_postgresql_stores_and_returns_the_same_rows():
    columns = _columns()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE binary_copy (a smallint, b integer, c bigint)")
        copy_binary.copy_rows(
            cursor, "binary_copy", ("a", "b", "c"), [copy_binary.encode_rows(columns)]
        )
        cursor.execute("SELECT a, b, c FROM binary_copy ORDER BY ctid")
        stored = cursor.fetchall()
        fetched = copy_binary.fetch_columns(cursor, "SELECT a, b, c FROM binary_copy", TYPES)

    expected = list(zip(*(values.tolist() for _, values in columns), strict=True))
    assert stored == expected
    assert list(zip(*(values.tolist() for values in fetched), strict=True)) == expected


@pytest.mark.django_db
def test_rows_sent_in_pieces_arrive_whole(monkeypatch):
    monkeypatch.setattr(copy_binary, "PIECE_BYTES", 7)  # cuts through rows and fields
    values = np.arange(1000)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE binary_pieces (v integer)")
        copy_binary.copy_rows(
            cursor, "binary_pieces", ("v",), [copy_binary.encode_rows([("integer", values)])] * 2
        )
        cursor.execute("SELECT count(*), sum(v) FROM binary_pieces")
        assert cursor.fetchone() == (2000, 2 * int(values.sum()))
