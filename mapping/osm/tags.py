"""Normalise the tags of one man_made=surveillance element into Camera fields.

Pure: raw tags in, a NormalisedCamera out; no Django, no database. Nothing here
raises on bad data. A value that cannot be read leaves its field empty, stays in
the raw tags (the importer stores every tag unchanged) and its key is listed in
``unparsed`` so the import summary can count it. Every value produced satisfies
the CHECK constraints of mapping.models.Camera (directions in [0, 360), tilt in
[-90, 90], height in (0, 300], known capabilities and choices).

Conventions: directions are degrees clockwise from north; tilt is degrees below
the horizontal (positive looks down); heights are metres. docs/data.md lists every
rule with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import NamedTuple

MAX_PLAUSIBLE_HEIGHT_M = 300.0  # the same bound as the camera_height_plausible CHECK
FEET_TO_M = 0.3048

# Read in this order; the first key whose value parses wins (see docs/data.md).
DIRECTION_KEYS = ("camera:direction", "surveillance:direction", "direction")
HEIGHT_KEYS = ("height", "camera:height", "est_height")
VENDOR_KEYS = ("manufacturer", "brand", "surveillance:brand", "camera:manufacturer")
CHECK_DATE_KEYS = ("check_date", "survey:date")
FIXME_KEYS = ("fixme", "FIXME")

# The 16 points of the compass, clockwise from north, 22.5 degrees apart.
CARDINALS = (
    "N",
    "NNE",
    "NE",
    "ENE",
    "E",
    "ESE",
    "SE",
    "SSE",
    "S",
    "SSW",
    "SW",
    "WSW",
    "W",
    "WNW",
    "NW",
    "NNW",
)
CARDINAL_DEGREES = {name: index * 22.5 for index, name in enumerate(CARDINALS)}
CARDINAL_DEGREES.update({"NORTH": 0.0, "EAST": 90.0, "SOUTH": 180.0, "WEST": 270.0})

SURVEILLANCE_VALUES = {"public": "public", "outdoor": "outdoor", "indoor": "indoor"}
SURVEILLANCE_TYPE_VALUES = {
    "camera": "camera",
    "guard": "guard",
    "alpr": "alpr",
    "anpr": "alpr",  # the British name of the same thing
    "gunshot_detector": "gunshot_detector",
}
# The wiki calls camera the most common type; renderers treat an untyped node as one.
DEFAULT_SURVEILLANCE_TYPE = "camera"
CAMERA_TYPE_VALUES = {
    "fixed": "fixed",
    "dome": "dome",
    "panning": "panning",
    "ptz": "panning",
    "bullet": "fixed",
    "box": "fixed",
    "panorama": "dome",  # sees all around, like a dome
    "fisheye": "dome",
}

# The same order as mapping.models.Capability (a test checks they agree).
CAPABILITIES = ("face_recognition", "vsa", "alpr", "audio", "thermal", "ptz")
CAPABILITY_WORDS = {
    "face_recognition": "face_recognition",
    "facial_recognition": "face_recognition",
    "face": "face_recognition",
    "vsa": "vsa",
    "video_analytics": "vsa",
    "video_analysis": "vsa",
    "analytics": "vsa",
    "algorithmic": "vsa",
    "alpr": "alpr",
    "anpr": "alpr",
    "lpr": "alpr",
    "number_plate_recognition": "alpr",
    "license_plate_recognition": "alpr",
    "licence_plate_recognition": "alpr",
    "audio": "audio",
    "microphone": "audio",
    "sound": "audio",
    "thermal": "thermal",
    "thermal_imaging": "thermal",
    "ptz": "ptz",
    "pan_tilt_zoom": "ptz",
}
# Keys holding a ;-separated list of capability words.
CAPABILITY_LIST_KEYS = (
    "surveillance:capabilities",
    "surveillance:features",
    "camera:features",
    "camera:capabilities",
)
# yes/no keys, each saying one capability is present.
CAPABILITY_FLAG_KEYS = {
    "surveillance:face_recognition": "face_recognition",
    "camera:face_recognition": "face_recognition",
    "face_recognition": "face_recognition",
    "surveillance:vsa": "vsa",
    "surveillance:video_analytics": "vsa",
    "camera:video_analytics": "vsa",
    "surveillance:ALPR": "alpr",
    "surveillance:ANPR": "alpr",
    "surveillance:audio": "audio",
    "camera:audio": "audio",
    "camera:microphone": "audio",
    "surveillance:thermal": "thermal",
    "camera:thermal": "thermal",
    "camera:ptz": "ptz",
    "revolving": "ptz",  # an old tag for a camera that turns
}
YES_WORDS = {"yes", "true", "1"}
NO_WORDS = {"no", "false", "0"}

_NUMBER = r"[-+]?\d+(?:[.,]\d+)?"
_NUMBER_RE = re.compile(rf"^\s*({_NUMBER})\s*(?:°|deg|degrees?)?\s*$", re.IGNORECASE)
_RANGE_RE = re.compile(
    rf"^\s*({_NUMBER}|[A-Za-z]+)\s*(?:°|deg)?\s*-\s*({_NUMBER}|[A-Za-z]+)\s*(?:°|deg)?\s*$"
)
_HEIGHT_RE = re.compile(
    r"^\s*~?\s*(\d+(?:[.,]\d+)?)\s*(m|metres?|meters?|ft|feet|foot|')?\s*$", re.IGNORECASE
)
_DATE_RE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?\s*$")


class NormalisedCamera(NamedTuple):
    """Camera fields read from tags; blank/None/() when absent or unreadable.

    A NamedTuple rather than a dataclass: an import builds one per camera, and a tuple is
    several times cheaper to create.
    """

    surveillance: str = ""
    surveillance_type: str = DEFAULT_SURVEILLANCE_TYPE
    zone: str = ""
    camera_type: str = ""
    mount: str = ""
    directions: tuple[float, ...] = ()
    tilt: float | None = None
    height: float | None = None
    operator: str = ""
    operator_type: str = ""
    capabilities: tuple[str, ...] = ()
    vendor: str = ""
    name: str = ""
    ref: str = ""
    fixme: str = ""
    check_date: date | None = None
    unparsed: tuple[str, ...] = ()


def _number(text: str) -> float | None:
    match = _NUMBER_RE.match(text)
    return float(match.group(1).replace(",", ".")) if match else None


def parse_bearing(text: str) -> float | None:
    """One bearing: degrees (-360..360, wrapped into [0, 360)) or a cardinal N..NNW."""
    value = _number(text)
    if value is None:
        return CARDINAL_DEGREES.get(text.strip().upper())
    if not -360 <= value <= 360:
        return None
    wrapped = value % 360.0
    return 0.0 if wrapped >= 360.0 else wrapped


def clockwise_middle(start: float, end: float) -> float:
    """Middle of the arc swept clockwise from start to end; equal ends mean a full turn."""
    width = (end - start) % 360.0 or 360.0
    middle = (start + width / 2) % 360.0
    return 0.0 if middle >= 360.0 else middle


def parse_direction_item(text: str) -> float | None:
    """A bearing, or a range "a-b" the camera sweeps clockwise, read as its middle.

    A range (the wiki: "the camera can turn from a to b, clockwise") is one camera whose
    view moves over the arc; its most representative single direction is the middle
    of the arc, so "90-270" is 180 and "270-90" is 0 (through north).
    """
    bearing = parse_bearing(text)
    if bearing is not None:
        return bearing
    match = _RANGE_RE.match(text)
    if not match:
        return None
    start, end = parse_bearing(match.group(1)), parse_bearing(match.group(2))
    if start is None or end is None:
        return None
    return clockwise_middle(start, end)


@lru_cache(maxsize=65536)  # values repeat a lot across cameras
def parse_directions(text: str) -> tuple[float, ...] | None:
    """A direction value: items separated by ';' are several cameras on one node."""
    items = [item for item in text.split(";") if item.strip()]
    if not items:
        return None
    directions = [parse_direction_item(item) for item in items]
    if any(direction is None for direction in directions):
        return None
    return tuple(directions)  # type: ignore[arg-type]


@lru_cache(maxsize=65536)  # values repeat a lot across cameras
def parse_height(text: str) -> float | None:
    """Metres from '5', '5 m', '5.5m', '16 ft', "16'"; None outside (0, 300] m."""
    match = _HEIGHT_RE.match(text)
    if not match:
        return None
    value = float(match.group(1).replace(",", "."))
    unit = (match.group(2) or "m").lower()
    if unit in {"ft", "feet", "foot", "'"}:
        value = round(value * FEET_TO_M, 3)
    return value if 0 < value <= MAX_PLAUSIBLE_HEIGHT_M else None


@lru_cache(maxsize=65536)  # values repeat a lot across cameras
def parse_angle(text: str) -> float | None:
    """Degrees in [-90, 90]; a range "a-b" (a remotely tilted camera) reads as its middle."""
    value = _number(text)
    if value is None:
        match = _RANGE_RE.match(text)
        if not match:
            return None
        low, high = _number(match.group(1)), _number(match.group(2))
        if low is None or high is None or not (-90 <= low <= 90 and -90 <= high <= 90):
            return None
        value = (low + high) / 2
    return value if -90 <= value <= 90 else None


def parse_tilt(tags: Mapping[str, str]) -> tuple[float | None, list[str]]:
    """Degrees below the horizontal from camera:angle, else minus camera:tilt."""
    unparsed = []
    for key, sign in (("camera:angle", 1.0), ("camera:tilt", -1.0)):
        raw = tags.get(key)
        if raw is None:
            continue
        value = parse_angle(raw)
        if value is not None:
            return (sign * value) + 0.0, unparsed  # + 0.0 turns -0.0 into 0.0
        unparsed.append(key)
    return None, unparsed


@lru_cache(maxsize=65536)  # values repeat a lot across cameras
def parse_check_date(text: str) -> date | None:
    """ISO date; 'YYYY-MM' and 'YYYY' (seen in the data) read as the first day."""
    match = _DATE_RE.match(text)
    if not match:
        return None
    year, month, day = (int(part) if part else 1 for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def parse_capability_list(text: str) -> tuple[tuple[str, ...], bool]:
    """Capabilities named in a ;-list, and whether every word was understood."""
    words = [w.strip().lower().replace(" ", "_").replace("-", "_") for w in text.split(";")]
    known = [CAPABILITY_WORDS.get(word) for word in words if word]
    return tuple(c for c in known if c), bool(known) and None not in known


CAPABILITY_KEYS = frozenset(CAPABILITY_LIST_KEYS) | frozenset(CAPABILITY_FLAG_KEYS)
PTZ_CAMERA_TYPES = frozenset({"panning", "ptz"})


def parse_capabilities(tags: Mapping[str, str]) -> tuple[tuple[str, ...], list[str]]:
    """Capabilities from list keys, yes/no keys and what the type implies."""
    found: set[str] = set()
    unparsed: list[str] = []
    # Most cameras carry none of these keys: one set intersection instead of 19 lookups.
    for key in sorted(CAPABILITY_KEYS & tags.keys()):
        raw = tags[key]
        if key in CAPABILITY_FLAG_KEYS:
            word = raw.strip().lower()
            if word in YES_WORDS:
                found.add(CAPABILITY_FLAG_KEYS[key])
            elif word not in NO_WORDS:
                unparsed.append(key)
            continue
        capabilities, understood = parse_capability_list(raw)
        found.update(capabilities)
        if not understood:
            unparsed.append(key)
    kind = tags.get("surveillance:type")
    if kind and SURVEILLANCE_TYPE_VALUES.get(kind.strip().lower()) == "alpr":
        found.add("alpr")
    camera_type = tags.get("camera:type")
    if camera_type and camera_type.strip().lower() in PTZ_CAMERA_TYPES:
        found.add("ptz")
    if not found:
        return (), unparsed
    return tuple(c for c in CAPABILITIES if c in found), unparsed


def _choice_reader(values: dict[str, str]):
    """A cached reader of one choice key: its value, or None when not understood."""

    @lru_cache(maxsize=1024)
    def read(raw: str) -> str | None:
        return values.get(raw.strip().lower())

    return read


_read_surveillance = _choice_reader(SURVEILLANCE_VALUES)
_read_surveillance_type = _choice_reader(SURVEILLANCE_TYPE_VALUES)
_read_camera_type = _choice_reader(CAMERA_TYPE_VALUES)


def _implied_capabilities(kind: str, camera_type: str) -> tuple[str, ...]:
    """What parse_capabilities finds on tags without any capability key."""
    if kind == "alpr":
        return ("alpr", "ptz") if camera_type == "panning" else ("alpr",)
    return ("ptz",) if camera_type == "panning" else ()


def _first_parsed(get, keys: tuple[str, ...], parse, unparsed: list[str]):
    """The value of the first of keys whose value parses; the unreadable ones are listed."""
    for key in keys:
        raw = get(key)
        if raw is None:
            continue
        value = parse(raw)
        if value is not None:
            return value
        unparsed.append(key)
    return None


def normalise_camera_tags(tags: Mapping[str, str]) -> NormalisedCamera:
    """Read every Camera field the tags describe; list the keys whose value was unreadable.

    Written flat (loops unrolled, value parsers cached) because an import calls it once
    per camera: it is the largest share of the Python time of a big import.
    """
    get = tags.get
    unparsed: list[str] = []
    surveillance, kind, camera_type = "", DEFAULT_SURVEILLANCE_TYPE, ""
    raw = get("surveillance")
    if raw is not None:
        surveillance = _read_surveillance(raw) or ""
        if not surveillance:
            unparsed.append("surveillance")
    raw = get("surveillance:type")
    if raw is not None:
        kind = _read_surveillance_type(raw) or ""
        if not kind:
            unparsed.append("surveillance:type")
    raw = get("camera:type")
    if raw is not None:
        camera_type = _read_camera_type(raw) or ""
        if not camera_type:
            unparsed.append("camera:type")
    directions = _first_parsed(get, DIRECTION_KEYS, parse_directions, unparsed) or ()
    tilt, tilt_unparsed = parse_tilt(tags)
    height = _first_parsed(get, HEIGHT_KEYS, parse_height, unparsed)
    check_date = _first_parsed(get, CHECK_DATE_KEYS, parse_check_date, unparsed)
    if CAPABILITY_KEYS.isdisjoint(tags):  # most cameras: only what the type implies
        capabilities, capability_unparsed = _implied_capabilities(kind, camera_type), ()
    else:
        capabilities, capability_unparsed = parse_capabilities(tags)
    zone, mount, operator = get("surveillance:zone"), get("camera:mount"), get("operator")
    operator_type, name, ref = get("operator:type"), get("name"), get("ref")
    vendor = (
        get("manufacturer")
        or get("brand")
        or get("surveillance:brand")
        or get("camera:manufacturer")
    )
    fixme = get("fixme") or get("FIXME")
    return NormalisedCamera(
        surveillance,
        kind,
        zone.strip()[:64].lower() if zone else "",
        camera_type,
        mount.strip()[:32].lower() if mount else "",
        directions,
        tilt,
        height,
        operator.strip()[:255] if operator else "",
        operator_type.strip()[:64].lower() if operator_type else "",
        capabilities,
        vendor.strip()[:255] if vendor else "",
        name.strip()[:255] if name else "",
        ref.strip()[:255] if ref else "",
        fixme.strip() if fixme else "",
        check_date,
        (*unparsed, *tilt_unparsed, *capability_unparsed),
    )
