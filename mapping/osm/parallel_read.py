"""The camera nodes of a big .pbf read by several processes, each from its own run of blocks.

Reading a camera node is Python's work (its tags, its COPY fields: mapping.camera_rows),
and Python works on one core: the 2.5 million synthetic cameras took 27-28 s to read on
one core of two, the other idle. The file's data blocks each decode on their own
(mapping.osm.pbf_blocks), so the file's data blocks are cut into contiguous runs: the
importing process reads the first, forked processes one each of the others. Each run is
read behind the file's header block, from a pipe that a process of its own fills
straight from the file (the reading process holds Python's lock while osmium reads, so
a thread of its own could not feed it). The forked processes send back the rows they
read; together, in run order, they are the rows one process reads, in the same order.
On the synthetic file: 17-20 s instead of 27-28 s.

Only camera nodes are read so. Ways and relations need the locations of nodes from any
block, so the importing process still reads the whole file for them, its camera nodes
dropped by osmium before Python sees them, while the other runs are read.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections.abc import Callable
from pathlib import Path

from mapping.camera_rows import CameraNodeRows
from mapping.osm.coordinates import CoordinateError
from mapping.osm.pbf_blocks import NotBlocks, Span, pbf_blocks, runs, write_run

# Reads the camera nodes of the .pbf at a path (a pipe's /dev/fd/N) into rows.
ReadRun = Callable[[str], CameraNodeRows]


class RunReadError(RuntimeError):
    """A process reading a run found the file unreadable, as osmium says (RuntimeError)."""


class ReaderFailed(Exception):
    """A process reading a run failed, or ended, for a reason that is not the file's."""


# The importing process's run, beside each other's. It also reads the whole file for
# its ways (1.4-1.6 s of the synthetic file); another process's rows then take a second
# to come over (pickled 0.3 s, sent 0.6 s). Best when the importing process ends its
# run just as the other has pickled its rows: with 0.9, it waited 1.9-2 s for
# them, one core idle; with 1.0, the other process waited 1.2 s for it (2026-12-04).
OWN_SHARE = 0.95


class NodesInParallel:
    """The processes reading the file's later runs, started at once; rows() reads the
    first run here and gathers the others'."""

    def __init__(self, path: Path, parts: int, read_run: ReadRun) -> None:
        blocks = pbf_blocks(path)
        self._path, self._header, self._read_run = str(path), blocks.header, read_run
        own, *others = runs(blocks, [OWN_SHARE] + [1.0] * (parts - 1)) or [()]
        self._own_run = own
        context = multiprocessing.get_context("fork")
        self._workers: list[tuple[multiprocessing.process.BaseProcess, object]] = []
        try:
            for run in others:
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(
                    target=_send_run,
                    args=(self._path, blocks.header, run, read_run, sender),
                    daemon=True,
                )
                process.start()
                sender.close()
                self._workers.append((process, receiver))
        except BaseException:
            self.stop()
            raise

    @classmethod
    def start(cls, path: Path, parts: int, read_run: ReadRun) -> NodesInParallel | None:
        """The processes reading path's runs, or None when it is no file of .pbf blocks
        or this process may not fork readers (a daemonic process may have no children):
        the importing process then reads its camera nodes as any file's."""
        if (
            "fork" not in multiprocessing.get_all_start_methods()
            or multiprocessing.current_process().daemon
        ):
            return None
        try:
            return cls(path, parts, read_run)
        except (NotBlocks, OSError):
            return None

    def rows(self) -> CameraNodeRows:
        """Every run's rows, in file order; raises what a run's reading raised."""
        try:
            rows = _read_run(self._path, self._header, self._own_run, self._read_run)
            for process, receiver in self._workers:
                try:
                    # From a process of ours, through a pipe of its own: no one else's data.
                    outcome = pickle.loads(receiver.recv_bytes())  # noqa: S301
                except EOFError:  # it ended without a word (killed, out of memory)
                    process.join()
                    outcome = ("error", f"a process reading the file ended ({process.exitcode})")
                process.join()
                kind, value = outcome
                if kind == "coordinate":
                    raise CoordinateError(value)
                if kind == "unreadable":
                    raise RunReadError(value)
                if kind == "error":
                    raise ReaderFailed(value)
                rows.extend(value)
        finally:
            self.stop()
        return rows

    def stop(self) -> None:
        """Stop every process still reading (the import failed, or has what it needs)."""
        for process, receiver in self._workers:
            if process.is_alive():
                process.terminate()
                process.join()
            receiver.close()
        self._workers = []


def _read_run(path: str, header: Span, run: tuple[Span, ...], read_run: ReadRun) -> CameraNodeRows:
    """The camera nodes of the file's header block and run, read through a pipe that a
    forked process fills."""
    pipe_out, pipe_in = os.pipe()
    feeder = os.fork()
    if feeder == 0:  # the feeder: the run's bytes into the pipe, then gone
        status = 0
        try:
            os.close(pipe_out)
            with open(path, "rb") as source:
                write_run(source, header, run, pipe_in)
        except BrokenPipeError:
            pass  # the reader stopped early: it says why
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(pipe_in)
    try:
        return read_run(f"/dev/fd/{pipe_out}")
    finally:
        os.close(pipe_out)
        os.waitpid(feeder, 0)


def _send_run(path: str, header: Span, run: tuple[Span, ...], read_run: ReadRun, sender) -> None:
    """In a forked process: the run's camera nodes, sent back through sender.

    Sends ("ok", rows), ("coordinate", message) for a camera node placed out of range,
    ("unreadable", osmium's message) or ("error", what else went wrong).
    """
    try:
        outcome = ("ok", _read_run(path, header, run, read_run))
    except CoordinateError as error:
        outcome = ("coordinate", str(error))
    except RuntimeError as error:
        outcome = ("unreadable", str(error))
    except BaseException as error:  # the importing process raises it
        outcome = ("error", f"{type(error).__name__}: {error}")
    try:
        # Pickle's newest protocol writes the rows' buffer as it is: the default one took
        # five times as long each way (1.7 s and 1.5 s for 1.25 million rows).
        sender.send_bytes(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        sender.close()
