"""Write small, real OSM files for tests with pyosmium's own writer.

Everything is placed around TESTVILLE, an area no other test uses (factories build in
Paris, the demo data is Helsinki), so assertions can be scoped to its box.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import osmium

from mapping.bbox import BBox

TESTVILLE = (10.0, 45.0)  # lon, lat
TESTVILLE_BBOX = BBox(9.99, 44.99, 10.01, 45.01)
STEP = 0.0005  # about 40 m of longitude, 55 m of latitude there


def at(dx: float, dy: float) -> tuple[float, float]:
    """A point dx, dy grid steps east and north of Testville's centre."""
    return (round(TESTVILLE[0] + dx * STEP, 7), round(TESTVILLE[1] + dy * STEP, 7))


@dataclass
class OsmBuilder:
    nodes: dict[int, tuple[tuple[float, float], dict, int]] = field(default_factory=dict)
    ways: dict[int, tuple[list[int], dict, int]] = field(default_factory=dict)
    relations: dict[int, tuple[list[tuple[str, int, str]], dict, int]] = field(default_factory=dict)
    box: BBox | None = TESTVILLE_BBOX

    def node(self, osm_id: int, lonlat: tuple[float, float], tags=None, version: int = 1):
        self.nodes[osm_id] = (lonlat, dict(tags or {}), version)
        return self

    def camera(self, osm_id: int, lonlat: tuple[float, float], version: int = 1, **tags):
        """A man_made=surveillance node; extra tags as a dict via tags=..."""
        extra = tags.pop("tags", {})
        return self.node(osm_id, lonlat, {"man_made": "surveillance", **tags, **extra}, version)

    def way(self, osm_id: int, node_ids: list[int], tags: dict, version: int = 1):
        self.ways[osm_id] = (list(node_ids), dict(tags), version)
        return self

    def relation(self, osm_id: int, members: list[tuple[str, int, str]], tags: dict, version=1):
        self.relations[osm_id] = (list(members), dict(tags), version)
        return self

    def square(self, first_node_id: int, centre: tuple[float, float], half: float) -> list[int]:
        """Four corner nodes of a square (closed: the first id repeats at the end)."""
        lon, lat = centre
        corners = [(lon - half, lat - half), (lon + half, lat - half), (lon + half, lat + half)]
        corners.append((lon - half, lat + half))
        ids = []
        for offset, corner in enumerate(corners):
            self.node(first_node_id + offset, (round(corner[0], 7), round(corner[1], 7)))
            ids.append(first_node_id + offset)
        return [*ids, ids[0]]

    def write(self, path: Path) -> Path:
        header = osmium.io.Header()
        if self.box is not None:
            header.add_box(
                osmium.osm.Box(
                    osmium.osm.Location(self.box.min_lon, self.box.min_lat),
                    osmium.osm.Location(self.box.max_lon, self.box.max_lat),
                )
            )
        if path.exists():
            path.unlink()
        writer = osmium.SimpleWriter(str(path), header=header)
        try:
            for osm_id in sorted(self.nodes):
                lonlat, tags, version = self.nodes[osm_id]
                writer.add_node(
                    osmium.osm.mutable.Node(id=osm_id, location=lonlat, tags=tags, version=version)
                )
            for osm_id in sorted(self.ways):
                node_ids, tags, version = self.ways[osm_id]
                writer.add_way(
                    osmium.osm.mutable.Way(id=osm_id, nodes=node_ids, tags=tags, version=version)
                )
            for osm_id in sorted(self.relations):
                members, tags, version = self.relations[osm_id]
                writer.add_relation(
                    osmium.osm.mutable.Relation(
                        id=osm_id, members=members, tags=tags, version=version
                    )
                )
        finally:
            writer.close()
        return path
