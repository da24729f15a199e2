"""What a reader takes out of OpenStreetMap, whatever the source (Overpass or a file).

Plain records, cheap to build in the millions: the .pbf reader and the Overpass
reader both fill an OsmExtract and mapping.sync writes it, so both paths import
exactly the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from mapping.bbox import BBox
from mapping.osm.walkable import WayNodes

if TYPE_CHECKING:
    from mapping.camera_rows import CameraNodeRows, CameraRows


class CameraElement(NamedTuple):
    """A man_made=surveillance element at its point (a way or area by its centroid).

    A NamedTuple: a big import creates one per camera, and tuples are cheap to build.
    """

    osm_type: str  # node | way | relation
    osm_id: int
    version: int | None
    lon: float
    lat: float
    tags: dict[str, str]


@dataclass(frozen=True, slots=True)
class BuildingElement:
    """A building outline: a (multi)polygon as hex WKB, or its rings as WKT lines.

    The .pbf reader has osmium assemble polygons (hex WKB); the Overpass reader hands
    over the member ways as a MULTILINESTRING and PostGIS builds the area (ST_BuildArea),
    which is one statement for every building instead of Python geometry per ring.
    """

    osm_type: str  # way | relation
    osm_id: int
    geometry: str


@dataclass
class OsmExtract:
    """Everything one import read. extent is the area it covers (bbox or file extent).

    camera_nodes: the camera nodes of a file osmium read for an import (.pbf, .osm), each
    as its COPY fields (mapping.camera_rows); cameras holds every other camera read.
    """

    cameras: list[CameraElement] = field(default_factory=list)
    ways: list[WayNodes] = field(default_factory=list)
    buildings: list[BuildingElement] = field(default_factory=list)
    extent: BBox | None = None
    camera_nodes: CameraNodeRows | None = None

    def camera_rows(self) -> CameraRows:
        """Every camera read, as the writers take them."""
        from mapping.camera_rows import CameraRows

        return CameraRows(self.camera_nodes, self.cameras)

    def merge(self, other: OsmExtract) -> None:
        """Add another tile's elements; elements on both sides of a tile edge count once."""
        seen_cameras = {(c.osm_type, c.osm_id) for c in self.cameras}
        self.cameras.extend(c for c in other.cameras if (c.osm_type, c.osm_id) not in seen_cameras)
        seen_ways = {w.way_id for w in self.ways}
        self.ways.extend(w for w in other.ways if w.way_id not in seen_ways)
        seen_buildings = {(b.osm_type, b.osm_id) for b in self.buildings}
        self.buildings.extend(
            b for b in other.buildings if (b.osm_type, b.osm_id) not in seen_buildings
        )
