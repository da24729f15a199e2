"""Write small, real OSM files for tests with pyosmium's own writer.

Everything is placed around TESTVILLE, an area no other test uses (factories build in
Paris, the demo data is Helsinki), so assertions can be scoped to its box.
"""

from __future__ import annotations

import bz2
import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

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


Point = tuple[float, float] | None  # lon, lat; None where `out geom(bbox)` cropped the node


@dataclass
class OverpassAnswer:
    """An Overpass answer written as the server writes it in XML (.osm) or in JSON.

    Ways and relations are as `out geom` prints them (`out meta geom` with meta): no node
    of a way, each way and each member way of a relation carrying its points, a cropped
    point an empty <nd/> or a null. Those added with a centre are as `out center` prints
    them: node ids and members without points, and the centre of their box; without node
    ids or members, as `out tags center` prints them. One answer may hold both, as one
    query with an `out geom` and an `out center` gives.
    """

    meta: bool = False
    box: BBox = TESTVILLE_BBOX
    nodes: list[tuple[int, tuple[float, float], dict]] = field(default_factory=list)
    ways: list[tuple[int, list[tuple[int, Point]], dict]] = field(default_factory=list)
    relations: list[tuple[int, list[tuple[str, int, str, list[Point]]], dict]] = field(
        default_factory=list
    )
    centres: dict[tuple[str, int], tuple[float, float]] = field(default_factory=dict)

    def node(self, osm_id: int, lonlat: tuple[float, float], tags: dict):
        self.nodes.append((osm_id, lonlat, tags))
        return self

    def way(self, osm_id: int, nodes: list[tuple[int, Point]], tags: dict):
        """nodes: (node id, its point or None where cropped)."""
        self.ways.append((osm_id, nodes, tags))
        return self

    def relation(self, osm_id: int, members: list[tuple[str, int, str, list[Point]]], tags: dict):
        """members: (type, ref, role, points); a way member's points, [] for other types."""
        self.relations.append((osm_id, members, tags))
        return self

    def way_with_centre(
        self, osm_id: int, node_ids: list[int], centre: tuple[float, float], tags: dict
    ):
        """`out center`: the way's node ids, no points, and its box's centre (lon, lat)."""
        self.ways.append((osm_id, [(ref, None) for ref in node_ids], tags))
        self.centres["way", osm_id] = centre
        return self

    def relation_with_centre(
        self,
        osm_id: int,
        members: list[tuple[str, int, str]],
        centre: tuple[float, float],
        tags: dict,
    ):
        """`out center`: the relation's members (type, ref, role), no points, and its
        box's centre (lon, lat)."""
        self.relations.append(
            (osm_id, [(kind, ref, role, []) for kind, ref, role in members], tags)
        )
        self.centres["relation", osm_id] = centre
        return self

    def _version(self, osm_id: int) -> int | None:
        return osm_id % 7 + 1 if self.meta else None

    def write_xml(self, path: Path) -> Path:
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<osm version="0.6" generator="Overpass API 0.7.62.1 084b4234">',
            "<note>The data included in this document is from www.openstreetmap.org. "
            "The data is made available under ODbL.</note>",
            '<meta osm_base="2024-05-01T10:00:00Z"/>',
            "",
            f'  <bounds minlat="{self.box.min_lat:.7f}" minlon="{self.box.min_lon:.7f}" '
            f'maxlat="{self.box.max_lat:.7f}" maxlon="{self.box.max_lon:.7f}"/>',
            "",
        ]
        for osm_id, (lon, lat), tags in self.nodes:
            lines.append(
                f'  <node id="{osm_id}" lat="{lat:.7f}" lon="{lon:.7f}"{self._meta(osm_id)}>'
            )
            lines += [*_xml_tags(tags), "  </node>"]
        for osm_id, nodes, tags in self.ways:
            lines.append(f'  <way id="{osm_id}"{self._meta(osm_id)}>')
            lines += self._xml_box("way", osm_id, [point for _, point in nodes])
            for ref, point in nodes:
                place = f' lat="{point[1]:.7f}" lon="{point[0]:.7f}"' if point else ""
                lines.append(f'    <nd ref="{ref}"{place}/>')
            lines += [*_xml_tags(tags), "  </way>"]
        for osm_id, members, tags in self.relations:
            lines.append(f'  <relation id="{osm_id}"{self._meta(osm_id)}>')
            lines += self._xml_box("relation", osm_id, [p for *_, pts in members for p in pts])
            for kind, ref, role, points in members:
                member = f'    <member type="{kind}" ref="{ref}" role="{role}"'
                if not any(points):
                    lines.append(member + "/>")
                    continue
                lines.append(member + ">")
                for point in points:
                    place = f' lat="{point[1]:.7f}" lon="{point[0]:.7f}"' if point else ""
                    lines.append(f"      <nd{place}/>")
                lines.append("    </member>")
            lines += [*_xml_tags(tags), "  </relation>"]
        lines += ["", "</osm>", ""]
        _write(path, "\n".join(lines))
        return path

    def write_json(self, path: Path) -> Path:
        elements: list[dict] = []
        for osm_id, (lon, lat), tags in self.nodes:
            elements.append(
                {"type": "node", "id": osm_id, **self._json_meta(osm_id), "lat": _fixed(lat),
                 "lon": _fixed(lon), "tags": tags}
            )  # fmt: skip
        for osm_id, nodes, tags in self.ways:
            points = [point for _, point in nodes]
            way = {"type": "way", "id": osm_id, **self._json_meta(osm_id)}
            if ("way", osm_id) in self.centres:
                way["center"] = _json_point(self.centres["way", osm_id])
                if nodes:  # none from `out tags center`
                    way["nodes"] = [ref for ref, _ in nodes]
            else:
                way.update(**_json_bounds(points), nodes=[ref for ref, _ in nodes],
                           geometry=[_json_point(point) for point in points])  # fmt: skip
            elements.append({**way, "tags": tags})
        for osm_id, members, tags in self.relations:
            written = []
            for kind, ref, role, points in members:
                member = {"type": kind, "ref": ref, "role": role}
                if any(points):
                    member["geometry"] = [_json_point(point) for point in points]
                written.append(member)
            relation = {"type": "relation", "id": osm_id, **self._json_meta(osm_id)}
            if ("relation", osm_id) in self.centres:
                relation["center"] = _json_point(self.centres["relation", osm_id])
            else:
                relation.update(_json_bounds([p for *_, points in members for p in points]))
            if written or ("relation", osm_id) not in self.centres:
                relation["members"] = written  # none from `out tags center`
            elements.append({**relation, "tags": tags})
        answer = {"version": 0.6, "generator": "Overpass API 0.7.62.1 084b4234",
                  "osm3s": {"timestamp_osm_base": "2024-05-01T10:00:00Z"}, "elements": elements}  # fmt: skip
        _write(path, json.dumps(answer, indent=1))
        return path

    def _xml_box(self, kind: str, osm_id: int, points: list[Point]) -> list[str]:
        """The <center> `out center` gives, or the <bounds> `out geom` gives."""
        centre = self.centres.get((kind, osm_id))
        if centre is None:
            return _xml_bounds(points)
        return [f'    <center lat="{centre[1]:.7f}" lon="{centre[0]:.7f}"/>']

    def _meta(self, osm_id: int) -> str:
        version = self._version(osm_id)
        if version is None:
            return ""
        return (
            f' version="{version}" timestamp="2024-04-01T08:00:00Z" changeset="1" uid="1" user="a"'
        )

    def _json_meta(self, osm_id: int) -> dict:
        version = self._version(osm_id)
        if version is None:
            return {}
        return {"timestamp": "2024-04-01T08:00:00Z", "version": version, "changeset": 1,
                "user": "a", "uid": 1}  # fmt: skip


def _fixed(value: float) -> float:
    """A coordinate as Overpass prints it: seven decimals."""
    return float(f"{value:.7f}")


def _json_point(point: Point) -> dict | None:
    return None if point is None else {"lat": _fixed(point[1]), "lon": _fixed(point[0])}


def _json_bounds(points: list[Point]) -> dict:
    located = [point for point in points if point]
    if not located:
        return {}
    lons, lats = [p[0] for p in located], [p[1] for p in located]
    return {"bounds": {"minlat": _fixed(min(lats)), "minlon": _fixed(min(lons)),
                       "maxlat": _fixed(max(lats)), "maxlon": _fixed(max(lons))}}  # fmt: skip


def _xml_bounds(points: list[Point]) -> list[str]:
    bounds = _json_bounds(points).get("bounds")
    if bounds is None:
        return []
    return [
        f'    <bounds minlat="{bounds["minlat"]:.7f}" minlon="{bounds["minlon"]:.7f}" '
        f'maxlat="{bounds["maxlat"]:.7f}" maxlon="{bounds["maxlon"]:.7f}"/>'
    ]


def _xml_tags(tags: dict) -> list[str]:
    return [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]


def _write(path: Path, text: str) -> None:
    """Compressed as its suffix says (.bz2 or .gz), as osmium reads it."""
    data = text.encode()
    if path.suffix == ".bz2":
        data = bz2.compress(data)
    elif path.suffix == ".gz":
        data = gzip.compress(data)
    path.write_bytes(data)
