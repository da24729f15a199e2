"""Whether a coordinate read from OpenStreetMap data is a place, and what to say when not.

Every import path refuses an element whose latitude or longitude is out of range, not a
number, or too big for a float (1e400), naming the element: stored, such a camera would
sit beyond a pole or at infinity, and the area taken as covered would stretch to it
(marking removed every stored camera in between); left out, a camera stored there
would be marked removed as if deleted from OpenStreetMap. Pure functions: the JSON
answer (mapping.osm.overpass), the XML answer (mapping.osm.overpass_xml) and the files
osmium reads (mapping.osm.pbf) say the same thing the same way.
"""

from __future__ import annotations

import math
from decimal import Decimal

LIMITS_DEG = {"lat": 90.0, "lon": 180.0}
# What osmium holds for a coordinate it was never given (its Location's "undefined").
OSMIUM_UNDEFINED = 2**31 - 1
OSMIUM_SCALE = 10_000_000  # osmium keeps degrees as integers of 1e-7 degree


class CoordinateError(ValueError):
    """An element's latitude or longitude is no place; the message names the element."""


def degrees(name: str, value) -> float:
    """value, the lat or lon (name) of a point, in degrees.

    Taken: a number (int, float, Decimal: JSON's, or overpy's reading of it) or a
    number's text (XML's). ValueError saying which coordinate is wrong and how ("has no
    lat", "has lat 95, beyond -90..90", "has lon 'east', not a number") otherwise;
    the caller puts the element's name in front. A number is shown as written, text that
    is none quoted.
    """
    if value is None:
        raise ValueError(f"has no {name}")
    number = math.nan
    if isinstance(value, str | int | float | Decimal) and not isinstance(value, bool):
        try:
            number = float(value)
        except ValueError:  # not a number's text, or Decimal's signalling NaN
            pass
        except OverflowError:  # an integer of 309 digits or more
            number = math.copysign(math.inf, value)
    if math.isnan(number):
        shown = repr(value) if isinstance(value, str) else str(value)
        raise ValueError(f"has {name} {shown}, not a number")
    limit = LIMITS_DEG[name[-3:]]  # lat, lon, or a box's minlat...maxlon
    if not -limit <= number <= limit:
        raise ValueError(f"has {name} {value}, beyond -{limit:g}..{limit:g}")
    return number


def json_degrees(name: str, value) -> float:
    """degrees() for a JSON answer, where a coordinate is a number: a string is refused
    ("lat": "45" is not how Overpass writes one, and overpy would keep it a string)."""
    if isinstance(value, str):
        raise ValueError(f"has {name} {value!r}, not a number")
    return degrees(name, value)


def checked_point(element: str, lat, lon, of_json: bool = False) -> tuple[float, float]:
    """The point (lon, lat) of element (its name, e.g. "node 5 (in way 7)").

    CoordinateError naming the element when either coordinate is no place.
    """
    read = json_degrees if of_json else degrees
    try:
        return read("lon", lon), read("lat", lat)
    except ValueError as error:
        raise CoordinateError(f"{element} {error}") from error


def centre_point(lat, lon) -> tuple[float, float]:
    """The centre `out center` gives a way or relation (its bounding box's) as (lon, lat),
    from the JSON's numbers or the XML's text.

    CoordinateError (saying "has no lat", or which value is wrong) when one is missing,
    not a number or out of range: a camera would be placed there. The caller names the
    element. Shared by the JSON answer and the XML one, so both refuse the same centres.
    """
    try:
        return degrees("lon", lon), degrees("lat", lat)
    except ValueError as error:
        raise CoordinateError(str(error)) from error


def _shown(raw: int) -> str:
    """osmium's integer coordinate as degrees, with no more decimals than it holds."""
    return f"{raw / OSMIUM_SCALE:.7f}".rstrip("0").rstrip(".")


def osmium_location_problem(x: int, y: int) -> str | None:
    """What is wrong with the location osmium read for a node, from its raw integers
    (Location.x, .y): None when it was given none at all (a node cut off by the
    extract's edge, or printed by `out ids`), otherwise which coordinate is wrong,
    worded as degrees() words it.

    Called only for a location osmium found not valid, off the hot path: osmium checks
    every location it reads, in C++, and this only says why it refused one.
    """
    if x == OSMIUM_UNDEFINED and y == OSMIUM_UNDEFINED:
        return None
    for name, raw in (("lon", x), ("lat", y)):
        if raw == OSMIUM_UNDEFINED:
            return f"has no {name}"
        limit = LIMITS_DEG[name]
        if not -limit * OSMIUM_SCALE <= raw <= limit * OSMIUM_SCALE:
            return f"has {name} {_shown(raw)}, beyond -{limit:g}..{limit:g}"
    return None
