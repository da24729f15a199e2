"""Realistic synthetic data at scale: cameras across France and Europe, a city walk graph.

Used by the `generate_synthetic` and `bench` commands to measure the application at
millions of cameras (issue #8). The same seed always gives the same data. Rows are
marked by id ranges (mapping.synthetic.ids) and removed again by clear_synthetic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.db import transaction

from mapping.synthetic.cameras import CameraBatch, camera_batches
from mapping.synthetic.graph import WalkGraph, build_walk_graph
from mapping.synthetic.loading import clear_synthetic, count_synthetic, load_synthetic
from mapping.synthetic.pbf import write_pbf

# The walk graph is a Paris-sized city centred on Paris.
GRAPH_CENTRE = (2.3522, 48.8566)
DEFAULT_SEED = 8
# From this many rows on, indexes are rebuilt after the COPY rather than kept up to date.
BULK_LOAD_ROWS = 100_000

__all__ = [
    "SyntheticSpec",
    "clear_synthetic",
    "count_synthetic",
    "generate_into_database",
    "write_synthetic_pbf",
]


@dataclass(frozen=True)
class SyntheticSpec:
    """How much to generate; the seed fixes every random choice."""

    cameras: int
    segments: int
    seed: int = DEFAULT_SEED
    graph_centre: tuple[float, float] = GRAPH_CENTRE

    def graph(self) -> WalkGraph | None:
        if self.segments <= 0:
            return None
        rng = np.random.default_rng([self.seed, 0])
        return build_walk_graph(self.segments, self.graph_centre, rng)

    def camera_batches(self, graph: WalkGraph | None) -> Iterator[CameraBatch]:
        return camera_batches(self.cameras, graph, self.seed)


def generate_into_database(
    spec: SyntheticSpec, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Replace the synthetic rows by a fresh set in one transaction; returns the counts."""
    graph = spec.graph()
    with transaction.atomic():
        clear_synthetic()
        return load_synthetic(
            graph,
            spec.camera_batches(graph),
            progress,
            rebuild_indexes=spec.cameras + spec.segments >= BULK_LOAD_ROWS,
        )


def write_synthetic_pbf(spec: SyntheticSpec, path: Path, with_graph: bool = False) -> dict:
    """The same cameras (the same seed gives the same ones) as an .osm.pbf."""
    graph = spec.graph()
    return write_pbf(path, spec.camera_batches(graph), graph if with_graph else None)
