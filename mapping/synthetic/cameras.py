"""Synthetic cameras: where they stand and what their tags say.

Three populations: city cameras (Gaussian city clusters plus tight hot spots: a
station, a shopping street), cameras along the synthetic walk graph (a few metres off
a street, looking at it), and sparse countryside cameras. Attributes follow the
proportions seen in OpenStreetMap (mostly fixed cameras, some domes, a few ALPR) and
are produced together with the raw OSM tags that describe them, so that the
importer's tag parser reads back exactly the normalised columns.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from mapping.synthetic.cities import (
    CITIES,
    COUNTRYSIDE_BOX,
    city_weights,
    metres_to_degrees,
)
from mapping.synthetic.graph import WalkGraph, segment_bearings_deg
from mapping.synthetic.ids import CAMERA_ID_BASE, SYNTHETIC_TAG

BATCH_SIZE = 200_000
ALONG_GRAPH_SHARE = 0.05  # of all cameras, capped at one camera per 4 segments
COUNTRYSIDE_SHARE = 0.10  # of the cameras not placed along the graph
HOTSPOT_SHARE = 0.45  # of city cameras, packed around hot spots
FIRST_CHECK_DATE = date(2019, 1, 1)

SURVEILLANCE = (("public", 0.45), ("outdoor", 0.37), ("indoor", 0.12), ("", 0.06))
SURVEILLANCE_TYPES = (("camera", 0.93), ("alpr", 0.04), ("guard", 0.02), ("gunshot_detector", 0.01))
CAMERA_TYPES = (("fixed", 0.55), ("dome", 0.28), ("panning", 0.07), ("", 0.10))
MOUNTS = (("wall", 0.45), ("pole", 0.30), ("ceiling", 0.07), ("street_lamp", 0.08), ("", 0.10))
ZONES = (
    ("town", 0.28), ("traffic", 0.12), ("parking", 0.10), ("shop", 0.15),
    ("building", 0.10), ("public_transport", 0.05), ("", 0.20),
)  # fmt: skip
PRIVATE_OPERATORS = (
    "SNCF", "RATP", "La Poste", "Carrefour", "Monoprix", "BNP Paribas", "Société Générale",
    "Vinci Autoroutes", "Indigo", "Decathlon", "McDonald's", "Orange",
)  # fmt: skip
# The tag value a mapper writes for each normalised type (ALPR is upper case in OSM).
TYPE_TAGS = {"camera": "camera", "alpr": "ALPR", "guard": "guard",
             "gunshot_detector": "gunshot_detector"}  # fmt: skip
VENDORS = ("Axis", "Hikvision", "Bosch", "Dahua", "Hanwha Vision", "Avigilon")
# Capabilities that tags must state (ALPR and PTZ follow from the type), with their odds.
STATED_CAPABILITIES = (("face_recognition", 0.004), ("vsa", 0.025), ("audio", 0.008),
                       ("thermal", 0.003))  # fmt: skip


@dataclass
class CameraBatch:
    """Column values for consecutive synthetic cameras (one list/array entry per camera)."""

    osm_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    surveillance: list[str]
    surveillance_type: list[str]
    camera_type: list[str]
    mount: list[str]
    zone: list[str]
    directions: list[tuple[int, ...]]
    height: np.ndarray  # NaN: unknown
    tilt: np.ndarray  # NaN: unknown
    operator: list[str]
    operator_type: list[str]
    capabilities: list[tuple[str, ...]]
    stated_capabilities: list[tuple[str, ...]]
    vendor: list[str]
    ref: list[str]
    check_date: list[str]  # ISO date or ""
    kind: np.ndarray = field(repr=False)  # 0 city, 1 along the graph, 2 countryside

    def __len__(self) -> int:
        return len(self.osm_id)

    def tags(self, k: int) -> dict[str, str]:
        """The raw OSM tags of camera k, as a mapper would have written them."""
        tags = {"man_made": "surveillance", SYNTHETIC_TAG: "yes"}
        optional = (
            ("surveillance", self.surveillance[k]),
            ("surveillance:type", TYPE_TAGS.get(self.surveillance_type[k], "")),
            ("camera:type", self.camera_type[k]),
            ("camera:mount", self.mount[k]),
            ("camera:direction", ";".join(map(str, self.directions[k]))),
            ("surveillance:zone", self.zone[k]),
            ("height", _number_tag(self.height[k])),
            ("camera:angle", _number_tag(self.tilt[k])),
            ("operator", self.operator[k]),
            ("operator:type", self.operator_type[k]),
            ("surveillance:capabilities", ";".join(self.stated_capabilities[k])),
            ("manufacturer", self.vendor[k]),
            ("ref", self.ref[k]),
            ("check_date", self.check_date[k]),
        )  # fmt: skip
        tags.update((key, value) for key, value in optional if value)
        return tags


def _number_tag(value: float) -> str:
    return "" if value != value else f"{value:g}"  # NaN is unknown


def _pick(rng: np.random.Generator, table, size: int) -> np.ndarray:
    values, odds = zip(*table, strict=True)
    return np.asarray(values, dtype=object)[rng.choice(len(values), size=size, p=odds)]


@dataclass(frozen=True)
class Layout:
    """What every batch shares: city weights and hot spots (fixed by the seed)."""

    weights: np.ndarray
    hotspot_lon: list[np.ndarray]
    hotspot_lat: list[np.ndarray]

    @classmethod
    def build(cls, seed: int) -> Layout:
        rng = np.random.default_rng([seed, 1])
        lons, lats = [], []
        for city in CITIES:
            count = 4 + round(city.population_k**0.5 / 2)
            dx, dy = rng.normal(0, 0.5 * city.spread_km * 1000, (2, count))
            dlon, dlat = metres_to_degrees(dx, dy, city.lat)
            lons.append(city.lon + dlon)
            lats.append(city.lat + dlat)
        return cls(city_weights(), lons, lats)


def _city_points(rng, layout: Layout, size: int):
    city = rng.choice(len(CITIES), size=size, p=layout.weights)
    lon, lat = np.empty(size), np.empty(size)
    hot = rng.random(size) < HOTSPOT_SHARE
    for c, spec in enumerate(CITIES):
        chosen = np.flatnonzero(city == c)
        if not chosen.size:
            continue
        spread_m = np.full(chosen.size, spec.spread_km * 1000)
        centre_lon, centre_lat = np.full(chosen.size, spec.lon), np.full(chosen.size, spec.lat)
        in_hotspot = hot[chosen]
        hotspots = layout.hotspot_lon[c].size
        zipf = 1.0 / np.arange(1, hotspots + 1)
        spot = rng.choice(hotspots, size=int(in_hotspot.sum()), p=zipf / zipf.sum())
        centre_lon[in_hotspot] = layout.hotspot_lon[c][spot]
        centre_lat[in_hotspot] = layout.hotspot_lat[c][spot]
        spread_m[in_hotspot] = rng.uniform(150, 600, spot.size)
        dx, dy = rng.normal(0, 1, (2, chosen.size)) * spread_m
        dlon, dlat = metres_to_degrees(dx, dy, spec.lat)
        lon[chosen], lat[chosen] = centre_lon + dlon, centre_lat + dlat
    return lon, lat, city


def _countryside_points(rng, size: int):
    min_lon, min_lat, max_lon, max_lat = COUNTRYSIDE_BOX
    return rng.uniform(min_lon, max_lon, size), rng.uniform(min_lat, max_lat, size)


def _along_graph_points(rng, graph: WalkGraph, size: int):
    """A few metres off a street, facing it; returns lon, lat, facing bearing."""
    segment = rng.integers(0, len(graph), size)
    share = rng.uniform(0.15, 0.85, size)
    src, dst = graph.source_index[segment], graph.target_index[segment]
    lon = graph.node_lon[src] + share * (graph.node_lon[dst] - graph.node_lon[src])
    lat = graph.node_lat[src] + share * (graph.node_lat[dst] - graph.node_lat[src])
    bearing = segment_bearings_deg(graph, segment)
    side = np.where(rng.random(size) < 0.5, 90.0, -90.0)  # right or left of travel
    offset_m = rng.uniform(4, 10, size)
    away = np.radians(bearing + side)
    dlon, dlat = metres_to_degrees(offset_m * np.sin(away), offset_m * np.cos(away), lat)
    facing = (bearing - side + rng.normal(0, 20, size)) % 360  # back towards the street
    return lon + dlon, lat + dlat, facing


def _directions(rng, camera_type, surveillance_type, facing) -> list[tuple[int, ...]]:
    size = len(camera_type)
    directed = np.isin(camera_type, ["fixed"]) | (surveillance_type == "alpr")
    untyped_cam = (camera_type == "") & (surveillance_type == "camera")
    count = np.where(directed, rng.choice(4, size=size, p=[0.12, 0.76, 0.09, 0.03]), 0)
    count = np.where(untyped_cam | np.isin(camera_type, ["dome", "panning"]),
                     rng.choice(2, size=size, p=[0.75, 0.25]), count)  # fmt: skip
    count[surveillance_type == "alpr"] = 1
    first = np.where(np.isnan(facing), rng.integers(0, 360, size), facing).astype(int) % 360
    second = (first + 180 + rng.integers(-30, 31, size)) % 360
    third = (first + 90) % 360
    return [
        (f, s, t)[:n]
        for f, s, t, n in zip(first.tolist(), second.tolist(), third.tolist(), count.tolist(),
                              strict=True)
    ]  # fmt: skip


def _capabilities(rng, surveillance_type, camera_type):
    size = len(surveillance_type)
    stated = [[] for _ in range(size)]
    camera = surveillance_type == "camera"
    for name, odds in STATED_CAPABILITIES:
        for k in np.flatnonzero(camera & (rng.random(size) < odds)).tolist():
            stated[k].append(name)
    for k in np.flatnonzero((camera_type == "dome") & (rng.random(size) < 0.2)).tolist():
        stated[k].append("ptz")
    order = ("face_recognition", "vsa", "alpr", "audio", "thermal", "ptz")
    implied = [
        ({"alpr"} if st == "alpr" else set()) | ({"ptz"} if ct == "panning" else set())
        for st, ct in zip(surveillance_type.tolist(), camera_type.tolist(), strict=True)
    ]
    full = [
        tuple(c for c in order if c in imp or c in s)
        for imp, s in zip(implied, stated, strict=True)
    ]
    return full, [tuple(s) for s in stated]


def _operators(rng, city, kind, surveillance):
    size = len(city)
    roll = rng.random(size)
    private = np.asarray(PRIVATE_OPERATORS, dtype=object)[
        rng.integers(0, len(PRIVATE_OPERATORS), size)
    ]
    operator, operator_type = [""] * size, [""] * size
    for k in range(size):
        if kind[k] != 2 and surveillance[k] == "public" and roll[k] < 0.55:
            spec = CITIES[city[k]]
            operator[k] = f"Ville de {spec.name}" if spec.french else f"City of {spec.name}"
            operator_type[k] = "public"
        elif roll[k] < 0.35 or (surveillance[k] != "public" and roll[k] < 0.6):
            operator[k], operator_type[k] = private[k], "private"
    return operator, operator_type


def make_batch(rng, layout: Layout, graph: WalkGraph | None, first_index: int,
               counts: tuple[int, int, int]) -> CameraBatch:  # fmt: skip
    """One batch: counts are (city, along the graph, countryside) cameras."""
    n_city, n_along, n_country = counts
    size = n_city + n_along + n_country
    lon_c, lat_c, city = _city_points(rng, layout, n_city)
    if graph is not None and n_along:
        lon_a, lat_a, facing_a = _along_graph_points(rng, graph, n_along)
    else:
        lon_a = lat_a = facing_a = np.empty(0)
    lon_r, lat_r = _countryside_points(rng, n_country)
    lon = np.round(np.concatenate([lon_c, lon_a, lon_r]), 7)
    lat = np.round(np.concatenate([lat_c, lat_a, lat_r]), 7)
    kind = np.repeat(np.array([0, 1, 2]), [n_city, n_along, n_country])
    city_all = np.concatenate([city, np.zeros(n_along + n_country, dtype=int)])
    facing = np.concatenate([np.full(n_city, np.nan), facing_a, np.full(n_country, np.nan)])

    surveillance = _pick(rng, SURVEILLANCE, size)
    surveillance[kind == 1] = "public"
    stype = _pick(rng, SURVEILLANCE_TYPES, size)
    ctype = np.where(stype == "camera", _pick(rng, CAMERA_TYPES, size), "").astype(object)
    ctype[stype == "alpr"] = "fixed"
    mount = _pick(rng, MOUNTS, size)
    mount[~np.isin(stype, ["camera", "alpr"])] = ""
    zone = _pick(rng, ZONES, size)
    zone[stype == "alpr"] = "traffic"
    capabilities, stated = _capabilities(rng, stype, ctype)
    operator, operator_type = _operators(
        rng, city_all.tolist(), kind.tolist(), surveillance.tolist()
    )
    ids = CAMERA_ID_BASE + first_index + np.arange(size, dtype=np.int64)
    return CameraBatch(
        osm_id=ids,
        lon=lon,
        lat=lat,
        surveillance=surveillance.tolist(),
        surveillance_type=stype.tolist(),
        camera_type=ctype.tolist(),
        mount=mount.tolist(),
        zone=zone.tolist(),
        directions=_directions(rng, ctype, stype, facing),
        height=_heights_m(rng, size),
        tilt=np.where(rng.random(size) < 0.2, rng.integers(5, 46, size).astype(float), np.nan),
        operator=operator,
        operator_type=operator_type,
        capabilities=capabilities,
        stated_capabilities=stated,
        vendor=_sometimes(rng, VENDORS, 0.25, size),
        ref=[f"CAM-{i - CAMERA_ID_BASE}" if r else "" for i, r in
             zip(ids.tolist(), (rng.random(size) < 0.05).tolist(), strict=True)],
        check_date=_check_dates(rng, size),
        kind=kind,
    )  # fmt: skip


def _heights_m(rng, size: int) -> np.ndarray:
    """40 % of cameras carry a height: log-normal around 4.5 m, in half metres."""
    height = np.round(np.clip(rng.lognormal(np.log(4.5), 0.4, size), 1.5, 40) * 2) / 2
    return np.where(rng.random(size) < 0.4, height, np.nan)


def _sometimes(rng, values: tuple[str, ...], share: float, size: int) -> list[str]:
    picked = np.asarray(values, dtype=object)[rng.integers(0, len(values), size)]
    return np.where(rng.random(size) < share, picked, "").tolist()


def _check_dates(rng, size: int) -> list[str]:
    days = rng.integers(0, 6 * 365, size).tolist()
    dated = (rng.random(size) < 0.2).tolist()
    return [
        (FIRST_CHECK_DATE + timedelta(days=d)).isoformat() if has else ""
        for d, has in zip(days, dated, strict=True)
    ]


def population_counts(cameras: int, segments: int) -> tuple[int, int, int]:
    """(city, along the graph, countryside) totals for a run."""
    along = min(int(cameras * ALONG_GRAPH_SHARE), segments // 4) if segments else 0
    country = int((cameras - along) * COUNTRYSIDE_SHARE)
    return cameras - along - country, along, country


def camera_batches(cameras: int, graph: WalkGraph | None, seed: int,
                   batch_size: int = BATCH_SIZE) -> Iterator[CameraBatch]:  # fmt: skip
    """All synthetic cameras, batch by batch; the same seed gives the same cameras."""
    layout = Layout.build(seed)
    totals = population_counts(cameras, len(graph) if graph is not None else 0)
    for number, start in enumerate(range(0, cameras, batch_size)):
        end = min(cameras, start + batch_size)
        counts = tuple(t * end // cameras - t * start // cameras for t in totals)
        counts = (counts[0] + (end - start) - sum(counts), counts[1], counts[2])
        rng = np.random.default_rng([seed, 2, number])
        yield make_batch(rng, layout, graph, start, counts)
