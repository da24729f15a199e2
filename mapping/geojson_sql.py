"""GeoJSON Feature text for cameras, written by PostgreSQL with string concatenation.

Why not json_build_object: it looks up the output function of every argument's
type on every row (two lookups per property, keys included), which made it seven
times slower than ST_AsGeoJSON alone on 750,000 cameras. Here each property is
written by the cheapest expression its column allows: choice columns (closed
sets of lowercase words, enforced by CHECK constraints) and numbers need no
escaping; free text goes through to_json (which escapes it) unless it is blank,
as most are.

Everything here is built from this module's constants: no request data reaches
the SQL. tests/api/test_features.py checks the text parses to exactly what
api.serializers produces for the same cameras, including awkward strings.
"""

from __future__ import annotations

from enum import Enum

# GeoJSON coordinates keep 6 decimals (about 0.1 m), as GeometryField(precision=6) does.
COORDINATE_DECIMALS = 6
# Timestamps in UTC to the second, the format of the serializers' UtcDateTimeField.
TIMESTAMP_FORMAT_PY = "%Y-%m-%dT%H:%M:%SZ"
_TIMESTAMP_FORMAT_SQL = '"\\""YYYY-MM-DD"T"HH24:MI:SS"Z\\""'
TABLE = '"mapping_camera"'


class Kind(Enum):
    """How a column is written as a JSON value."""

    CHOICE = "choice"  # a CHECK-constrained word: quoted as is
    TEXT = "text"  # free text, maybe NULL: escaped when needed
    NUMBER = "number"  # integer or float, maybe NULL
    NUMBERS = "numbers"  # float8[] (directions)
    CHOICES = "choices"  # varchar[] of CHECK-constrained words (capabilities)
    TIMESTAMP = "timestamp"  # timestamptz, maybe NULL, as UTC to the second
    GEOMETRY = "geometry"  # geometry, maybe NULL, as GeoJSON
    DATE = "date"  # date, maybe NULL, as YYYY-MM-DD
    JSON = "json"  # jsonb, written as it is


# Properties of a camera in the list, the map and the exports, in order.
LIST_PROPERTIES: tuple[tuple[str, Kind], ...] = (
    ("source", Kind.CHOICE),
    ("osm_type", Kind.TEXT),
    ("osm_id", Kind.NUMBER),
    ("status", Kind.CHOICE),
    ("surveillance", Kind.CHOICE),
    ("surveillance_type", Kind.CHOICE),
    ("zone", Kind.TEXT),
    ("camera_type", Kind.CHOICE),
    ("mount", Kind.TEXT),
    ("directions", Kind.NUMBERS),
    ("tilt", Kind.NUMBER),
    ("height", Kind.NUMBER),
    ("operator", Kind.TEXT),
    ("operator_type", Kind.TEXT),
    ("capabilities", Kind.CHOICES),
    ("vendor", Kind.TEXT),
    ("name", Kind.TEXT),
    ("ref", Kind.TEXT),
    ("confirmations", Kind.NUMBER),
    ("updated_at", Kind.TIMESTAMP),
)


# What the exports add: provenance and the raw tags. Licence and attribution are added by
# mapping.export, which owns them.
EXPORT_PROPERTIES: tuple[tuple[str, Kind], ...] = (
    ("osm_version", Kind.NUMBER),
    ("check_date", Kind.DATE),
    ("last_checked", Kind.TIMESTAMP),
    ("first_seen", Kind.TIMESTAMP),
    ("last_seen", Kind.TIMESTAMP),
    ("removed_at", Kind.TIMESTAMP),
    ("tags", Kind.JSON),
)


def column(name: str) -> str:
    return f'{TABLE}."{name}"'


def json_value_sql(expression: str, kind: Kind) -> str:
    """SQL writing ``expression`` (a constant fragment) as JSON text, never NULL."""
    if kind is Kind.CHOICE:
        return f"""('"' || {expression} || '"')"""
    if kind is Kind.TEXT:
        # Most free-text columns are blank; to_json escapes the others (cheaper than
        # testing them with a regular expression first, measured).
        return (
            f"""(CASE WHEN {expression} = '' THEN '""' """
            f"ELSE coalesce(to_json({expression})::text, 'null') END)"
        )
    if kind is Kind.NUMBER:
        return f"coalesce({expression}::text, 'null')"
    if kind is Kind.NUMBERS:
        return f"('[' || array_to_string({expression}, ',') || ']')"
    if kind is Kind.CHOICES:
        return (
            f"(CASE WHEN cardinality({expression}) = 0 THEN '[]' "
            f"""ELSE '["' || array_to_string({expression}, '","') || '"]' END)"""
        )
    if kind is Kind.TIMESTAMP:
        return (
            f"coalesce(to_char({expression} AT TIME ZONE 'UTC', '{_TIMESTAMP_FORMAT_SQL}'), 'null')"
        )
    if kind is Kind.DATE:
        return f"""coalesce(to_char({expression}, '"\\""YYYY-MM-DD"\\""'), 'null')"""
    if kind is Kind.JSON:
        return f"coalesce({expression}::text, 'null')"
    return f"coalesce(ST_AsGeoJSON({expression}, {COORDINATE_DECIMALS}), 'null')"


def _key(name: str) -> str:
    return f'"{name}":'


def object_sql(members: list[tuple[str, str]]) -> str:
    """SQL concatenating ``(key, JSON value SQL)`` pairs into one JSON object's text."""
    if not members:
        return "'{}'"
    parts = []
    for index, (key, value_sql) in enumerate(members):
        opening = "{" if index == 0 else ","
        parts.append(f"'{opening}{_key(key)}'")
        parts.append(value_sql)
    parts.append("'}'")
    return "(" + " || ".join(parts) + ")"


def property_members(properties: tuple[tuple[str, Kind], ...]) -> list[tuple[str, str]]:
    """``(key, JSON value SQL)`` pairs for camera columns."""
    return [(name, json_value_sql(column(name), kind)) for name, kind in properties]


LIST_PROPERTY_NAMES = tuple(name for name, _ in LIST_PROPERTIES)


def feature_sql(
    with_fov: bool = False,
    extra_properties: tuple[tuple[str, str], ...] = (),
    only: frozenset[str] | None = None,
) -> str:
    """SQL for one camera's GeoJSON Feature text.

    ``extra_properties`` are further ``(key, JSON value SQL)`` constant pairs (the
    exports add licence and attribution). ``only`` keeps those of LIST_PROPERTIES (in
    their usual order): the map draws a marker from four of them, and writing the others
    is most of what a page of features costs.
    """
    chosen = LIST_PROPERTIES if only is None else tuple(p for p in LIST_PROPERTIES if p[0] in only)
    properties = property_members(chosen)
    if with_fov:
        properties.append(("fov", json_value_sql(column("fov"), Kind.GEOMETRY)))
    properties.extend(extra_properties)
    return object_sql(
        [
            ("id", json_value_sql(column("id"), Kind.NUMBER)),
            ("type", "'\"Feature\"'"),
            ("geometry", json_value_sql(column("location"), Kind.GEOMETRY)),
            ("properties", object_sql(properties)),
        ]
    )
