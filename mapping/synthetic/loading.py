"""Load synthetic rows into the real tables with COPY, and remove them again.

COPY in text format with geometries as hex EWKB (what PostGIS parses fastest) is
an order of magnitude faster than INSERTs: 2.5 million cameras take a minute or two
on two cores, most of it spent by PostgreSQL maintaining the indexes. Every row is
marked by its id range (mapping.synthetic.ids), so clear_synthetic finds exactly
what a run added and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import chain, repeat

import numpy as np
from django.db import connection, transaction
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from mapping import bulk_load
from mapping.camera_lines import POINT_EWKB_PREFIX
from mapping.models import Camera, StreetSegment
from mapping.synthetic.cameras import CameraBatch
from mapping.synthetic.graph import WalkGraph
from mapping.synthetic.ids import CAMERA_ID_BASE, JUNCTION_ID_BASE, WAY_ID_BASE

NULL = r"\N"
LINE_EWKB_PREFIX = "0102000020E6100000" + "02000000"  # LineString with SRID, 4326, 2 points
SEGMENT_CHUNK = 100_000


def copy_escape(text: str) -> str:
    """Escape a value for COPY's text format (backslash, tab, newline, carriage return)."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def hex_points(lon: np.ndarray, lat: np.ndarray) -> list[str]:
    """Hex EWKB of SRID-4326 points, built for the whole array at once."""
    coords = np.column_stack([lon, lat]).astype("<f8").tobytes().hex().upper()
    return [POINT_EWKB_PREFIX + coords[k : k + 32] for k in range(0, len(coords), 32)]


def hex_lines(lon1, lat1, lon2, lat2) -> list[str]:
    """Hex EWKB of two-point SRID-4326 line strings."""
    coords = np.column_stack([lon1, lat1, lon2, lat2]).astype("<f8").tobytes().hex().upper()
    return [LINE_EWKB_PREFIX + coords[k : k + 64] for k in range(0, len(coords), 64)]


def _number_or_null(values: np.ndarray) -> list[str]:
    return [NULL if v != v else repr(v) for v in values.tolist()]


def _array(items: Iterable[tuple]) -> list[str]:
    return ["{" + ",".join(map(str, item)) + "}" for item in items]


def _text(values: Iterable[str]) -> list[str]:
    return [copy_escape(v) for v in values]


def _json(batch: CameraBatch) -> list[str]:
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    return [copy_escape(dumps(batch.tags(k))) for k in range(len(batch))]


def camera_columns(batch: CameraBatch, now: str) -> dict[str, Iterable[str]]:
    """COPY text per Camera field name (lists, or repeat() for constants)."""
    return {
        "source": repeat("osm"),
        "osm_type": repeat("node"),
        "osm_id": map(str, batch.osm_id.tolist()),
        "osm_version": repeat("1"),
        "location": hex_points(batch.lon, batch.lat),
        "surveillance": batch.surveillance,
        "surveillance_type": batch.surveillance_type,
        "zone": batch.zone,
        "camera_type": batch.camera_type,
        "mount": batch.mount,
        "directions": _array(batch.directions),
        "tilt": _number_or_null(batch.tilt),
        "height": _number_or_null(batch.height),
        "operator": _text(batch.operator),
        "operator_type": batch.operator_type,
        "capabilities": _array(batch.capabilities),
        "vendor": _text(batch.vendor),
        "name": repeat(""),
        "ref": batch.ref,
        "fixme": repeat(""),
        "check_date": [d or NULL for d in batch.check_date],
        "status": repeat("active"),
        "confirmations": repeat("0"),
        "first_seen": repeat(now),
        "last_seen": repeat(now),
        "updated_at": repeat(now),
        "tags": _json(batch),
    }


def segment_columns(graph: WalkGraph, start: int, end: int) -> dict[str, Iterable[str]]:
    """COPY text per StreetSegment field name for segments start..end."""
    src, dst = graph.source_index[start:end], graph.target_index[start:end]
    lon, lat = graph.node_lon, graph.node_lat
    return {
        "way_id": map(str, graph.way_ids[start:end].tolist()),
        "source": map(str, graph.source_ids[start:end].tolist()),
        "target": map(str, graph.target_ids[start:end].tolist()),
        "geom": hex_lines(lon[src], lat[src], lon[dst], lat[dst]),
        "length_m": map(repr, graph.length_m[start:end].tolist()),
        "highway": graph.highway[start:end],
        "name": _text(graph.name[start:end]),
        "exposed_m": repeat("0"),
        "weighted_exposure": repeat("0"),
        "camera_ids": repeat("{}"),
    }


def _columns_for(model, provided: dict[str, Iterable[str]]) -> dict[str, Iterable[str]]:
    """Map field names to database columns; refuse if the model grew a required field.

    Fields we do not fill must be nullable (COPY leaves them NULL); otherwise the
    generator has to learn about them, which this error says at once.
    """
    columns = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.generated:  # PostgreSQL writes generated columns
            continue
        if field.name in provided:
            columns[field.column] = provided[field.name]
        elif not field.null:
            raise RuntimeError(
                f"{model.__name__}.{field.name} is NOT NULL and unknown to mapping.synthetic"
            )
    return columns


def _copy(cursor, model, chunks: Iterator[dict[str, Iterable[str]]]) -> int:
    """Stream every chunk through one COPY; the first chunk names the columns."""
    first = next(chunks, None)
    if first is None:
        return 0
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table),
        sql.SQL(", ").join(map(sql.Identifier, _columns_for(model, first))),
    )
    rows = 0
    # The queued writer sends data from a thread, so Python renders the next chunk while
    # PostgreSQL parses the previous one (two cores: both stay busy).
    with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        for provided in chain([first], chunks):
            columns = _columns_for(model, provided).values()
            lines = ["\t".join(row) for row in zip(*columns, strict=False)]
            copy.write("\n".join(lines) + "\n")
            rows += len(lines)
    return rows


def load_synthetic(
    graph: WalkGraph | None,
    batches: Iterable[CameraBatch],
    progress: Callable[[str, int], None] | None = None,
    rebuild_indexes: bool = False,
) -> dict[str, int]:
    """COPY the graph's segments and the cameras in one transaction, then ANALYZE.

    rebuild_indexes drops and rebuilds the secondary indexes around the COPY: much
    faster for a bulk load, but it locks the tables until the transaction ends.
    """
    now = datetime.now(UTC).isoformat()
    counts = {"segments": 0, "cameras": 0}

    def camera_chunks():
        for batch in batches:
            yield camera_columns(batch, now)
            counts["cameras"] += len(batch)
            if progress:
                progress("cameras", counts["cameras"])

    def segment_chunks():
        for start in range(0, len(graph), SEGMENT_CHUNK):
            yield segment_columns(graph, start, min(len(graph), start + SEGMENT_CHUNK))
            if progress:
                progress("segments", min(len(graph), start + SEGMENT_CHUNK))

    with transaction.atomic():
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            if graph is not None and len(graph):
                with _indexes_rebuilt_after(cursor, StreetSegment, rebuild_indexes):
                    counts["segments"] = _copy(cursor, StreetSegment, segment_chunks())
            with _indexes_rebuilt_after(cursor, Camera, rebuild_indexes):
                _copy(cursor, Camera, camera_chunks())
    analyze()
    return counts


@contextmanager
def _indexes_rebuilt_after(cursor, model, rebuild: bool):
    """With rebuild, the table's secondary indexes are dropped before the block and built
    once after it (mapping/bulk_load.py: several times cheaper than updating a dozen
    indexes row by row during COPY); without, nothing happens."""
    if not rebuild:
        yield
        return
    with bulk_load.indexes_built_after(cursor, model._meta.db_table):
        yield


def analyze() -> None:
    """Fresh planner statistics (without them the first queries plan for empty tables) and,
    outside a transaction, a visibility map that lets box counts skip the table."""
    for model in (Camera, StreetSegment):
        bulk_load.vacuum_analyze(model._meta.db_table)


# Named queries over the synthetic id ranges (cameras are OSM nodes, segments their ways).
SYNTHETIC_CAMERAS_WHERE = "source = 'osm' AND osm_type = 'node' AND osm_id >= %(camera_base)s"
SYNTHETIC_SEGMENTS_WHERE = "way_id >= %(way_base)s AND source >= %(junction_base)s"
ID_PARAMS = {
    "camera_base": CAMERA_ID_BASE,
    "way_base": WAY_ID_BASE,
    "junction_base": JUNCTION_ID_BASE,
}


def count_synthetic() -> dict[str, int]:
    """How many synthetic cameras and segments the database holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {Camera._meta.db_table} WHERE {SYNTHETIC_CAMERAS_WHERE}",
            ID_PARAMS,
        )
        cameras = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT count(*) FROM {StreetSegment._meta.db_table} WHERE {SYNTHETIC_SEGMENTS_WHERE}",
            ID_PARAMS,
        )
        return {"cameras": cameras, "segments": cursor.fetchone()[0]}


def clear_synthetic() -> dict[str, int]:
    """Delete every synthetic camera and segment (and nothing else); returns the counts."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {Camera._meta.db_table} WHERE {SYNTHETIC_CAMERAS_WHERE}", ID_PARAMS
        )
        cameras = cursor.rowcount
        cursor.execute(
            f"DELETE FROM {StreetSegment._meta.db_table} WHERE {SYNTHETIC_SEGMENTS_WHERE}",
            ID_PARAMS,
        )
        return {"cameras": cameras, "segments": cursor.rowcount}
