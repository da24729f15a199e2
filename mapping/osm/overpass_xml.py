"""An Overpass answer to `out geom` saved as XML (.osm): its relations' member points.

Overpass prints each member way of a relation with the points of its nodes, a bare
`<nd/>` where `out geom(bbox)` cropped one:

    <member type="way" ref="61" role="outer"><nd lat="45.0" lon="10.0"/>...</member>

libosmium's XML parser allows no element inside a member and refuses the whole file
("No element inside <member> allowed"). One streaming pass writes the answer again
without those points, for osmium to read as any .osm file, and keeps the lines of the
points of the relations the importer uses (buildings, cameras); mapping.osm.overpass
turns them into a building and a camera exactly as it does a JSON answer's.
"""

from __future__ import annotations

import bz2
import gzip
import math
from collections.abc import Iterator
from pathlib import Path
from typing import IO, NamedTuple
from xml.etree import ElementTree
from xml.sax.saxutils import quoteattr

from mapping.osm.extract import BuildingElement, CameraElement
from mapping.osm.overpass import is_building_or_camera, points_as_lines, relation_elements

# What libosmium says when it meets them.
REFUSED_BY_OSMIUM = "inside <member>"


class AnswerNotReadable(ValueError):
    """The answer cannot be read as XML (cut short, not XML, a point not a number)."""


class RelationLines(NamedTuple):
    """A building or camera relation of the answer and its member ways' lines (lon, lat)."""

    osm_id: int
    version: int | None
    tags: dict[str, str]
    lines: list[list[tuple[float, float]]]


def refused_for_member_points(error: RuntimeError) -> bool:
    """Whether osmium refused a file for the points inside its relations' members."""
    return REFUSED_BY_OSMIUM in str(error)


def _open(path: Path) -> IO[bytes]:
    """The file's bytes, uncompressed as osmium reads it (by its suffix)."""
    suffix = path.suffix.lower()
    if suffix == ".bz2":
        return bz2.open(path, "rb")
    if suffix == ".gz":
        return gzip.open(path, "rb")
    return path.open("rb")


def _events(stream: IO[bytes]) -> Iterator[tuple[str, ElementTree.Element]]:
    """iterparse's start and end events; what goes wrong reading becomes AnswerNotReadable
    (a failure to write the copy stays what it is).

    The operator's own file, which osmium's expat has parsed up to its relations already;
    ElementTree resolves no external entity, and expat since 2.4.1 stops entity
    expansion attacks (billion laughs): the S314 warning is about neither.
    """
    try:
        yield from ElementTree.iterparse(stream, events=("start", "end"))  # noqa: S314
    except (ElementTree.ParseError, EOFError, OSError) as error:
        raise AnswerNotReadable(str(error)) from error


def _coordinate(text: str, limit: float) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and -limit <= value <= limit):
        raise AnswerNotReadable(f"a member point's coordinate {text!r} is not a number in range")
    return value


def _point(nd: ElementTree.Element) -> tuple[float, float] | None:
    """A member's point (lon, lat); None for a cropped one (<nd/>)."""
    lat, lon = nd.get("lat"), nd.get("lon")
    if lat is None or lon is None:
        return None
    return _coordinate(lon, 180.0), _coordinate(lat, 90.0)


def _take_member_points(relation: ElementTree.Element) -> list[list[tuple[float, float]]]:
    """The lines of the relation's member ways' points, each member emptied of them."""
    lines: list[list[tuple[float, float]]] = []
    for member in relation.iter("member"):
        if len(member) == 0:
            continue
        if member.get("type") == "way":
            lines.extend(points_as_lines(_point(nd) for nd in member.iter("nd")))
        del member[:]
        member.text = None
    return lines


def _relation_lines(
    relation: ElementTree.Element, lines: list[list[tuple[float, float]]]
) -> RelationLines | None:
    """The relation with its lines when it is a building or a camera (None otherwise)."""
    tags = {tag.get("k", ""): tag.get("v", "") for tag in relation.findall("tag")}
    if not is_building_or_camera(tags):
        return None
    osm_id, version = relation.get("id", ""), relation.get("version", "")
    if not osm_id.lstrip("-").isdigit():
        raise AnswerNotReadable(f"a relation's id {osm_id!r} is not a number")
    return RelationLines(
        int(osm_id), int(version) if version.isdigit() and int(version) > 0 else None, tags, lines
    )


def _start_tag(root: ElementTree.Element) -> str:
    attributes = "".join(f" {key}={quoteattr(value)}" for key, value in root.attrib.items())
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root.tag}{attributes}>\n'


def without_member_points(source: Path, readable: Path) -> list[RelationLines]:
    """Write source to readable without its members' points; the building and camera
    relations with the lines of theirs.

    Streamed: each top-level element is written and dropped once read, so memory holds
    one element, not the file. Everything else is copied as it is (header box, nodes,
    ways with their points, the relations' members and tags).
    """
    relations: list[RelationLines] = []
    root: ElementTree.Element | None = None
    depth = 0
    with _open(source) as stream, readable.open("w", encoding="utf-8") as copy:
        for event, element in _events(stream):
            if event == "start":
                if root is None:
                    root = element
                    copy.write(_start_tag(root))
                depth += 1
                continue
            depth -= 1
            if depth != 1 or root is None:
                continue
            if element.tag == "relation":
                lines = _take_member_points(element)
                kept = _relation_lines(element, lines)
                if kept is not None:
                    relations.append(kept)
            element.tail = "\n"
            copy.write(ElementTree.tostring(element, encoding="unicode"))
            root.clear()
        if root is not None:
            copy.write(f"</{root.tag}>\n")
    return relations


def relation_elements_of(
    relations: list[RelationLines],
) -> tuple[list[BuildingElement], list[CameraElement]]:
    """The buildings and cameras these relations are, as a JSON answer's would be."""
    buildings, cameras = [], []
    for relation in relations:
        building, camera = relation_elements(*relation)
        if building is not None:
            buildings.append(building)
        if camera is not None:
            cameras.append(camera)
    return buildings, cameras
