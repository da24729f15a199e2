"""An Overpass answer saved as XML (.osm): what osmium refuses in it, and what it holds.

Two output modes print what libosmium's XML parser refuses, whole file and all:

- `out geom` prints each member way of a relation with the points of its nodes, a bare
  `<nd/>` where `out geom(bbox)` cropped one ("No element inside <member> allowed"):

      <member type="way" ref="61" role="outer"><nd lat="45.0" lon="10.0"/>...</member>

- `out center` prints each way and relation with the centre of its box, before its node
  ids or members, or alone with its tags (`out tags center`): "Unknown element in
  <way>: center".

One query may print both (an `out geom` and an `out center`). One streaming pass writes
the answer again without them, for osmium to read as any .osm file, and keeps what the
importer needs of them: the member points of the relations it uses (buildings,
cameras), the centres of cameras. mapping.osm.overpass turns them into buildings and
cameras exactly as it does a JSON answer's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, NamedTuple
from xml.etree import ElementTree
from xml.sax.saxutils import quoteattr

from mapping.osm.coordinates import CoordinateError, centre_point, checked_point
from mapping.osm.extract import BuildingElement, CameraElement
from mapping.osm.overpass import is_building_or_camera, points_as_lines, relation_elements
from mapping.osm.text_coordinates import open_uncompressed

# What libosmium says when it meets them.
REFUSED_BY_OSMIUM = (
    "inside <member>",
    "Unknown element in <way>: center",
    "Unknown element in <relation>: center",
)
SURVEILLANCE = "surveillance"

Lines = list[list[tuple[float, float]]]


class AnswerNotReadable(ValueError):
    """The answer cannot be read as XML (cut short, not XML, an id not a number).

    A point or centre at no place is a CoordinateError (mapping.osm.coordinates), which
    names it."""


class AnswerElement(NamedTuple):
    """A way or relation of the answer with what osmium cannot read of it: a building or
    camera relation's member ways' lines (lon, lat), a camera's centre (lon, lat)."""

    osm_type: str  # way | relation
    osm_id: int
    version: int | None
    tags: dict[str, str]
    lines: Lines
    centre: tuple[float, float] | None


class GivenElements(NamedTuple):
    """What the answer's own geometry makes, as a JSON answer's would be."""

    buildings: list[BuildingElement]  # from member points: in place of osmium's
    cameras: list[CameraElement]  # from member points: in place of osmium's
    centred: list[CameraElement]  # at the centre given: where osmium placed none


def refused_for_overpass_geometry(error: RuntimeError) -> bool:
    """Whether osmium refused a file for the member points or centres Overpass prints."""
    return any(refusal in str(error) for refusal in REFUSED_BY_OSMIUM)


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


def _point(nd: ElementTree.Element, place: str) -> tuple[float, float] | None:
    """A member's point (lon, lat); None for a cropped one (<nd/>). place names it in
    the CoordinateError raised for a point at no place."""
    lat, lon = nd.get("lat"), nd.get("lon")
    if lat is None and lon is None:
        return None
    return checked_point(place, lat, lon)


def _take_member_points(relation: ElementTree.Element) -> Lines:
    """The lines of the relation's member ways' points, each member emptied of them."""
    lines: Lines = []
    for member in relation.iter("member"):
        if len(member) == 0:
            continue
        if member.get("type") == "way":
            whose = f"of member way {member.get('ref', '')} (in relation {relation.get('id', '')})"
            lines.extend(
                points_as_lines(
                    _point(nd, f"point {number} {whose}")
                    for number, nd in enumerate(member.iter("nd"), start=1)
                )
            )
        del member[:]
        member.text = None
    return lines


def _take_centre(element: ElementTree.Element) -> tuple[float, float] | None:
    """The centre `out center` gives the way or relation (None without one), taken out."""
    given = element.find("center")
    if given is None:
        return None
    element.remove(given)
    try:
        return centre_point(given.get("lat"), given.get("lon"))
    except CoordinateError as error:
        raise CoordinateError(
            f"the centre of {element.tag} {element.get('id', '')} {error}"
        ) from error


def _answer_element(
    element: ElementTree.Element, lines: Lines, centre: tuple[float, float] | None
) -> AnswerElement | None:
    """The element with its lines and centre when the importer needs them: a building or
    camera relation, a camera way given its centre (None otherwise)."""
    if element.tag == "way" and centre is None:
        return None  # osmium reads it whole
    tags = {tag.get("k", ""): tag.get("v", "") for tag in element.findall("tag")}
    if element.tag == "way" and tags.get("man_made") != SURVEILLANCE:
        return None
    if element.tag == "relation" and not is_building_or_camera(tags):
        return None
    osm_id, version = element.get("id", ""), element.get("version", "")
    if not osm_id.lstrip("-").isdigit():
        raise AnswerNotReadable(f"a {element.tag}'s id {osm_id!r} is not a number")
    return AnswerElement(
        element.tag,
        int(osm_id),
        int(version) if version.isdigit() and int(version) > 0 else None,
        tags,
        lines,
        centre,
    )


def _start_tag(root: ElementTree.Element) -> str:
    attributes = "".join(f" {key}={quoteattr(value)}" for key, value in root.attrib.items())
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root.tag}{attributes}>\n'


def readable_copy(source: Path, readable: Path) -> list[AnswerElement]:
    """Write source to readable without its members' points and its centres; the
    building and camera relations with the lines of theirs, the camera ways given a
    centre, with it.

    Streamed: each top-level element is written and dropped once read, so memory holds
    one element, not the file. Everything else is copied as it is (header box, nodes,
    ways with their points or node ids, the relations' members and tags).
    """
    kept: list[AnswerElement] = []
    root: ElementTree.Element | None = None
    depth = 0
    with open_uncompressed(source) as stream, readable.open("w", encoding="utf-8") as copy:
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
            if element.tag in ("way", "relation"):
                centre = _take_centre(element)
                lines = _take_member_points(element) if element.tag == "relation" else []
                answer_element = _answer_element(element, lines, centre)
                if answer_element is not None:
                    kept.append(answer_element)
            element.tail = "\n"
            copy.write(ElementTree.tostring(element, encoding="unicode"))
            root.clear()
        if root is not None:
            copy.write(f"</{root.tag}>\n")
    return kept


def given_elements(kept: list[AnswerElement]) -> GivenElements:
    """The buildings and cameras these elements are, as a JSON answer's would be.

    A relation with member points is made from them (mapping.osm.overpass.
    relation_elements), in place of what osmium assembled of its member ways. A camera
    given only a centre is placed there, as from JSON, where osmium placed none: from
    JSON too, the points of its nodes or member ways, when the answer holds them (`>;
    out skel`), come before the centre.
    """
    given = GivenElements([], [], [])
    for element in kept:
        osm_id, version, tags = element.osm_id, element.version, element.tags
        if element.osm_type == "way" and element.centre is not None:
            given.centred.append(CameraElement("way", osm_id, version, *element.centre, tags))
            continue
        building, camera = relation_elements(osm_id, version, tags, element.lines, element.centre)
        if building is not None:
            given.buildings.append(building)
        if camera is not None:
            (given.cameras if element.lines else given.centred).append(camera)
    return given
