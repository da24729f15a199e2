"""Which ways people walk on, and how they become edges of the walk graph.

Pure: tags and node lists in, decisions and segments out. A way is cut at every
junction (a node shared with another walkable way, or met twice by the same way)
so that pgRouting sees one edge per stretch between junctions, with OSM node ids
as its source and target.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Highway classes people walk on unless tagged otherwise.
WALKABLE_HIGHWAYS = frozenset(
    {
        "footway",
        "path",
        "pedestrian",
        "steps",
        "living_street",
        "residential",
        "service",
        "track",
        "unclassified",
        "road",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "crossing",
        "sidewalk",
        "corridor",
        "platform",
    }
)
# Walkable only when foot access is explicitly granted (motorways, trunks, cycle and bridle
# paths where walking is not the default everywhere).
WALKABLE_WITH_FOOT_YES = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "cycleway",
        "bridleway",
    }
)
FOOT_ALLOWED = frozenset({"yes", "designated", "permissive", "official", "destination"})
FOOT_FORBIDDEN = frozenset({"no", "private", "use_sidepath"})
ACCESS_FORBIDDEN = frozenset({"no", "private"})


def is_walkable(tags: Mapping[str, str]) -> bool:
    """True for a way a pedestrian may use, by highway class and foot/access overrides.

    foot=* decides first (yes/designated/permissive open any highway, no/private closes
    it); then access=no|private closes it; otherwise the highway class decides.
    """
    highway = tags.get("highway")
    if not highway:
        return False
    if tags.get("area") == "yes" and highway not in {"pedestrian", "footway", "platform"}:
        return False
    foot = tags.get("foot", "").strip().lower()
    if foot in FOOT_FORBIDDEN:
        return False
    if foot in FOOT_ALLOWED:
        return highway in WALKABLE_HIGHWAYS or highway in WALKABLE_WITH_FOOT_YES
    if tags.get("access", "").strip().lower() in ACCESS_FORBIDDEN:
        return False
    return highway in WALKABLE_HIGHWAYS


@dataclass(frozen=True, slots=True)
class WayNodes:
    """A walkable way as read: its nodes in order, each (node id, lon, lat)."""

    way_id: int
    highway: str
    name: str
    nodes: tuple[tuple[int, float, float], ...]


@dataclass(frozen=True, slots=True)
class Segment:
    """One edge of the walk graph between two junctions (or way ends)."""

    way_id: int
    source: int
    target: int
    coords: tuple[tuple[float, float], ...]
    highway: str
    name: str

    def wkt(self) -> str:
        return "LINESTRING(" + ",".join(f"{lon!r} {lat!r}" for lon, lat in self.coords) + ")"


def junction_nodes(ways: Iterable[WayNodes]) -> set[int]:
    """Nodes where a walker can change way: shared by two ways, a way's end, or a loop."""
    uses: Counter[int] = Counter()
    ends: set[int] = set()
    for way in ways:
        if not way.nodes:
            continue
        uses.update(node_id for node_id, _, _ in way.nodes)
        ends.add(way.nodes[0][0])
        ends.add(way.nodes[-1][0])
    return ends | {node_id for node_id, count in uses.items() if count > 1}


def _segment(way: WayNodes, run: list[tuple[int, float, float]]) -> Segment | None:
    coords: list[tuple[float, float]] = []
    for _, lon, lat in run:
        if not coords or coords[-1] != (lon, lat):  # repeated points make invalid lines
            coords.append((lon, lat))
    if len(coords) < 2:
        return None
    return Segment(way.way_id, run[0][0], run[-1][0], tuple(coords), way.highway, way.name)


def split_at_junctions(ways: list[WayNodes]) -> list[Segment]:
    """Cut every way at each junction node; segments keep the way's order of nodes."""
    junctions = junction_nodes(ways)
    segments: list[Segment] = []
    for way in ways:
        run: list[tuple[int, float, float]] = []
        for node in way.nodes:
            run.append(node)
            if len(run) > 1 and node[0] in junctions:
                segment = _segment(way, run)
                if segment is not None:
                    segments.append(segment)
                run = [node]
    return segments
