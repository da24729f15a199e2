"""Run an OpenStreetMap import, all or nothing, and record it as an ImportRun.

Reading (network or file) happens before the transaction opens, so a slow Overpass
server never holds locks; writing, and recomputing the derived data, is one
transaction. Whatever goes wrong, Ctrl-C included, the transaction rolls back and the
ImportRun row, written outside it, says what happened.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from mapping import parallel_load
from mapping.analysis import refresh_derived_data
from mapping.bbox import BBox, split_into_tiles
from mapping.import_scope import cameras_to_refresh
from mapping.models import ImportKind, ImportRun, ImportStatus
from mapping.osm.extract import OsmExtract
from mapping.osm.overpass import OverpassSettings, fetch_area, read_overpass_json
from mapping.osm.pbf import OsmFileError, camera_extent, read_osm_file
from mapping.osm.poly import PolygonArea
from mapping.sync import SyncCounts, write_extract

JSON_SUFFIXES = (".json", ".geojson")
DERIVED_PHASE = "fields of view and exposure"
# The import transaction's own settings. synchronous_commit off: its COMMIT does not wait
# for the WAL to reach the disk. A crash in the next fraction of a second may lose the
# whole import (never part of it: the database is then as before it), and the ImportRun
# row saved right after, with a normal commit, flushes the import's WAL with its own.
# work_mem: the density triggers aggregate a big import's cameras in memory, not on disk.
IMPORT_SETTINGS = "SET LOCAL synchronous_commit = off; SET LOCAL work_mem = '64MB'"


class Progress:
    """Silent progress; the command hands in one that draws a bar on a terminal."""

    def begin(self, total: int) -> None:
        """Announce how many steps the import will take."""

    def step(self, label: str) -> None:
        """One step done; label says which."""

    def end(self) -> None:
        """The import is over, successful or not."""


@dataclass
class ImportSummary:
    run_id: int
    origin: str
    area: BBox | None
    counts: SyncCounts
    duration_s: float
    timings: dict[str, float]
    derived_deferred: bool = False
    cameras_only: bool = False

    @property
    def no_change(self) -> bool:
        return not self.counts.changed

    def lines(self) -> list[str]:
        """The summary printed at the end of a run, one fact a line."""
        c = self.counts
        unparsed = ", ".join(f"{key}: {n}" for key, n in c.unparsed.items()) or "none"
        lines = [
            f"Imported {self.origin} in {self.duration_s:.2f} s (import run #{self.run_id}).",
            self._area_line(),
            f"Cameras: {c.cameras_new} new, {c.cameras_updated} updated, "
            f"{c.cameras_removed} removed, {c.cameras_unchanged} unchanged.",
            *self._street_and_building_lines(),
            f"Values that could not be parsed: {unparsed}.",
            "Time: "
            + ", ".join(f"{phase} {seconds:.2f} s" for phase, seconds in self.timings.items())
            + ".",
        ]
        if self.no_change:
            lines.append("No change: the database already held exactly this data.")
        elif self.derived_deferred:
            lines.append(
                "Fields of view and street exposure were NOT computed (--defer-derived): "
                "new cameras show without a cone and routes ignore them until "
                "`python manage.py refresh_derived` runs."
            )
        return lines

    def _area_line(self) -> str:
        """Where absence counted: an operator importing a regional file cut along a border
        sees that its header's rectangle, neighbours included, was taken as covered."""
        if self.area is None:
            return "Area covered: unknown, so nothing was marked removed or deleted."
        lacking = (
            "cameras it lacks there were marked removed"
            if self.cameras_only
            else "cameras it lacks there were marked removed, streets and buildings deleted"
        )
        if isinstance(self.area, PolygonArea):
            return f"Area covered: {self.area}; {lacking} only inside the polygon."
        return f"Area covered: {self.area} (MINLON,MINLAT,MAXLON,MAXLAT); {lacking}."

    def _street_and_building_lines(self) -> list[str]:
        c = self.counts
        if self.cameras_only:
            return [
                "Walk graph and buildings: not read (--cameras-only); "
                "the stored ones were left as they were."
            ]
        return [
            f"Walk graph: {c.segments} segments, {c.walkable_km:.1f} km "
            f"({c.segments_added} added, {c.segments_removed} removed).",
            f"Buildings: {c.buildings} ({c.buildings_added} added, {c.buildings_updated} "
            f"updated, {c.buildings_removed} removed).",
        ]


def _describe_failure(error: BaseException) -> str:
    if isinstance(error, KeyboardInterrupt):
        return "interrupted (Ctrl-C); nothing was changed"
    return f"{type(error).__name__}: {error}"


def _run(
    kind: str,
    origin: str,
    read: Callable[[], OsmExtract],
    area_of: Callable[[OsmExtract], BBox | None],
    progress: Progress,
    steps: int,
    run_fields: dict,
    defer_derived: bool = False,
    cameras_only: bool = False,
) -> ImportSummary:
    started = time.perf_counter()
    run = ImportRun.objects.create(kind=kind, **run_fields)
    progress.begin(steps + 2)
    timings: dict[str, float] = {}
    derived_cameras: int | str | None = None  # whose derived data were recomputed
    try:
        extract = read()
        area = area_of(extract)
        now = timezone.now()
        timings["read"] = time.perf_counter() - started
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(IMPORT_SETTINGS)
            counts = write_extract(extract, area, now, cameras_only)
            timings["write"] = time.perf_counter() - started - timings["read"]
            progress.step("database written")
            if not defer_derived:
                if counts.changed:
                    scope = cameras_to_refresh(area)
                    refresh_derived_data(scope)
                    derived_cameras = "all" if scope is None else len(scope)
                timings[DERIVED_PHASE] = (
                    time.perf_counter() - started - timings["read"] - timings["write"]
                )
            progress.step("fields of view and exposure")
    except BaseException as error:
        _record_failure(run, error, started)
        # A big first import's stage, if the rollback gave it back its name.
        with contextlib.suppress(Exception):
            parallel_load.drop_leftovers()
        raise
    finally:
        progress.end()
    duration = time.perf_counter() - started
    run.status = ImportStatus.SUCCEEDED
    run.finished_at = timezone.now()
    run.duration_s = duration
    run.counts = counts.as_dict(cameras_only) | {
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "derived_deferred": defer_derived and counts.changed,
        "cameras_only": cameras_only,
    }
    if derived_cameras is not None:
        # Whose fields of view were recomputed: "all", or how many near the area.
        run.counts["derived_cameras"] = derived_cameras
    if area is not None and run.bbox is None:
        run.bbox = area.polygon()
    run.save(update_fields=["status", "finished_at", "duration_s", "counts", "bbox"])
    return ImportSummary(
        run.pk,
        origin,
        area,
        counts,
        duration,
        timings,
        defer_derived and counts.changed,
        cameras_only,
    )


def _record_failure(run: ImportRun, error: BaseException, started: float) -> None:
    run.status = ImportStatus.FAILED
    run.error = _describe_failure(error)
    run.finished_at = timezone.now()
    run.duration_s = time.perf_counter() - started
    # If even this fails (database gone), the import's own error is the one to report.
    with contextlib.suppress(Exception):
        run.save(update_fields=["status", "error", "finished_at", "duration_s"])


def read_any_file(path: Path, cameras_only: bool = False) -> OsmExtract:
    """A .osm/.osm.pbf file through pyosmium, or a saved Overpass JSON answer.

    cameras_only: the extract holds no walkable way and no building.
    """
    if path.suffix.lower() in JSON_SUFFIXES:
        if not path.is_file():
            raise OsmFileError(f"{path}: no such file")
        extract = read_overpass_json(path.read_bytes(), label=str(path))
        extract.extent = camera_extent(extract.cameras)
        if cameras_only:
            extract.ways, extract.buildings = [], []
        return extract
    return read_osm_file(
        path, cameras_only=cameras_only, node_rows=True, processes=read_processes(path)
    )


def read_processes(path: Path) -> int:
    """How many processes read a file's camera nodes (mapping.osm.parallel_read)."""
    try:
        big = path.stat().st_size >= settings.IMPORT_PARALLEL_READ_MIN_BYTES
    except OSError:
        return 1  # the reader says what is wrong with the path
    return settings.IMPORT_PARALLEL_SESSIONS if big else 1


def import_file(
    path: str | Path,
    area: BBox | None = None,
    progress: Progress | None = None,
    defer_derived: bool = False,
    cameras_only: bool = False,
) -> ImportSummary:
    """Import a file. area overrides the covered area (default: the file's extent).

    Cameras in the covered area that the file lacks are marked removed, so pass area when
    a file covers less (or more) than its header or its cameras' box says: a BBox, or the
    PolygonArea of the .poly file a regional extract was cut with (mapping.osm.poly).

    defer_derived leaves fields of view and street exposure as they are (mapping.analysis
    .refresh_derived_data, the refresh_derived command, brings them up to date later): a
    country-sized first import then takes seconds instead of minutes, and the summary
    says what is still to do.

    cameras_only reads and writes the cameras alone, leaving the stored walk graph and
    buildings as they are: the way to import a country's cameras, whose streets and
    buildings would not fit in memory (walk graphs are imported region by region).
    """
    path = Path(path)
    progress = progress or Progress()

    def read() -> OsmExtract:
        extract = read_any_file(path, cameras_only)
        progress.step("file read")
        return extract

    return _run(
        ImportKind.FILE,
        str(path),
        read,
        lambda extract: area or extract.extent,
        progress,
        1,
        {"file": str(path), "bbox": area.polygon() if area else None},
        defer_derived,
        cameras_only,
    )


def import_bbox(
    box: BBox,
    overpass_url: str | None = None,
    tile_degrees: float | None = None,
    progress: Progress | None = None,
    cameras_only: bool = False,
) -> ImportSummary:
    """Import an area from the Overpass API (settings.OVERPASS_URL unless given).

    cameras_only asks for and writes the cameras alone (see import_file).
    """
    config = OverpassSettings.from_django(overpass_url, tile_degrees)
    progress = progress or Progress()
    tiles = len(split_into_tiles(box, config.tile_degrees))

    def read() -> OsmExtract:
        return fetch_area(
            box,
            config,
            lambda n, total, tile: progress.step(f"tile {n}/{total}"),
            cameras_only,
        )

    return _run(
        ImportKind.OVERPASS,
        f"Overpass {config.url} bbox {box}",
        read,
        lambda extract: box,
        progress,
        tiles,
        {"bbox": box.polygon()},
        cameras_only=cameras_only,
    )


class TerminalProgress(Progress):
    """A tqdm bar on stderr, for a person watching a terminal."""

    def __init__(self, description: str, stream=None) -> None:
        self.description = description
        self.stream = stream  # None: stderr
        self.bar = None
        self.done = 0

    def begin(self, total: int) -> None:
        from tqdm import tqdm

        self.bar = tqdm(
            total=total, desc=self.description, unit="step", leave=False, file=self.stream
        )

    def step(self, label: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(label)
            self.bar.update(1)
            self.done += 1

    def end(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
