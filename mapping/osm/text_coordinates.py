"""The coordinates of an .osm (XML) file as written, for the two things osmium cannot say.

- It refuses a coordinate that is not a number ("north", "nan") without naming the
  element: "wrong format for coordinate: 'north'".
- It reads a number whose exponent is 56 or more (1e400, 1e99) as 0, a valid place:
  a camera on the prime meridian or the equator, and the area taken as covered
  stretched to it. (No tool writes exponents in an .osm file; 1e10 to 1e55 it refuses.)

So a file is looked at again, streaming, only when osmium refused a coordinate, or when
something read from the file lies exactly on 0 (mapping.osm.pbf): the read of every
other file costs nothing more. The .pbf format holds integers: neither can happen there.
"""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

from mapping.osm.coordinates import CoordinateError, checked_point, degrees

XML_SUFFIXES = (".osm", ".xml")
COMPRESSED_SUFFIXES = (".bz2", ".gz")
BOUNDS = ("minlat", "minlon", "maxlat", "maxlon")
OBJECTS = ("node", "way", "relation")


def open_uncompressed(path: Path) -> IO[bytes]:
    """The file's bytes, uncompressed as osmium reads it (by its suffix)."""
    suffix = path.suffix.lower()
    if suffix == ".bz2":
        return bz2.open(path, "rb")
    if suffix == ".gz":
        return gzip.open(path, "rb")
    return path.open("rb")


def is_xml(path: Path) -> bool:
    """Whether osmium reads the file as XML (.osm, maybe compressed), by its suffix."""
    name = path.name.lower()
    for compressed in COMPRESSED_SUFFIXES:
        name = name.removesuffix(compressed)
    return name.endswith(XML_SUFFIXES)


def _place(element: ElementTree.Element, parents: list[ElementTree.Element], nd: int) -> str:
    """The name of an element carrying lat and lon, below the file's root: a node, a
    way's node (`out geom`), a point of a relation's member (`out geom`, nd its number),
    a centre (`out center`)."""
    if element.tag == "node" or not parents:
        return f"{element.tag} {element.get('id', '')}"
    parent = parents[-1]
    whose = f"{parent.tag} {parent.get('id', '')}"
    if element.tag == "center":
        return f"the centre of {whose}"
    if element.tag == "nd" and parent.tag == "member" and len(parents) > 1:
        relation = parents[-2].get("id", "")
        return f"point {nd} of member way {parent.get('ref', '')} (in relation {relation})"
    if element.tag == "nd":
        return f"node {element.get('ref', '')} (in {whose})"
    return f"<{element.tag}> (in {whose})"


def _check(element: ElementTree.Element, parents: list[ElementTree.Element], nd: int) -> None:
    if element.tag == "bounds":
        for name in BOUNDS:
            try:
                degrees(name, element.get(name))
            except ValueError as error:
                raise CoordinateError(f"the file's <bounds> {error}") from error
        return
    lat, lon = element.get("lat"), element.get("lon")
    if lat is not None or lon is not None:
        checked_point(_place(element, parents, nd), lat, lon)


def refuse_coordinates_at_no_place(path: Path, bounds_only: bool = False) -> None:
    """CoordinateError naming the first element of the .osm file whose lat or lon is not
    a number or out of range, as a JSON answer's are refused (mapping.osm.coordinates);
    nothing when there is none, or when the file cannot be read as XML.

    Streamed: each top-level element is dropped once looked at. bounds_only stops at
    the first node, way or relation: the <bounds> come before, and osmium does not say
    when it leaves out a corner that is no place (the file's box, where what the file
    lacks is marked removed, would shrink to the other corner).
    """
    parents: list[ElementTree.Element] = []  # the open elements, the root first
    nd = 0  # the number of the point within its member, counted as the JSON's are
    try:
        with open_uncompressed(path) as stream:
            # The operator's own file; ElementTree resolves no external entity, and expat
            # stops entity expansion attacks (as in overpass_xml._events).
            for event, element in ElementTree.iterparse(stream, events=("start", "end")):  # noqa: S314
                if event == "end":
                    parents.pop()
                    if len(parents) == 1:
                        parents[0].clear()
                    continue
                if bounds_only and element.tag in OBJECTS:
                    return
                nd = nd + 1 if element.tag == "nd" else 0
                _check(element, parents[1:], nd)
                parents.append(element)
    except (ElementTree.ParseError, EOFError, OSError):
        return
