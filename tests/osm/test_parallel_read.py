"""A .pbf's camera nodes read by several processes (mapping.osm.parallel_read) give what one
process reads: the same rows in the same order, the same ways, the same refusals."""

from __future__ import annotations

import multiprocessing
import os
from itertools import pairwise
from pathlib import Path

import osmium
import pytest
from django.db import transaction
from django.test import override_settings

from mapping.importer import import_file, read_processes
from mapping.models import Camera
from mapping.osm.parallel_read import NodesInParallel, ReaderFailed
from mapping.osm.pbf import OsmFileError, _camera_node_rows, read_osm_file
from mapping.osm.pbf_blocks import (
    DATA_TYPE,
    HEADER_TYPE,
    NotBlocks,
    PbfBlocks,
    Span,
    blob_header,
    pbf_blocks,
    runs,
)
from tests.osm.builder import OsmBuilder, at
from tests.osm.test_first_import import _camera_rows

# pyosmium writes at most 8,000 objects a block: these make five blocks of nodes.
CAMERAS = 36_000


def _many_cameras(builder: OsmBuilder, count: int = CAMERAS) -> OsmBuilder:
    operators = ["Ville", "Besançon Métropole", "SNCF", "tab\there"]
    for k in range(count):
        builder.camera(
            10**8 + k,
            at((k % 200) / 10, (k // 200) / 10),
            tags={"operator": operators[k % 4], "height": "tall" if k % 997 == 0 else "4"},
        )
    return builder


def _rows(extract) -> tuple:
    nodes = extract.camera_nodes
    return (
        [nodes.fields(row) for row in range(len(nodes))],
        bytes(nodes.text),
        nodes.ends.tolist(),
        nodes.ids.tolist(),
        nodes.lons.tolist(),
        nodes.lats.tolist(),
        nodes.unparsed,
    )


def _no_reader_left() -> bool:
    return not multiprocessing.active_children()


# --- the file's blocks ----------------------------------------------------------------


def test_the_blocks_found_tile_the_file_header_first(tmp_path):
    path = _many_cameras(OsmBuilder()).write(tmp_path / "many.osm.pbf")

    blocks = pbf_blocks(path)

    spans = [blocks.header, *blocks.data]
    assert blocks.header.offset == 0 and len(blocks.data) >= 5
    assert all(a.offset + a.length == b.offset for a, b in pairwise(spans))
    assert spans[-1].offset + spans[-1].length == path.stat().st_size
    raw = path.read_bytes()
    for span, kind in [(blocks.header, HEADER_TYPE), (blocks.data[-1], DATA_TYPE)]:
        length = int.from_bytes(raw[span.offset : span.offset + 4], "big")
        assert blob_header(raw[span.offset + 4 : span.offset + 4 + length])[0] == kind


@pytest.mark.parametrize("name", ["town.osm", "town.osm.bz2", "cut.osm.pbf", "empty.osm.pbf"])
def test_a_file_that_is_no_sequence_of_pbf_blocks_is_said_so(town, tmp_path, name):
    if name == "cut.osm.pbf":
        whole = town.write(tmp_path / "whole.osm.pbf").read_bytes()
        path = tmp_path / name
        path.write_bytes(whole[: len(whole) - 10])
    elif name == "empty.osm.pbf":
        path = tmp_path / name
        path.write_bytes(b"")
    else:
        path = town.write(tmp_path / name)

    with pytest.raises(NotBlocks):
        pbf_blocks(path)


def _spans(*lengths: int) -> PbfBlocks:
    data, offset = [], 10
    for length in lengths:
        data.append(Span(offset, length))
        offset += length
    return PbfBlocks(Span(0, 10), tuple(data))


def test_runs_are_contiguous_shares_of_the_bytes_cut_at_the_nearest_block():
    blocks = _spans(*[100] * 10)

    assert [len(run) for run in runs(blocks, [1, 1])] == [5, 5]
    assert [len(run) for run in runs(blocks, [0.9, 1])] == [5, 5]  # 47 % of 1,000: 500 nearer
    # Cuts wanted after 238 and 714 bytes: the boundaries at 200 and 700 are nearer.
    assert [len(run) for run in runs(blocks, [1, 2, 1.2])] == [2, 5, 3]
    assert sum(runs(blocks, [1, 1, 1]), ()) == blocks.data


def test_runs_are_never_empty_however_few_the_blocks():
    assert runs(_spans(10, 10_000), [1, 1, 1]) == [(Span(10, 10),), (Span(20, 10_000),)]
    assert runs(_spans(500), [1, 1]) == [(Span(10, 500),)]
    assert runs(_spans(), [1, 1]) == []


# --- the read -------------------------------------------------------------------------


@pytest.mark.parametrize("processes", [2, 3])
@pytest.mark.parametrize("cameras_only", [False, True])
def test_several_processes_read_the_rows_ways_and_extent_one_process_reads(
    town, tmp_path, processes, cameras_only
):
    _many_cameras(town)
    town.way(70, town.square(700, at(5, -5), 0.0001), {"man_made": "surveillance"})
    path = town.write(tmp_path / "many.osm.pbf")

    one = read_osm_file(path, cameras_only=cameras_only, node_rows=True)
    several = read_osm_file(path, cameras_only=cameras_only, node_rows=True, processes=processes)

    assert len(several.camera_nodes) == len(one.camera_nodes) > CAMERAS
    assert _rows(several) == _rows(one)
    # Heights that are no number: 37 of the many cameras ("tall"), one of the town's.
    assert len(several.camera_nodes.unparsed) == CAMERAS // 997 + 1 + 1
    assert several.cameras == one.cameras and [c.osm_id for c in one.cameras] == [70]
    assert several.ways == one.ways and several.buildings == one.buildings
    assert bool(one.ways) is not cameras_only
    assert len(several.buildings) == (0 if cameras_only else 2)  # a way's and a relation's
    assert several.extent == one.extent
    assert _no_reader_left()


def test_a_camera_node_out_of_range_in_another_process_s_run_is_named(tmp_path):
    # The highest id, so in the last block: read by another process than the importer.
    builder = _many_cameras(OsmBuilder()).camera(10**9, (10.0, 95.0))
    path = builder.write(tmp_path / "many.osm.pbf")

    with pytest.raises(OsmFileError) as one:
        read_osm_file(path, node_rows=True)
    with pytest.raises(OsmFileError) as several:
        read_osm_file(path, node_rows=True, processes=2)

    assert f"node {10**9} " in str(several.value)
    assert str(several.value) == str(one.value)
    assert _no_reader_left()


def test_an_unreadable_block_in_another_process_s_run_fails_the_read(tmp_path):
    path = _many_cameras(OsmBuilder()).write(tmp_path / "many.osm.pbf")
    blocks = pbf_blocks(path)
    last = blocks.data[-1]
    raw = bytearray(path.read_bytes())
    middle = last.offset + last.length - last.length // 3
    raw[middle : middle + 16] = b"\xff" * 16  # inside the compressed data of the last block
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(bytes(raw))

    with pytest.raises(OsmFileError, match="not readable as OpenStreetMap data"):
        read_osm_file(broken, node_rows=True, processes=2)
    assert _no_reader_left()


def test_a_camera_node_with_a_negative_id_read_by_another_process_is_refused(tmp_path):
    builder = _many_cameras(OsmBuilder())
    path = builder.write(tmp_path / "many.osm.pbf")
    # Negative ids sort first: rewritten with the negative node last, in the last run.
    with osmium.SimpleWriter(str(tmp_path / "edited.osm.pbf")) as writer:
        for node in osmium.FileProcessor(str(path)):
            writer.add_node(node)
        writer.add_node(
            osmium.osm.mutable.Node(
                id=-5, location=at(1, 1), tags={"man_made": "surveillance"}, version=1
            )
        )

    with pytest.raises(OsmFileError, match="node -5 has a negative id"):
        read_osm_file(tmp_path / "edited.osm.pbf", node_rows=True, processes=2)
    assert _no_reader_left()


def test_an_xml_file_is_read_by_one_process_as_before(town, tmp_path):
    path = _many_cameras(town).write(tmp_path / "many.osm")

    several = read_osm_file(path, node_rows=True, processes=2)

    assert _rows(several) == _rows(read_osm_file(path, node_rows=True))


# --- the import -----------------------------------------------------------------------


def test_only_a_big_file_is_read_by_several_processes(tmp_path):
    path = tmp_path / "some.osm.pbf"
    path.write_bytes(b"x" * 1000)

    with override_settings(IMPORT_PARALLEL_READ_MIN_BYTES=1000, IMPORT_PARALLEL_SESSIONS=3):
        assert read_processes(path) == 3
    with override_settings(IMPORT_PARALLEL_READ_MIN_BYTES=1001, IMPORT_PARALLEL_SESSIONS=3):
        assert read_processes(path) == 1
    assert read_processes(tmp_path / "missing.osm.pbf") == 1


@pytest.mark.django_db
def test_an_import_read_by_several_processes_stores_what_one_process_s_read_stores(town, tmp_path):
    _many_cameras(town, 20_000)
    path: Path = town.write(tmp_path / "many.osm.pbf")
    stored = []
    for min_bytes in (10**12, 0):
        with override_settings(IMPORT_PARALLEL_READ_MIN_BYTES=min_bytes), transaction.atomic():
            Camera.objects.all().delete()
            import_file(path, defer_derived=True)
            stored.append(_camera_rows())
            transaction.set_rollback(True)

    assert len(stored[0]) > 20_000 and stored[1] == stored[0]


def _read_in_daemon(path: str, sender) -> None:
    try:
        extract = read_osm_file(path, node_rows=True, processes=2)
        sender.send(len(extract.camera_nodes))
    except BaseException as error:
        sender.send(repr(error))


def test_a_daemonic_process_which_may_not_fork_readers_reads_the_file_alone(tmp_path):
    """A task queue's worker may run imports in a daemonic process (no children allowed)."""
    path = _many_cameras(OsmBuilder()).write(tmp_path / "many.osm.pbf")
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_read_in_daemon, args=(str(path), sender), daemon=True)
    process.start()
    outcome = receiver.recv()
    process.join()

    assert outcome == CAMERAS


def test_a_reading_process_that_dies_fails_the_read_saying_so_and_none_is_left(tmp_path):
    path = _many_cameras(OsmBuilder()).write(tmp_path / "many.osm.pbf")
    importer = os.getpid()

    def read_run(run_path: str):
        if os.getpid() != importer:
            os._exit(3)  # as a process killed for memory would end, without a word
        return _camera_node_rows(run_path)

    nodes = NodesInParallel.start(path, 2, read_run)

    with pytest.raises(ReaderFailed, match=r"a process reading the file ended \(3\)"):
        nodes.rows()
    assert _no_reader_left()
