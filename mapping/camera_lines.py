"""COPY text of one camera an import read, its tags normalised.

The hottest code of a big import, shared by every way cameras are written: into the
staging table of mapping.sync, where they are compared with the stored ones, and straight
into an empty camera table (mapping.first_load, mapping.parallel_load); and by the .pbf
reader, which makes a camera node's fields as it reads it (mapping.camera_rows). Only
where a camera is differs between the tables (two numbers for the staging table, a
geometry for the camera table): the writer adds it as the last fields of the line, so
every other field has the same index in both.
"""

from __future__ import annotations

import struct
from binascii import hexlify as _hex

import numpy as np
import orjson

from mapping import copy_text
from mapping.osm.tags import NormalisedCamera, normalise_camera_tags

NORMALISED = (
    "surveillance",
    "surveillance_type",
    "zone",
    "camera_type",
    "mount",
    "directions",
    "tilt",
    "height",
    "operator",
    "operator_type",
    "capabilities",
    "vendor",
    "name",
    "ref",
    "fixme",
    "check_date",
)
# The columns of every line, before the place fields the caller adds.
COLUMNS = ("osm_type", "osm_id", "osm_version", *NORMALISED, "tags")

# The columns whose values come from tags as they are (the rest are numbers, arrays of
# numbers or plain words, dates, fixed choices, or \N for NULL, which must stay as is).
_FREE_TEXT_COLUMNS = frozenset(
    COLUMNS.index(name)
    for name in ("zone", "mount", "operator", "operator_type", "vendor", "name", "ref", "fixme")
) | {COLUMNS.index("tags")}

# Hex EWKB of a point, what PostGIS reads fastest: little endian, Point with an SRID, 4326.
POINT_EWKB_PREFIX = "0101000020E6100000"
_pack_point = struct.Struct("<dd").pack
_dumps = orjson.dumps


_POINT_EWKB_PREFIX = POINT_EWKB_PREFIX.encode()


def point_ewkb(lon: float, lat: float) -> bytes:
    """The SRID 4326 point as hex EWKB, exactly (no decimal rounding on the way), as the
    COPY field of a line (ASCII)."""
    return _POINT_EWKB_PREFIX + _hex(_pack_point(lon, lat))


# What ewkb_places writes per point: a tab, the hex EWKB, the line's end.
PLACE_BYTES = 1 + len(POINT_EWKB_PREFIX) + 32 + 1
_PLACE_START = np.frombuffer(b"\t" + _POINT_EWKB_PREFIX, dtype=np.uint8)
_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def ewkb_places(lons: np.ndarray, lats: np.ndarray) -> bytes:
    """The last field of each point's line, end to end, PLACE_BYTES each: a tab, then
    point_ewkb(lon, lat), then a newline.

    The same bytes as point_ewkb, made by numpy for a whole chunk of lines: per camera,
    packing and hexlifying two floats was a third of the Python time of writing a made
    line.
    """
    count = len(lons)
    points = np.empty((count, 2), dtype="<f8")
    points[:, 0], points[:, 1] = lons, lats
    raw = points.view(np.uint8).reshape(count, 16)
    places = np.empty((count, PLACE_BYTES), dtype=np.uint8)
    start = len(_PLACE_START)
    places[:, :start] = _PLACE_START
    places[:, start:-1:2] = _HEX_DIGITS[raw >> 4]
    places[:, start + 1 : -1 : 2] = _HEX_DIGITS[raw & 15]
    places[:, -1] = ord("\n")
    return places.tobytes()


def lon_lat(lon: float, lat: float) -> bytes:
    """A camera's place as two COPY fields (the staging table's lon and lat), ASCII."""
    return f"{lon!r}\t{lat!r}".encode()


def _fields(
    osm_type: str, osm_id: int, version: int | None, f: NormalisedCamera, tags_json: str
) -> tuple[str, ...]:
    """The COPY fields of one camera, in COLUMNS order, not yet escaped."""
    tilt, height, check_date = f.tilt, f.height, f.check_date
    null = copy_text.NULL
    return (
        osm_type,
        str(osm_id),
        null if version is None else repr(version),
        f.surveillance,
        f.surveillance_type,
        f.zone,
        f.camera_type,
        f.mount,
        "{" + ",".join(map(repr, f.directions)) + "}" if f.directions else "{}",
        null if tilt is None else repr(tilt),
        null if height is None else repr(height),
        f.operator,
        f.operator_type,
        "{" + ",".join(f.capabilities) + "}" if f.capabilities else "{}",
        f.vendor,
        f.name,
        f.ref,
        f.fixme,
        null if check_date is None else check_date.isoformat(),
        tags_json,
    )


def camera_fields(
    osm_type: str, osm_id: int, version: int | None, tags: dict[str, str]
) -> tuple[str, tuple[str, ...]]:
    """The COLUMNS of one camera as COPY text (tab-separated, no place, no newline), and
    the keys whose values could not be read (camera_row, for callers that need no more).
    """
    text, f = camera_row(osm_type, osm_id, version, tags)
    return text, f.unparsed


def camera_row(
    osm_type: str, osm_id: int, version: int | None, tags: dict[str, str]
) -> tuple[str, NormalisedCamera]:
    """The COLUMNS of one camera as COPY text (tab-separated, no place, no newline), and
    the fields read from its tags.

    Every text field is a tag value, trimmed or lowercased, and the tags' JSON escapes
    each character COPY gives a meaning (tab, newline, carriage return, backslash) with a
    backslash: a JSON without one means that no field needs escaping, and the fields are
    joined as they are. The tags go through orjson, several times faster than
    json.dumps; jsonb stores the same object whichever way its text was spelt.
    """
    f = normalise_camera_tags(tags)
    tags_json = _dumps(tags).decode()
    fields = _fields(osm_type, osm_id, version, f, tags_json)
    if "\\" in tags_json:
        text, escaped = copy_text.text, _FREE_TEXT_COLUMNS
        fields = tuple(
            text(value) if index in escaped else value for index, value in enumerate(fields)
        )
    return "\t".join(fields), f
