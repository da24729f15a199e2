"""The real central-Helsinki demo data, for tests that need a city (see the `helsinki` fixture).

Import HELSINKI_BBOX to scope queries to the demo area; the numbers are what the
extract holds (fixtures/helsinki.osm.pbf, ODbL, © OpenStreetMap contributors).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, connections

from mapping.bbox import BBox

HELSINKI_PBF = Path(__file__).resolve().parent.parent / "fixtures" / "helsinki.osm.pbf"
# The extract's header box (every camera lies inside it), MINLON,MINLAT,MAXLON,MAXLAT.
HELSINKI_BBOX = BBox(24.9351762, 60.164155, 24.9534145, 60.179113)
HELSINKI_CAMERAS = 221

COUNT_HELSINKI_ROWS = """
SELECT
  (SELECT count(*) FROM mapping_camera
    WHERE source = 'osm' AND status = 'active' AND location && ST_MakeEnvelope(%s, %s, %s, %s, 4326)),
  (SELECT count(*) FROM mapping_streetsegment WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)),
  (SELECT count(*) FROM mapping_building WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326))
"""


@dataclass(frozen=True)
class HelsinkiData:
    """What the `helsinki` fixture guarantees is in the test database."""

    bbox: BBox
    cameras: int
    segments: int
    buildings: int
    walkable_km: float


_loaded: dict[str, HelsinkiData] = {}


def count_rows(conn=connection) -> tuple[int, int, int]:
    """Active OSM cameras, segments and buildings touching the Helsinki box."""
    with conn.cursor() as cursor:
        cursor.execute(COUNT_HELSINKI_ROWS, HELSINKI_BBOX.as_tuple() * 3)
        return tuple(cursor.fetchone())


def _import_committed() -> None:
    """Import on a fresh connection in another thread, so it commits whatever the caller's
    connection is doing (a test inside its rolled-back transaction included)."""
    failure: list[BaseException] = []

    def work() -> None:
        from mapping.importer import import_file

        try:
            summary = import_file(HELSINKI_PBF)
            rows = count_rows(connections["default"])
            _loaded["data"] = HelsinkiData(
                HELSINKI_BBOX, rows[0], rows[1], rows[2], summary.counts.walkable_km
            )
        except BaseException as error:  # re-raised in the caller's thread
            failure.append(error)
        finally:
            connections.close_all()

    worker = threading.Thread(target=work, name="helsinki-import")
    worker.start()
    worker.join()
    if failure:
        raise failure[0]


def ensure_helsinki() -> HelsinkiData:
    """Make sure the demo data is there; one COUNT query when it already is."""
    data = _loaded.get("data")
    if data is not None and count_rows() == (data.cameras, data.segments, data.buildings):
        return data
    _import_committed()
    return _loaded["data"]
