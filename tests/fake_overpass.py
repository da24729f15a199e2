"""A local stand-in for the Overpass API, serving real OSM data read from a .pbf file.

The only part of the project that is replaced in tests is the network to Overpass.
This server answers on 127.0.0.1 with Overpass JSON built from the Helsinki extract
through pyosmium, evaluating the queries the importer sends: the global [bbox:...],
a union of `node|way|relation|nwr` statements with ["key"] / ["key"="value"] filters,
`out meta;`, `>;` and `out skel qt;`. It is scriptable: queue HTTP errors, cut-off
bodies, runtime-error remarks or delays; edit or delete elements; read back the bboxes
it was asked for.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import osmium

BBOX_RE = re.compile(r"\[bbox:([-\d.]+),([-\d.]+),([-\d.]+),([-\d.]+)\]")
UNION_RE = re.compile(r"\(\s*((?:[^()]*;\s*)+)\)\s*;", re.S)
STATEMENT_RE = re.compile(r"^(node|way|relation|nwr)((?:\[[^\]]+\])*)$")
FILTER_RE = re.compile(r'\["([^"]+)"(?:="([^"]*)")?\]')
TYPES = {"node": ("node",), "way": ("way",), "relation": ("relation",)}
TYPES["nwr"] = ("node", "way", "relation")


class QueryError(ValueError):
    """A query this stand-in does not understand (answered with HTTP 400, like Overpass)."""


@dataclass
class Dataset:
    """OSM elements by type and id, as plain dicts in Overpass JSON shape (with tags)."""

    nodes: dict[int, dict] = field(default_factory=dict)
    ways: dict[int, dict] = field(default_factory=dict)
    relations: dict[int, dict] = field(default_factory=dict)
    tagged: dict[str, list[int]] = field(default_factory=dict)  # candidates for tag filters

    def table(self, kind: str) -> dict[int, dict]:
        return {"node": self.nodes, "way": self.ways, "relation": self.relations}[kind]


class _Loader(osmium.SimpleHandler):
    def __init__(self, data: Dataset) -> None:
        super().__init__()
        self.data = data

    def node(self, n) -> None:
        if not n.location.valid():
            return
        self.data.nodes[n.id] = {
            "type": "node",
            "id": n.id,
            "lat": n.location.lat,
            "lon": n.location.lon,
            "version": n.version,
            "tags": {t.k: t.v for t in n.tags},
        }

    def way(self, w) -> None:
        self.data.ways[w.id] = {
            "type": "way",
            "id": w.id,
            "version": w.version,
            "nodes": [n.ref for n in w.nodes],
            "tags": {t.k: t.v for t in w.tags},
        }

    def relation(self, r) -> None:
        self.data.relations[r.id] = {
            "type": "relation",
            "id": r.id,
            "version": r.version,
            "members": [
                {
                    "type": {"n": "node", "w": "way", "r": "relation"}[m.type],
                    "ref": m.ref,
                    "role": m.role,
                }
                for m in r.members
            ],
            "tags": {t.k: t.v for t in r.tags},
        }


_datasets: dict[Path, Dataset] = {}


def load_dataset(path: Path) -> Dataset:
    """Read a .pbf once per test session; callers get the shared, read-only copy."""
    if path not in _datasets:
        data = Dataset()
        _Loader(data).apply_file(str(path))
        for kind in ("node", "way", "relation"):
            data.tagged[kind] = [i for i, e in data.table(kind).items() if e["tags"]]
        _datasets[path] = data
    return _datasets[path]


@dataclass
class Overlay:
    """Per-test edits over the shared dataset: deleted elements and replaced elements."""

    deleted: set[tuple[str, int]] = field(default_factory=set)
    replaced: dict[tuple[str, int], dict] = field(default_factory=dict)


class FakeOverpass:
    """The server; use as a context manager or call start()/stop()."""

    def __init__(self, pbf: Path) -> None:
        self.data = load_dataset(pbf)
        self.overlay = Overlay()
        self.requests: list[tuple[float, float, float, float]] = []
        self.queries: list[str] = []
        self._script: list[tuple[str, object]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- scripting -----------------------------------------------------------
    def script(self, *answers: tuple[str, object]) -> None:
        """Queue answers, one per request, before normal service resumes:
        ("ok", None) a normal answer; ("status", 504) an HTTP error; ("truncate", 0.5) the
        first half of the body; ("remark", "runtime error: ...") Overpass's in-band error;
        ("delay", seconds) a late normal answer; ("inject", [elements]) a normal answer
        plus elements nobody asked for (a misbehaving server); ("replace", (old, new)) a
        normal answer with every `old` of its text written `new` (what json.dumps cannot
        write, e.g. a number like 1e400)."""
        with self._lock:
            self._script.extend(answers)

    def element(self, kind: str, osm_id: int) -> dict:
        key = (kind, osm_id)
        if key in self.overlay.replaced:
            return self.overlay.replaced[key]
        return self.data.table(kind)[osm_id]

    def edit(self, kind: str, osm_id: int, tags: dict | None = None, **fields) -> None:
        """Change an element (tags replaced, version bumped) for the following requests."""
        current = self.element(kind, osm_id)
        changed = {**current, **fields, "version": current.get("version", 1) + 1}
        if tags is not None:
            changed["tags"] = tags
        self.overlay.replaced[(kind, osm_id)] = changed

    def delete(self, kind: str, osm_id: int) -> None:
        self.overlay.deleted.add((kind, osm_id))

    def add_node(self, osm_id: int, lon: float, lat: float, tags: dict) -> None:
        self.overlay.replaced[("node", osm_id)] = {
            "type": "node",
            "id": osm_id,
            "lat": lat,
            "lon": lon,
            "version": 1,
            "tags": tags,
        }

    # --- evaluation ----------------------------------------------------------
    def _elements(self, kind: str) -> Iterable[dict]:
        added = [e for (k, _), e in self.overlay.replaced.items() if k == kind]
        table = self.data.table(kind)
        for osm_id in self.data.tagged[kind]:
            key = (kind, osm_id)
            if key not in self.overlay.deleted and key not in self.overlay.replaced:
                yield table[osm_id]
        yield from (e for e in added if (kind, e["id"]) not in self.overlay.deleted)

    def _node_at(self, node_id: int) -> dict | None:
        if ("node", node_id) in self.overlay.deleted:
            return None
        return self.overlay.replaced.get(("node", node_id)) or self.data.nodes.get(node_id)

    def _in_box(self, element: dict, box) -> bool:
        south, west, north, east = box

        def node_inside(node_id: int) -> bool:
            node = self._node_at(node_id)
            return (
                node is not None and south <= node["lat"] <= north and west <= node["lon"] <= east
            )

        if element["type"] == "node":
            return node_inside(element["id"])
        if element["type"] == "way":
            return any(node_inside(n) for n in element["nodes"])
        for member in element["members"]:
            if member["type"] == "node" and node_inside(member["ref"]):
                return True
            if member["type"] == "way":
                way = self.data.ways.get(member["ref"])
                if way is not None and any(node_inside(n) for n in way["nodes"]):
                    return True
        return False

    def evaluate(self, query: str) -> dict:
        """Answer a query of the importer's shape with Overpass JSON."""
        box_match = BBOX_RE.search(query)
        union = UNION_RE.search(query)
        if not box_match or not union or "out meta;" not in query:
            raise QueryError("expected [bbox:...], a (...); union and out meta;")
        box = tuple(float(v) for v in box_match.groups())
        self.requests.append(box)
        selected: dict[tuple[str, int], dict] = {}
        for statement in (s.strip() for s in union.group(1).split(";")):
            if not statement:
                continue
            match = STATEMENT_RE.match(statement)
            if not match:
                raise QueryError(f"unsupported statement {statement!r}")
            filters = FILTER_RE.findall(match.group(2))
            for kind in TYPES[match.group(1)]:
                for element in self._elements(kind):
                    tags = element.get("tags", {})
                    if all(k in tags and (not v or tags[k] == v) for k, v in filters) and (
                        self._in_box(element, box)
                    ):
                        selected[(kind, element["id"])] = element
        order = {"node": 0, "way": 1, "relation": 2}
        first = sorted(selected.values(), key=lambda e: (order[e["type"]], e["id"]))
        return {
            "version": 0.6,
            "generator": "Angle Mort fake Overpass (tests)",
            "osm3s": {"copyright": "Data © OpenStreetMap contributors, ODbL 1.0."},
            "elements": [_meta(e) for e in first] + self._recurse_down(first),
        }

    def _recurse_down(self, elements: list[dict]) -> list[dict]:
        """`>;` then `out skel qt;`: member ways of relations, then every node of the ways."""
        ways: dict[int, dict] = {}
        node_ids: list[int] = []
        for element in elements:
            if element["type"] == "way":
                ways[element["id"]] = element
            elif element["type"] == "relation":
                for member in element["members"]:
                    if (
                        member["type"] == "way"
                        and ("way", member["ref"]) not in self.overlay.deleted
                    ):
                        way = self.data.ways.get(member["ref"])
                        if way is not None:
                            ways[way["id"]] = way
                    elif member["type"] == "node":
                        node_ids.append(member["ref"])
        for way in ways.values():
            node_ids.extend(way["nodes"])
        nodes = {n: self._node_at(n) for n in node_ids}
        skel_nodes = [
            {"type": "node", "id": n["id"], "lat": n["lat"], "lon": n["lon"]}
            for n in sorted((n for n in nodes.values() if n), key=lambda n: n["id"])
        ]
        already_out = {e["id"] for e in elements if e["type"] == "way"}
        skel_ways = [
            {"type": "way", "id": w["id"], "nodes": w["nodes"]}
            for w in sorted(ways.values(), key=lambda w: w["id"])
            if w["id"] not in already_out
        ]
        return skel_nodes + skel_ways

    # --- HTTP ----------------------------------------------------------------
    def answer(self, query: str) -> tuple[int, bytes]:
        with self._lock:
            scripted = self._script.pop(0) if self._script else None
        if scripted and scripted[0] == "status":
            self.queries.append(query)
            return int(scripted[1]), b"<html><body><p>scripted error</p></body></html>"
        if scripted and scripted[0] == "delay":
            time.sleep(float(scripted[1]))
        self.queries.append(query)
        try:
            body = self.evaluate(query)
        except QueryError as error:
            return 400, f'<p><strong style="color:#FF0000">Error</strong>: {error} </p>'.encode()
        if scripted and scripted[0] == "inject":
            body = {**body, "elements": body["elements"] + list(scripted[1])}
        if scripted and scripted[0] == "remark":
            body = {**body, "elements": [], "remark": str(scripted[1])}
        data = json.dumps(body).encode()
        if scripted and scripted[0] == "replace":
            old, new = scripted[1]
            data = data.replace(old.encode(), new.encode())
        if scripted and scripted[0] == "truncate":
            data = data[: int(len(data) * float(scripted[1]))]
        return 200, data

    def start(self) -> FakeOverpass:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                form = parse_qs(raw)
                self._respond(form["data"][0] if "data" in form else raw)

            def do_GET(self):
                query = parse_qs(self.path.partition("?")[2]).get("data", [""])[0]
                self._respond(query)

            def _respond(self, query: str) -> None:
                status, data = fake.answer(query)
                self.send_response(status)
                ctype = "application/json" if status == 200 else "text/html"
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:  # keep test output clean
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/interpreter"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOverpass:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _meta(element: dict) -> dict:
    """`out meta`: the element as stored (tags, version), without empty tags."""
    out = {k: v for k, v in element.items() if k != "tags"}
    if element.get("tags"):
        out["tags"] = element["tags"]
    return out
