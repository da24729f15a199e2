"""A city-scale synthetic walk graph: a perturbed street grid crossed by footways.

Junctions sit on a jittered, gently warped grid (blocks of about 70 m, like a
European centre); streets join neighbouring junctions, a share of blocks get a
diagonal footway, and a few street pieces are missing so that the graph is not a
perfect lattice. Every segment runs junction to junction with pgRouting-ready node
ids, a geodesic length in metres and an OSM-like highway class.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mapping.synthetic.cities import haversine_m, metres_to_degrees
from mapping.synthetic.ids import JUNCTION_ID_BASE, WAY_ID_BASE

BLOCK_SPACING_M = 70.0
JITTER_SHARE = 0.22  # of the spacing, each axis
MISSING_SHARE = 0.06  # street pieces left out of the lattice
FOOTWAY_SHARE = 0.15  # blocks crossed by a diagonal footway
MAJOR_EVERY = 8  # every 8th grid line is a secondary road, every 24th a primary
FOOTWAY_CLASSES = ("footway", "path", "pedestrian", "steps")
FOOTWAY_WEIGHTS = (0.7, 0.15, 0.1, 0.05)
MINOR_CLASSES = ("residential", "living_street", "service", "pedestrian")
MINOR_WEIGHTS = (0.86, 0.05, 0.06, 0.03)


@dataclass(frozen=True)
class WalkGraph:
    """Junctions (lon/lat per index) and segments between junction indices."""

    node_lon: np.ndarray
    node_lat: np.ndarray
    source_index: np.ndarray
    target_index: np.ndarray
    length_m: np.ndarray
    highway: list[str]
    name: list[str]

    def __len__(self) -> int:
        return len(self.source_index)

    @property
    def source_ids(self) -> np.ndarray:
        return JUNCTION_ID_BASE + self.source_index

    @property
    def target_ids(self) -> np.ndarray:
        return JUNCTION_ID_BASE + self.target_index

    @property
    def way_ids(self) -> np.ndarray:
        """One two-node way per segment: the importer would split longer ways there anyway."""
        return WAY_ID_BASE + np.arange(len(self), dtype=np.int64)

    def bounds(self) -> tuple[float, float, float, float]:
        return (
            float(self.node_lon.min()),
            float(self.node_lat.min()),
            float(self.node_lon.max()),
            float(self.node_lat.max()),
        )


def grid_side(segments: int) -> int:
    """Junctions per side of a square grid offering at least `segments` candidate pieces."""
    side = max(2, math.ceil(math.sqrt(segments / (2 * (1 - MISSING_SHARE) + FOOTWAY_SHARE))))
    while 2 * side * (side - 1) + int(FOOTWAY_SHARE * (side - 1) ** 2) < segments:
        side += 1
    return side


def _junctions(side: int, centre: tuple[float, float], rng: np.random.Generator):
    row, col = np.divmod(np.arange(side * side, dtype=np.int64), side)
    half = (side - 1) / 2
    x = (col - half) * BLOCK_SPACING_M
    y = (row - half) * BLOCK_SPACING_M
    jitter = JITTER_SHARE * BLOCK_SPACING_M
    x = x + rng.uniform(-jitter, jitter, x.size)
    y = y + rng.uniform(-jitter, jitter, y.size)
    # A gentle warp so grid lines curve like streets following a river or a hill.
    extent = max(half * BLOCK_SPACING_M, 1.0)
    x = x + 0.03 * extent * np.sin(np.pi * y / extent)
    y = y + 0.03 * extent * np.sin(np.pi * x / extent)
    dlon, dlat = metres_to_degrees(x, y, centre[1])
    return np.round(centre[0] + dlon, 7), np.round(centre[1] + dlat, 7), row, col


def _street_class(line_index: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    classes = np.asarray(rng.choice(MINOR_CLASSES, size=line_index.size, p=MINOR_WEIGHTS))
    classes = classes.astype(object)
    classes[line_index % MAJOR_EVERY == 0] = "secondary"
    classes[line_index % (3 * MAJOR_EVERY) == 0] = "primary"
    return classes


def build_walk_graph(
    segments: int, centre: tuple[float, float], rng: np.random.Generator
) -> WalkGraph:
    """Exactly `segments` segments on a perturbed grid centred on `centre` (lon, lat)."""
    side = grid_side(segments)
    lon, lat, row, col = _junctions(side, centre, rng)
    index = np.arange(side * side, dtype=np.int64)

    across = index[col < side - 1]  # west-east streets ("Rue <row>")
    along = index[row < side - 1]  # south-north streets ("Avenue <col>")
    cells = index[(row < side - 1) & (col < side - 1)]
    crossed = cells[rng.random(cells.size) < FOOTWAY_SHARE]
    rising = rng.random(crossed.size) < 0.5
    diag_source = np.where(rising, crossed, crossed + 1)
    diag_target = np.where(rising, crossed + side + 1, crossed + side)

    source = np.concatenate([across, along, diag_source])
    target = np.concatenate([across + 1, along + side, diag_target])
    highway = np.concatenate(
        [
            _street_class(row[across], rng),
            _street_class(col[along], rng),
            np.asarray(rng.choice(FOOTWAY_CLASSES, size=crossed.size, p=FOOTWAY_WEIGHTS)),
        ]
    ).astype(object)
    names = (
        [f"Rue {r}" for r in row[across].tolist()]
        + [f"Avenue {c}" for c in col[along].tolist()]
        + [""] * crossed.size
    )

    keep = np.sort(rng.choice(source.size, size=segments, replace=False))
    source, target = source[keep], target[keep]
    length = haversine_m(lon[source], lat[source], lon[target], lat[target])
    return WalkGraph(
        node_lon=lon,
        node_lat=lat,
        source_index=source,
        target_index=target,
        length_m=np.round(length, 2),
        highway=highway[keep].tolist(),
        name=[names[k] for k in keep.tolist()],
    )


def segment_bearings_deg(graph: WalkGraph, segment_index: np.ndarray) -> np.ndarray:
    """Initial bearing of each segment, degrees clockwise from north."""
    lon1 = np.radians(graph.node_lon[graph.source_index[segment_index]])
    lat1 = np.radians(graph.node_lat[graph.source_index[segment_index]])
    lon2 = np.radians(graph.node_lon[graph.target_index[segment_index]])
    lat2 = np.radians(graph.node_lat[graph.target_index[segment_index]])
    y = np.sin(lon2 - lon1) * np.cos(lat2)
    x = np.cos(lat1) * np.sin(lat2) - np.sin(lat1) * np.cos(lat2) * np.cos(lon2 - lon1)
    return np.degrees(np.arctan2(y, x)) % 360.0
