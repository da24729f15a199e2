"""The blocks of an .osm.pbf file, found without decoding them, and runs of them as files.

A .pbf is a sequence of blobs, each after a small header: a 4-byte big-endian length,
then that many bytes of a BlobHeader message (field 1: the blob's type, "OSMHeader" or
"OSMData"; field 3: the blob's size), then the blob. Each data blob decodes on its own
(a few thousand objects, zlib-compressed), so a run of them after the file's header
blob is itself a valid .pbf: several processes can each read a run of the same file.
Finding the blobs reads about 20 bytes per blob, a few milliseconds for a 40 MB file.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, pairwise
from pathlib import Path
from typing import BinaryIO

HEADER_TYPE = b"OSMHeader"
DATA_TYPE = b"OSMData"
# The format's own limits (osmium refuses larger): 64 kB for a blob header, 32 MB a blob.
MAX_HEADER_BYTES = 64 * 1024
MAX_BLOB_BYTES = 32 * 1024 * 1024


class NotBlocks(ValueError):
    """The file is not a sequence of .pbf blobs (the reader will say what it is)."""


@dataclass(frozen=True)
class Span:
    """Bytes of the file: a blob with its header, from offset."""

    offset: int
    length: int


@dataclass(frozen=True)
class PbfBlocks:
    header: Span  # the OSMHeader blob, which every run must start with
    data: tuple[Span, ...]  # the OSMData blobs, in file order


def _varint(buffer: bytes, position: int) -> tuple[int, int]:
    """The protobuf varint at position, and the position after it."""
    value = shift = 0
    while True:
        if position >= len(buffer) or shift > 63:
            raise NotBlocks("a blob header ends inside a number")
        byte = buffer[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
        shift += 7


def blob_header(message: bytes) -> tuple[bytes, int]:
    """A BlobHeader message's type and blob size; NotBlocks if it is not one."""
    kind, size, position = None, None, 0
    while position < len(message):
        key, position = _varint(message, position)
        field, wire = key >> 3, key & 7
        if wire == 2:  # length-delimited: the type (1), index data (2)
            length, position = _varint(message, position)
            if position + length > len(message):
                raise NotBlocks("a blob header's field runs past its end")
            if field == 1:
                kind = message[position : position + length]
            position += length
        elif wire == 0:
            value, position = _varint(message, position)
            if field == 3:
                size = value
        else:
            raise NotBlocks(f"a blob header has a field of wire type {wire}")
    if kind is None or size is None or not 0 <= size <= MAX_BLOB_BYTES:
        raise NotBlocks("a blob header without a type or a plausible size")
    return kind, size


def pbf_blocks(path: str | Path) -> PbfBlocks:
    """Where the file's header blob and data blobs are; NotBlocks if it is no .pbf."""
    header: Span | None = None
    data: list[Span] = []
    with open(path, "rb") as file:
        total = os.fstat(file.fileno()).st_size
        offset = 0
        while offset < total:
            prefix = file.read(4)
            if len(prefix) < 4:
                raise NotBlocks("the file ends inside a blob's length")
            header_bytes = int.from_bytes(prefix, "big")
            if not 0 < header_bytes <= MAX_HEADER_BYTES:
                raise NotBlocks("a blob header of impossible length")
            kind, size = blob_header(file.read(header_bytes))
            span = Span(offset, 4 + header_bytes + size)
            if offset + span.length > total:
                raise NotBlocks("the file ends inside a blob")
            if kind == HEADER_TYPE and header is None and not data:
                header = span
            elif kind == DATA_TYPE and header is not None:
                data.append(span)
            else:
                raise NotBlocks(f"a {kind!r} blob where the format has none")
            offset += span.length
            file.seek(offset)
    if header is None:
        raise NotBlocks("no header blob")
    return PbfBlocks(header, tuple(data))


def runs(blocks: PbfBlocks, shares: Sequence[float]) -> list[tuple[Span, ...]]:
    """The data blobs as contiguous runs, one per share, of about those shares of the
    bytes (shares [1, 1]: two halves). Each cut goes at the blob boundary nearest its
    share; a run left without a blob is left out.
    """
    data = blocks.data
    ends = list(accumulate(span.length for span in data))  # bytes up to each blob's end
    total = ends[-1] if ends else 0
    whole = sum(shares)
    cuts = [0]
    for share_end in accumulate(shares[:-1]):
        share = total * share_end / whole
        cut = bisect_left(ends, share)  # the first blob whose end reaches the share
        if 0 < cut < len(ends) and share - ends[cut - 1] < ends[cut] - share:
            cut -= 1  # the boundary before that blob is nearer
        cut = max(cut + 1, cuts[-1] + 1)
        if cut >= len(data):
            break
        cuts.append(cut)
    cuts.append(len(data))
    return [data[start:end] for start, end in pairwise(cuts) if end > start]


def write_run(source: BinaryIO, header: Span, run: tuple[Span, ...], out_fd: int) -> None:
    """The header blob then the run's blobs, written to out_fd (a pipe), as a .pbf."""
    source_fd = source.fileno()
    for span in (header, *run):
        offset, left = span.offset, span.length
        while left:
            sent = os.sendfile(out_fd, source_fd, offset, left)
            if sent == 0:
                raise OSError("the file ended early")
            offset += sent
            left -= sent
