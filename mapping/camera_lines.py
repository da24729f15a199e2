"""COPY text lines of the cameras an import read, their tags normalised.

The hottest loop of a big import, shared by both ways cameras are written: into the
staging table of mapping.sync, where they are compared with the stored ones, and straight
into an empty camera table (mapping.first_load). Only where a camera is differs between
them (two numbers for the staging table, a geometry for the camera table): the caller
says how, as the last fields of the line, so every other field has the same index in both.
"""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Callable, Iterable, Iterator

import orjson

from mapping import copy_text
from mapping.osm.extract import CameraElement
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


def point_ewkb(lon: float, lat: float) -> str:
    """The SRID 4326 point as hex EWKB, exactly (no decimal rounding on the way)."""
    return POINT_EWKB_PREFIX + _pack_point(lon, lat).hex()


def lon_lat(camera: CameraElement) -> str:
    """A camera's place as two fields (the staging table's lon and lat)."""
    return f"{camera.lon!r}\t{camera.lat!r}"


def first_of_each_identity(cameras: Iterable[CameraElement]) -> Iterator[CameraElement]:
    """The cameras in order, without any later repeat of an OSM identity already met."""
    seen: set[tuple[str, int]] = set()
    for camera in cameras:
        identity = (camera.osm_type, camera.osm_id)
        if identity not in seen:
            seen.add(identity)
            yield camera


def _fields(camera: CameraElement, f: NormalisedCamera, tags_json: str) -> tuple[str, ...]:
    """The COPY fields of one camera, in COLUMNS order, not yet escaped."""
    version, tilt, height, check_date = camera.version, f.tilt, f.height, f.check_date
    null = copy_text.NULL
    return (
        camera.osm_type,
        str(camera.osm_id),
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


def camera_lines(
    cameras: Iterable[CameraElement],
    unparsed: Counter[str],
    place: Callable[[CameraElement], str] = lon_lat,
) -> Iterator[str]:
    """One COPY line per camera: the COLUMNS, then place(camera), which ends the line.

    Counts into unparsed, key by key, the values that could not be read. Every text
    field is a tag value, trimmed or lowercased, and the tags' JSON escapes each
    character COPY gives a meaning (tab, newline, carriage return, backslash) with a
    backslash: a JSON without one means that no field needs escaping, and the line is
    joined as it is. The tags go through orjson, several times faster than json.dumps;
    jsonb stores the same object whichever way its text was spelt.
    """
    normalise, dumps, text = normalise_camera_tags, orjson.dumps, copy_text.text
    escaped = _FREE_TEXT_COLUMNS
    for camera in cameras:
        f = normalise(camera.tags)
        if f.unparsed:
            unparsed.update(f.unparsed)
        tags_json = dumps(camera.tags).decode()
        fields = _fields(camera, f, tags_json)
        if "\\" in tags_json:
            fields = tuple(
                text(value) if index in escaped else value for index, value in enumerate(fields)
            )
        yield "\t".join(fields) + "\t" + place(camera) + "\n"
