"""The cameras an import writes: identities and places as arrays, COPY lines on demand.

Cameras reach the writers two ways. Camera nodes of a file osmium reads (.pbf, .osm)
have their COPY fields made by the reader as it meets them (CameraNodeRows): osmium has
just built their tag dict in C++, and the fields are made from it there and then, so no
CameraElement, and no dict, is kept per camera. Everything else (camera ways and
relations, Overpass answers saved as JSON) comes as CameraElements, whose fields are
made as they are written. CameraRows puts both behind what every writer needs: the
identities and places as numpy arrays (which camera of a repeated identity to keep, the
geohash order) and the COPY lines of any rows, in any order, as UTF-8, with the place in
the form the writer's table takes.

Why the reader makes the fields: then a COPY is the server's work alone, and two
sessions share it; and the reading, now most of the Python, is what several processes
share (mapping.osm.parallel_read). On the 2.5 million synthetic cameras (2026-12-04, in
the same hour): read as CameraElements, 19.6 s, then 24 s of COPY with the lines made
in it; read as rows by one process, 27.5 s, then a COPY of 15-19 s; by two, 17-20 s and
12-13 s.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import attrgetter

import numpy as np

from mapping import camera_lines
from mapping.osm.extract import CameraElement
from mapping.osm.tags import NormalisedCamera, normalise_camera_tags

KIND_CODES = {"node": 0, "way": 1, "relation": 2}
NODE = "node"
# What a camera's density dims depend on, besides its source and status.
_DIMS_FIELDS = attrgetter("surveillance", "surveillance_type", "camera_type", "capabilities")
_dims_by_fields: dict[tuple, int] = {}


def first_import_dims(camera: NormalisedCamera) -> int:
    """The density dims of a camera a first import writes (mapping.density.dimensions),
    looked up: a few hundred combinations of fields cover millions of cameras."""
    fields = _DIMS_FIELDS(camera)
    dims = _dims_by_fields.get(fields)
    if dims is None:
        from mapping.density.dimensions import first_import_dims as packed  # needs the models

        dims = _dims_by_fields[fields] = packed(*fields)
    return dims


class CameraNodeRows:
    """Camera nodes read from a file, each as its COPY fields (camera_lines.COLUMNS).

    The fields of every row are kept end to end in one buffer of UTF-8 text, row k from
    ends[k - 1] to ends[k]: a third of the memory a CameraElement with its tag dict
    took, less than a string per row takes, and a buffer that processes forked to
    write the rows read without touching (a string per row is copied into each of
    them, page by page, as they count references to it). It is also what a process
    reading part of a file (mapping.osm.parallel_read) sends back as it is: 1.25 million
    rows as strings took 0.6 s to encode and 0.9 s to decode.
    """

    __slots__ = ("dims", "ends", "ids", "lats", "lons", "text", "unparsed")

    def __init__(self) -> None:
        self.text = bytearray()
        self.ends = array("q")
        self.ids = array("q")
        # array("d") hands back Python floats: their repr is the COPY text of the place.
        self.lons = array("d")
        self.lats = array("d")
        # Each row's density dims as a first import writes it: the density cells are then
        # counted from these arrays, not by PostgreSQL from the rows written (5-6 s).
        self.dims = array("H")
        # Row -> keys whose values could not be read, for the rows that have some:
        # counted when the row is written, so a repeated identity counts once.
        self.unparsed: dict[int, tuple[str, ...]] = {}

    def add(
        self, osm_id: int, version: int | None, lon: float, lat: float, tags: dict[str, str]
    ) -> None:
        fields, camera = camera_lines.camera_row(NODE, osm_id, version, tags)
        if camera.unparsed:
            self.unparsed[len(self.ends)] = camera.unparsed
        text = self.text
        text += fields.encode()
        self.ends.append(len(text))
        self.ids.append(osm_id)
        self.lons.append(lon)
        self.lats.append(lat)
        self.dims.append(first_import_dims(camera))

    def fields(self, row: int) -> bytes:
        """Row's COPY fields, as UTF-8."""
        return bytes(self.text[self.ends[row - 1] if row else 0 : self.ends[row]])

    def extend(self, other: CameraNodeRows) -> None:
        """other's rows after these (another run of the same file's blocks)."""
        rows, size = len(self.ends), len(self.text)
        self.text += other.text
        self.ends.frombytes((np.frombuffer(other.ends, dtype=np.int64) + size).tobytes())
        self.ids.extend(other.ids)
        self.lons.extend(other.lons)
        self.lats.extend(other.lats)
        self.dims.extend(other.dims)
        self.unparsed.update((rows + row, keys) for row, keys in other.unparsed.items())

    def __len__(self) -> int:
        return len(self.ends)

    def __getstate__(self) -> tuple:
        return self.text, self.ends, self.ids, self.lons, self.lats, self.dims, self.unparsed

    def __setstate__(self, state: tuple) -> None:
        self.text, self.ends, self.ids, self.lons, self.lats, self.dims, self.unparsed = state


class CameraRows:
    """Every camera one import read, in reading order: the nodes read as rows first (a
    file holds its nodes before its ways and relations), then the elements.

    kinds (KIND_CODES), ids, lons and lats are numpy arrays, one entry per row.
    """

    def __init__(
        self, nodes: CameraNodeRows | None = None, elements: Sequence[CameraElement] = ()
    ) -> None:
        self._nodes = nodes if nodes is not None else CameraNodeRows()
        self._elements = elements
        made, count = len(self._nodes), len(elements)
        self.kinds = np.concatenate(
            [
                np.zeros(made, dtype=np.int8),
                np.fromiter((KIND_CODES[e.osm_type] for e in elements), np.int8, count),
            ]
        )
        self.ids = np.concatenate(
            [
                np.frombuffer(self._nodes.ids, dtype=np.int64),
                np.fromiter((e.osm_id for e in elements), np.int64, count),
            ]
        )
        self.lons = np.concatenate(
            [
                np.frombuffer(self._nodes.lons, dtype=np.float64),
                np.fromiter((e.lon for e in elements), np.float64, count),
            ]
        )
        self.lats = np.concatenate(
            [
                np.frombuffer(self._nodes.lats, dtype=np.float64),
                np.fromiter((e.lat for e in elements), np.float64, count),
            ]
        )

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def elements_count(self) -> int:
        """How many rows are elements (their fields not made yet)."""
        return len(self._elements)

    @property
    def all_made(self) -> bool:
        """Whether every row's fields are made already (writing them is joining text)."""
        return not self._elements

    def first_of_each_identity(self) -> np.ndarray:
        """Indexes, in reading order, of the first row of each (osm_type, osm_id)."""
        count = len(self)
        ids, kinds = self.ids, self.kinds
        # A .pbf's nodes come sorted by id, each once: then every row is a first, and
        # checking it is 0.01 s where sorting 2.5 million identities took 0.3.
        if (kinds == 0).all() and (ids[1:] > ids[:-1]).all():
            return np.arange(count)
        # Sorted by id, then kind, then reading order: each identity's first row leads.
        by_identity = np.lexsort((np.arange(count), kinds, ids))
        ids, kinds = ids[by_identity], kinds[by_identity]
        leads = np.ones(count, dtype=bool)
        leads[1:] = (ids[1:] != ids[:-1]) | (kinds[1:] != kinds[:-1])
        return np.sort(by_identity[leads])

    def first_import_dims(self, indexes: np.ndarray) -> np.ndarray:
        """The density dims of the rows of indexes, as a first import writes them."""
        made = len(self._nodes)
        indexes = np.asarray(indexes, dtype=np.int64)
        dims = np.empty(len(indexes), dtype=np.int64)
        inside = indexes < made
        dims[inside] = np.frombuffer(self._nodes.dims, dtype=np.uint16)[indexes[inside]]
        for k in np.flatnonzero(~inside).tolist():
            tags = self._elements[int(indexes[k]) - made].tags
            dims[k] = first_import_dims(normalise_camera_tags(tags))
        return dims

    def lines(
        self,
        indexes: Iterable[int],
        unparsed: Counter[str],
        place: Callable[[float, float], bytes],
    ) -> Iterator[bytes]:
        """The COPY line of each row of indexes, as UTF-8: its fields, then place(lon, lat).

        Counts into unparsed, key by key, the values of those rows that could not be read.
        """
        nodes = self._nodes
        made, text, ends, lons, lats = len(nodes), nodes.text, nodes.ends, nodes.lons, nodes.lats
        made_unparsed = nodes.unparsed.get
        elements, camera_fields = self._elements, camera_lines.camera_fields
        for k in indexes:
            if k < made:
                keys = made_unparsed(k)
                if keys:
                    unparsed.update(keys)
                yield b"".join(
                    (text[ends[k - 1] if k else 0 : ends[k]], b"\t", place(lons[k], lats[k]), b"\n")
                )
            else:
                e = elements[k - made]
                fields, keys = camera_fields(e.osm_type, e.osm_id, e.version, e.tags)
                if keys:
                    unparsed.update(keys)
                yield b"".join((fields.encode(), b"\t", place(e.lon, e.lat), b"\n"))

    def ewkb_chunks(
        self, indexes: np.ndarray, unparsed: Counter[str], rows: int = 5000
    ) -> Iterator[tuple[int, bytes]]:
        """The lines of indexes as lines() writes them with point_ewkb, rows at a time:
        each chunk's number of lines and its bytes.

        For the camera table's COPY, where a made row is only copied out: its places are
        made by numpy for the whole chunk (camera_lines.ewkb_places), and its fields are
        sliced out of the buffer without a copy, so one join copies each byte once. For
        1.25 million lines, 0.9 s of Python instead of 2.5 (2026-12-04), with the cycle
        collector paused (mapping.collector): the slices are tracked objects.
        """
        nodes = self._nodes
        made, ends = len(nodes), np.frombuffer(nodes.ends, dtype=np.int64)
        starts = np.concatenate(([0], ends[:-1]))
        text = memoryview(nodes.text)
        made_unparsed = nodes.unparsed.get
        elements, camera_fields = self._elements, camera_lines.camera_fields
        width = camera_lines.PLACE_BYTES
        for first in range(0, len(indexes), rows):
            chunk = np.asarray(indexes[first : first + rows], dtype=np.int64)
            places = memoryview(camera_lines.ewkb_places(self.lons[chunk], self.lats[chunk]))
            inside = chunk[chunk < made]
            begins, stops = starts[inside].tolist(), ends[inside].tolist()
            pieces: list = []
            append, at, node = pieces.append, 0, 0
            for k in chunk.tolist():
                if k < made:
                    keys = made_unparsed(k)
                    if keys:
                        unparsed.update(keys)
                    append(text[begins[node] : stops[node]])
                    node += 1
                else:
                    e = elements[k - made]
                    fields, keys = camera_fields(e.osm_type, e.osm_id, e.version, e.tags)
                    if keys:
                        unparsed.update(keys)
                    append(fields.encode())
                append(places[at : at + width])
                at += width
            yield len(chunk), b"".join(pieces)


def as_rows(cameras: CameraRows | Sequence[CameraElement]) -> CameraRows:
    """CameraRows of cameras, which may be CameraRows already."""
    return cameras if isinstance(cameras, CameraRows) else CameraRows(None, cameras)
