"""Write the synthetic data set as an .osm.pbf with pyosmium, for the file importer.

Cameras become tagged nodes (the same tags as in the database); with the graph,
junctions become untagged nodes and every segment a two-node highway way. Objects
are written in the order OSM files use (nodes by id, then ways), which readers expect.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import osmium
from osmium.osm.mutable import Node, Way

from mapping.synthetic.cameras import CameraBatch
from mapping.synthetic.graph import WalkGraph
from mapping.synthetic.ids import JUNCTION_ID_BASE

TIMESTAMP = datetime(2025, 1, 1, tzinfo=UTC)


def write_pbf(path: Path, batches, graph: WalkGraph | None = None) -> dict[str, int]:
    """Write cameras (and the walk graph when given) to `path`, replacing it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    counts = {"cameras": 0, "junctions": 0, "ways": 0}
    common = {"version": 1, "timestamp": TIMESTAMP, "changeset": 1, "uid": 1, "user": "synthetic"}
    writer = osmium.SimpleWriter(str(path), overwrite=True)
    try:
        for batch in batches:
            _write_cameras(writer, batch, common)
            counts["cameras"] += len(batch)
        if graph is not None:
            for index, (lon, lat) in enumerate(
                zip(graph.node_lon.tolist(), graph.node_lat.tolist(), strict=True)
            ):
                writer.add_node(Node(id=JUNCTION_ID_BASE + index, location=(lon, lat), **common))
            counts["junctions"] = len(graph.node_lon)
            for way_id, source, target, highway, name in zip(
                graph.way_ids.tolist(),
                graph.source_ids.tolist(),
                graph.target_ids.tolist(),
                graph.highway,
                graph.name,
                strict=True,
            ):
                tags = {"highway": highway, "name": name} if name else {"highway": highway}
                writer.add_way(Way(id=way_id, nodes=[source, target], tags=tags, **common))
            counts["ways"] = len(graph)
    finally:
        writer.close()
    return counts


def _write_cameras(writer, batch: CameraBatch, common: dict) -> None:
    for k, (osm_id, lon, lat) in enumerate(
        zip(batch.osm_id.tolist(), batch.lon.tolist(), batch.lat.tolist(), strict=True)
    ):
        writer.add_node(Node(id=osm_id, location=(lon, lat), tags=batch.tags(k), **common))
