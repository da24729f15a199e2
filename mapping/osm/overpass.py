"""Fetch an area from an Overpass API, tile by tile, and read the answers with overpy.

Why not overpy.Overpass.query(): it has no per-request timeout and a fixed pause between
retries, and its error does not say which tile failed. So the HTTP exchange is ours
(urllib, timeout, exponential backoff on 429/502/503/504 and timeouts) and the answer
is parsed by overpy's own JSON reader (which also turns an Overpass "remark" runtime
error into an exception). The server is never trusted: every element is checked
client-side (tags, position) before it becomes part of the extract.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

import overpy
import shapely

from mapping.bbox import BBox, split_into_tiles
from mapping.osm.coordinates import CoordinateError, centre_point, checked_point
from mapping.osm.extract import BuildingElement, CameraElement, OsmExtract
from mapping.osm.walkable import WayNodes, is_walkable

RETRYABLE_STATUS = {429, 502, 503, 504}
MAX_RETRY_AFTER_S = 120.0
USER_AGENT = "AngleMort/0.1 (surveillance camera map; +https://github.com/)"

# One request per tile. `out meta` gives versions and tags of what we asked for; `>` then
# brings every node of those ways (and member ways of relations) as bare coordinates.
QUERY_TEMPLATE = """[out:json][timeout:{timeout}][bbox:{bbox}];
(
{statements}
);
out meta;
>;
out skel qt;
"""
CAMERA_STATEMENTS = ('nwr["man_made"="surveillance"];',)
STREET_AND_BUILDING_STATEMENTS = ('way["highway"];', 'way["building"];', 'relation["building"];')


class OverpassError(RuntimeError):
    """The Overpass API could not give a usable answer; the message names the tile."""


@dataclass(frozen=True)
class OverpassSettings:
    url: str
    timeout_s: float
    tile_degrees: float
    max_retries: int
    backoff_s: float

    @classmethod
    def from_django(cls, url: str | None = None, tile_degrees: float | None = None):
        from django.conf import settings

        return cls(
            url=url or settings.OVERPASS_URL,
            timeout_s=settings.OVERPASS_TIMEOUT_S,
            tile_degrees=tile_degrees or settings.OVERPASS_TILE_DEGREES,
            max_retries=settings.OVERPASS_MAX_RETRIES,
            backoff_s=settings.OVERPASS_BACKOFF_S,
        )


def build_query(tile: BBox, timeout_s: float, cameras_only: bool = False) -> str:
    """Overpass QL for one tile (the global bbox is south,west,north,east).

    cameras_only asks for the cameras alone: streets and buildings are most of an area's
    answer, and the server's work.
    """
    statements = CAMERA_STATEMENTS
    if not cameras_only:
        statements += STREET_AND_BUILDING_STATEMENTS
    return QUERY_TEMPLATE.format(
        timeout=max(1, int(timeout_s)),
        bbox=tile.overpass(),
        statements="\n".join(f"  {statement}" for statement in statements),
    )


def _retry_delay(attempt: int, backoff_s: float, retry_after: str | None) -> float:
    delay = backoff_s * (2**attempt)
    if retry_after and retry_after.strip().isdigit():
        delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER_S))
    return delay


def fetch_tile(query: str, label: str, config: OverpassSettings) -> bytes:
    """POST one query; retry what is worth retrying; raise OverpassError naming the tile."""
    body = urlencode({"data": query}).encode()
    last_problem = ""
    for attempt in range(config.max_retries + 1):
        request = urllib.request.Request(  # noqa: S310 (the URL is the operator's setting)
            config.url, data=body, headers={"User-Agent": USER_AGENT}
        )
        retry_after = None
        try:
            with urllib.request.urlopen(request, timeout=config.timeout_s) as response:  # noqa: S310
                return response.read()
        except urllib.error.HTTPError as error:
            if error.code not in RETRYABLE_STATUS:
                raise OverpassError(f"{label}: HTTP {error.code} {error.reason}") from error
            last_problem = f"HTTP {error.code} {error.reason}"
            retry_after = error.headers.get("Retry-After")
        except TimeoutError as error:
            last_problem = f"no answer within {config.timeout_s:g} s"
            if attempt == config.max_retries:
                raise OverpassError(f"{label}: {last_problem}") from error
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, TimeoutError):
                last_problem = f"no answer within {config.timeout_s:g} s"
            else:
                raise OverpassError(f"{label}: cannot reach {config.url} ({reason})") from error
        if attempt < config.max_retries:
            time.sleep(_retry_delay(attempt, config.backoff_s, retry_after))
    tries = config.max_retries + 1
    raise OverpassError(f"{label}: {last_problem}, gave up after {tries} tries")


def _coordinates(result: overpy.Result) -> dict[int, tuple[float, float]]:
    """Every node's place: the answer's nodes, and the points of ways given with them.

    An answer to `out geom` (overpass-turbo's default, so what its export saves) has no
    node of a way: each way carries its points in "geometry", one per node id (null where
    the output was clipped). Read as nodes, they give the way its line as `>; out skel`
    would, and a node listed both ways has the same place either way. Every coordinate
    was checked by _refuse_points_at_no_place: none here is out of range or not a number.
    """
    coordinates = {
        node.id: (float(node.lon), float(node.lat))
        for node in result.nodes
        if node.lon is not None and node.lat is not None
    }
    for way in result.ways:
        for node_id, point in _way_points(way):
            if point:
                coordinates.setdefault(node_id, (float(point["lon"]), float(point["lat"])))
    return coordinates


def _way_points(way) -> list[tuple[int, dict | None]]:
    """The points `out geom` gives the way (a dict, or a null or empty one where cropped),
    each with its node id; none when it gives none, or not one per node."""
    points = way.attributes.get("geometry")
    node_ids = _node_ids(way)
    if not isinstance(points, list) or len(points) != len(node_ids):
        return []
    pairs = zip(node_ids, points, strict=True)
    return [(node_id, given if isinstance(given, dict) else None) for node_id, given in pairs]


def _node_ids(way) -> list[int]:
    """The way's node ids; none where `out tags center` prints none (overpy: None)."""
    return way._node_ids or []


def _centre_given(element) -> tuple[float, float] | None:
    """The centre an answer to `out center` gives a way or relation (None without one).

    Checked by parse_answer, which names the answer when one is wrong.
    """
    if element.center_lat is None and element.center_lon is None:
        return None
    kind = "way" if isinstance(element, overpy.Way) else "relation"
    try:
        return centre_point(element.center_lat, element.center_lon)
    except CoordinateError as error:
        raise CoordinateError(f"the centre of {kind} {element.id} {error}") from error


def _refuse_points_at_no_place(result: overpy.Result) -> None:
    """CoordinateError naming the first node, way point or member point whose latitude or
    longitude is out of range or not a number (NaN, Infinity, 1e400, a string).

    A point without coordinates is none: a node printed by `out ids`, a point `out
    geom(bbox)` cropped. One with either is checked whole. overpy keeps JSON's numbers
    as it read them (Decimal, int, float for NaN and Infinity) and strings as strings.
    """
    for node in result.nodes:
        if node.lat is not None or node.lon is not None:
            checked_point(f"node {node.id}", node.lat, node.lon, of_json=True)
    for way in result.ways:
        for node_id, given in _way_points(way):
            if given:
                place = f"node {node_id} (in way {way.id})"
                checked_point(place, given.get("lat"), given.get("lon"), of_json=True)
        _centre_given(way)
    for relation in result.relations:
        for member in relation.members:
            if not isinstance(member, overpy.RelationWay):
                continue
            for number, given in enumerate(member.geometry or [], start=1):
                if given is not None and (given.lat is not None or given.lon is not None):
                    place = f"point {number} of member way {member.ref} (in relation {relation.id})"
                    checked_point(place, given.lat, given.lon, of_json=True)
        _centre_given(relation)


def _runs(node_ids, coordinates) -> list[list[tuple[int, float, float]]]:
    """Located nodes of a way, split where the answer lacks a node (as the .pbf reader does)."""
    runs: list[list[tuple[int, float, float]]] = [[]]
    for node_id in node_ids:
        point = coordinates.get(node_id)
        if point is not None:
            runs[-1].append((node_id, point[0], point[1]))
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if len(run) > 1]


def _lines_wkt(lines: list[list[tuple[float, float]]]) -> str:
    parts = ("(" + ",".join(f"{lon!r} {lat!r}" for lon, lat in line) + ")" for line in lines)
    return "MULTILINESTRING(" + ",".join(parts) + ")"


def points_as_lines(
    points: Iterable[tuple[float, float] | None],
) -> list[list[tuple[float, float]]]:
    """A member way's points (lon, lat) as the lines between its gaps.

    None is a point `out geom(bbox)` cropped: the line stops there rather than jumping
    over it, and a piece of a single point is no line. Shared by the JSON answer's
    members and the XML answer's (mapping.osm.overpass_xml), so both read alike.
    """
    lines: list[list[tuple[float, float]]] = []
    line: list[tuple[float, float]] = []
    for point in [*points, None]:
        if point is not None:
            line.append(point)
            continue
        if len(line) > 1:
            lines.append(line)
        line = []
    return lines


def _member_lines(relation, way_nodes, coordinates) -> list[list[tuple[float, float]]]:
    """The lines of a relation's member ways: from the ways in the answer, or from the
    points `out geom` gives each member (null where clipped), split where one lacks."""
    lines = []
    for member in relation.members:
        if not isinstance(member, overpy.RelationWay):
            continue
        if member.ref in way_nodes:
            for run in _runs(way_nodes[member.ref], coordinates):
                lines.append([(lon, lat) for _, lon, lat in run])
        elif member.geometry:
            lines.extend(
                points_as_lines(
                    (float(given.lon), float(given.lat))
                    if given is not None and given.lat is not None and given.lon is not None
                    else None
                    for given in member.geometry
                )
            )
    return lines


def _area_centroid(lines: list[list[tuple[float, float]]]) -> tuple[float, float] | None:
    shapes = shapely.polygonize([shapely.LineString(line) for line in lines])
    shape = shapes if not shapes.is_empty else shapely.MultiLineString(lines)
    if shape.is_empty:
        return None
    centre = shape.centroid
    return centre.x, centre.y


def _inside(tile: BBox | None, lon: float, lat: float) -> bool:
    if tile is None:
        return True
    return tile.min_lon <= lon <= tile.max_lon and tile.min_lat <= lat <= tile.max_lat


def _version(element) -> int | None:
    version = element.attributes.get("version")
    return version if isinstance(version, int) and version > 0 else None


def result_to_extract(result: overpy.Result, tile: BBox | None = None) -> OsmExtract:
    """Keep what the importer wants from an Overpass answer, checking every tag ourselves.

    Cameras outside the tile are dropped (the removal rule only covers the tile);
    ways and buildings are kept whole, as Overpass returns them.
    """
    coordinates = _coordinates(result)
    way_nodes = {way.id: _node_ids(way) for way in result.ways}
    extract = OsmExtract(extent=tile)
    for node in result.nodes:
        if node.tags.get("man_made") == "surveillance" and node.id in coordinates:
            lon, lat = coordinates[node.id]
            if _inside(tile, lon, lat):
                extract.cameras.append(
                    CameraElement("node", node.id, _version(node), lon, lat, dict(node.tags))
                )
    for way in result.ways:
        tags = way.tags
        runs = _runs(_node_ids(way), coordinates)
        if tags.get("man_made") == "surveillance":
            centre = (
                _area_centroid([[(lon, lat) for _, lon, lat in run] for run in runs])
                if runs
                else _centre_given(way)
            )
            if centre and _inside(tile, *centre):
                extract.cameras.append(CameraElement("way", way.id, _version(way), *centre, tags))
        if "highway" in tags and is_walkable(tags):
            for run in runs:
                extract.ways.append(
                    WayNodes(way.id, tags["highway"], tags.get("name", ""), tuple(run))
                )
        if tags.get("building", "no") != "no" and runs:
            lines = [[(lon, lat) for _, lon, lat in run] for run in runs]
            extract.buildings.append(
                BuildingElement("way", way.id, "SRID=4326;" + _lines_wkt(lines))
            )
    for relation in result.relations:
        if not is_building_or_camera(relation.tags):
            continue
        building, camera = relation_elements(
            relation.id,
            _version(relation),
            dict(relation.tags),
            _member_lines(relation, way_nodes, coordinates),
            _centre_given(relation),
        )
        if building is not None:
            extract.buildings.append(building)
        if camera is not None and _inside(tile, camera.lon, camera.lat):
            extract.cameras.append(camera)
    return extract


def is_building_or_camera(tags) -> bool:
    """Whether a relation with these tags is one the importer keeps."""
    return tags.get("building", "no") != "no" or tags.get("man_made") == "surveillance"


def relation_elements(
    osm_id: int,
    version: int | None,
    tags: dict[str, str],
    lines: list[list[tuple[float, float]]],
    centre_given: tuple[float, float] | None = None,
) -> tuple[BuildingElement | None, CameraElement | None]:
    """The building and the camera a relation of an Overpass answer is, from its member
    ways' lines (PostGIS builds the building's area from them, mapping.sync; a camera is
    at the centroid of the area they close, or of the lines), or from the centre that
    `out center` gives (None without one).

    The one place both saved forms of an answer, JSON (here) and XML
    (mapping.osm.overpass_xml), turn a relation into what is imported, so that both
    import the same buildings and cameras.
    """
    building = camera = None
    if tags.get("building", "no") != "no" and lines:
        building = BuildingElement("relation", osm_id, "SRID=4326;" + _lines_wkt(lines))
    if tags.get("man_made") == "surveillance":
        centre = _area_centroid(lines) if lines else centre_given
        if centre is not None:
            camera = CameraElement("relation", osm_id, version, *centre, tags)
    return building, camera


def _cropped_points_as_gaps(body: bytes | str) -> bytes | str:
    """The answer with every null point of a relation member made an empty one.

    `out geom(bbox)` crops what lies outside the box to null points; overpy reads a
    member's points with .get(), so one null failed the whole answer. An empty point
    reads as a gap in the member's line (_member_lines), as a missing node does.
    """
    if b'"geometry"' not in (body if isinstance(body, bytes) else body.encode()):
        return body  # the importer's own answers: no parsing twice
    data = json.loads(body)
    for element in data.get("elements", []) if isinstance(data, dict) else []:
        for member in element.get("members", []) if isinstance(element, dict) else []:
            points = member.get("geometry") if isinstance(member, dict) else None
            if isinstance(points, list):
                member["geometry"] = [p if isinstance(p, dict) else {} for p in points]
    return json.dumps(data)


def parse_answer(body: bytes | str, label: str) -> overpy.Result:
    """overpy's reader; a cut-off body, a runtime error or a point or centre that is not
    a place (overpy reads a centre as a Decimal, which takes "NaN" and any number)
    becomes an OverpassError, which names the element at no place."""
    try:
        result = overpy.Overpass().parse_json(_cropped_points_as_gaps(body))
        _refuse_points_at_no_place(result)
        return result
    except CoordinateError as error:
        raise OverpassError(f"{label}: {error}") from error
    except json.JSONDecodeError as error:
        raise OverpassError(f"{label}: the answer is not complete JSON ({error.msg})") from error
    except overpy.exception.OverPyException as error:
        raise OverpassError(f"{label}: the server reported an error ({error})") from error
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as error:
        # ArithmeticError: decimal.InvalidOperation, a centre overpy cannot read as a number
        raise OverpassError(f"{label}: the answer is not Overpass JSON ({error!r})") from error


def read_overpass_json(body: bytes | str, label: str = "file") -> OsmExtract:
    """A saved Overpass JSON answer (e.g. from overpass-turbo's export)."""
    return result_to_extract(parse_answer(body, label))


def fetch_area(
    box: BBox,
    config: OverpassSettings,
    on_tile: Callable[[int, int, BBox], None] | None = None,
    cameras_only: bool = False,
) -> OsmExtract:
    """Every tile of box, merged; the first tile that fails stops everything.

    cameras_only: only cameras are asked for, and kept (a camera mapped on a building
    outline does not bring the building).
    """
    tiles = split_into_tiles(box, config.tile_degrees)
    extract = OsmExtract(extent=box)
    for number, tile in enumerate(tiles, start=1):
        label = f"Overpass tile {number}/{len(tiles)} ({tile})"
        body = fetch_tile(build_query(tile, config.timeout_s, cameras_only), label, config)
        piece = result_to_extract(parse_answer(body, label), tile)
        if cameras_only:
            piece.ways, piece.buildings = [], []
        extract.merge(piece)
        if on_tile is not None:
            on_tile(number, len(tiles), tile)
    return extract
