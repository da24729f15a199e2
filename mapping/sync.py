"""Write an OsmExtract to the database, set-based, inside the caller's transaction.

Rows are streamed with COPY into temporary tables, then a handful of statements do
the rest over all rows at once: upsert cameras keyed by (osm_type, osm_id), mark the
area's vanished cameras removed, and swap the area's street segments and buildings
for the new ones while keeping the rows that did not change (so their ids, and the
exposure computed for them, survive a re-import). No ORM save() per row: a whole
city is a few hundred milliseconds, a synthetic country tens of thousands of
cameras a second. The cameras of a first import into an empty table skip the staging
table: one COPY straight in (mapping.first_load).

The caller (mapping.importer) owns the transaction; nothing here commits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection

from mapping import bulk_load, camera_lines, copy_text, first_load, parallel_load
from mapping.bbox import BBox
from mapping.camera_rows import CameraRows
from mapping.density import first_fill
from mapping.osm.extract import OsmExtract
from mapping.osm.walkable import split_at_junctions

# The staging table's columns: the lines' own, then the place as two numbers.
CAMERA_COLUMNS = (*camera_lines.COLUMNS, "lon", "lat")
# Normalised fields compared to decide whether an existing camera changed.
CAMERA_DATA_FIELDS = ("osm_version", "location", *camera_lines.NORMALISED, "tags")

CREATE_CAMERA_STAGE = """
DROP TABLE IF EXISTS pg_temp.import_camera;
CREATE TEMP TABLE import_camera (
    osm_type text, osm_id bigint, osm_version integer, lon float8, lat float8,
    surveillance text, surveillance_type text, zone text, camera_type text, mount text,
    directions float8[], tilt float8, height float8, operator text, operator_type text,
    capabilities text[], vendor text, name text, ref text, fixme text, check_date date,
    tags jsonb
) ON COMMIT DROP
"""

# The anti-joins below look rows up here by id; without an index, a planner that has not
# seen the freshly inserted rows picks a nested loop and a big import turns quadratic.
# Statistics of the two key columns are all those joins need: analysing every column
# (the tags JSON above all) cost more than the joins themselves.
INDEX_CAMERA_STAGE = """
CREATE INDEX ON import_camera (osm_id, osm_type);
ANALYZE import_camera (osm_id, osm_type)
"""

CAMERA_TABLE = "mapping_camera"
# The planner's statistics after a bulk load, for the columns the map and the API filter
# on; the tags JSON, costly to sample, waits for autovacuum's ANALYZE.
ANALYZE_LOADED_CAMERAS = f"ANALYZE {CAMERA_TABLE} (location, source, status, osm_type, osm_id)"

# Whether any OpenStreetMap camera exists yet (the camera_source_status index answers).
HAS_OSM_CAMERAS = "SELECT EXISTS (SELECT 1 FROM mapping_camera WHERE source = 'osm')"


def _camera_values(prefix: str) -> str:
    """The compared columns as a row, from mapping_camera (c.) or the staged import (i.)."""
    if prefix == "c":
        return "(" + ", ".join(f"c.{name}" for name in CAMERA_DATA_FIELDS) + ")"
    staged = {"location": "ST_SetSRID(ST_MakePoint(i.lon, i.lat), 4326)"}
    staged["capabilities"] = "i.capabilities::varchar[]"
    return "(" + ", ".join(staged.get(name, f"i.{name}") for name in CAMERA_DATA_FIELDS) + ")"


# Existing OSM cameras whose data changed, or that come back after being marked removed.
# Two plain statements (UPDATE, then INSERT of the rest) are markedly faster than one
# INSERT ... ON CONFLICT over hundreds of thousands of rows, and the counts come back
# as two numbers rather than a row per camera.
UPDATE_CHANGED_CAMERAS = f"""
WITH changed AS (
    UPDATE mapping_camera AS c
    SET ({", ".join(CAMERA_DATA_FIELDS)}) = {_camera_values("i")},
        status = 'active', removed_at = NULL, last_seen = %(now)s, updated_at = %(now)s
    FROM import_camera AS i
    WHERE c.source = 'osm' AND c.osm_type = i.osm_type AND c.osm_id = i.osm_id
      AND (c.status <> 'active' OR {_camera_values("c")} IS DISTINCT FROM {_camera_values("i")})
    RETURNING 1
)
SELECT count(*) FROM changed
"""

# New cameras go in ordered by location: PostGIS sorts points along a Hilbert curve, so
# the cameras of one area land in neighbouring pages and a map viewport reads a few
# pages instead of one per camera. {new_only} is one of the two constant filters below.
INSERT_CAMERAS = """
INSERT INTO mapping_camera (
    source, osm_type, osm_id, osm_version, location, surveillance, surveillance_type, zone,
    camera_type, mount, directions, tilt, height, operator, operator_type, capabilities,
    vendor, name, ref, fixme, check_date, tags, status, confirmations, first_seen,
    last_seen, removed_at, updated_at
)
SELECT
    'osm', osm_type, osm_id, osm_version, location,
    surveillance, surveillance_type, zone, camera_type, mount, directions, tilt, height,
    operator, operator_type, capabilities::varchar[], vendor, name, ref, fixme, check_date,
    tags, 'active', 0, %(now)s, %(now)s, NULL, %(now)s
FROM import_camera AS i
CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint(i.lon, i.lat), 4326) AS location) AS p
WHERE {new_only}
ORDER BY location
"""
ONLY_ABSENT = """NOT EXISTS (
    SELECT 1 FROM mapping_camera AS c
    WHERE c.source = 'osm' AND c.osm_type = i.osm_type AND c.osm_id = i.osm_id
)"""
# The first import into a table without OpenStreetMap cameras: every staged camera is new
# (the staging holds each identity once). Should another import commit cameras meanwhile,
# the unique constraint refuses the duplicates and this import rolls back whole.
EVERY_ROW = "true"
INSERT_NEW_CAMERAS = INSERT_CAMERAS.format(new_only=ONLY_ABSENT)
INSERT_FIRST_CAMERAS = INSERT_CAMERAS.format(new_only=EVERY_ROW)

# Active OSM cameras inside the imported area (edges included, exactly: the position index,
# mapping/plane_point.py) that the import no longer contains. An area given as a polygon
# (mapping/osm/poly.py, a regional extract's) counts only inside it; the polygon test of
# each statement deciding absence is true without one.
MARK_REMOVED_CAMERAS = """
UPDATE mapping_camera AS c
SET status = 'removed', removed_at = %(now)s, updated_at = %(now)s
WHERE c.source = 'osm' AND c.status = 'active' AND c.updated_at < %(now)s
  AND c.position <@ box(point(%(min_lon)s, %(min_lat)s), point(%(max_lon)s, %(max_lat)s))
  AND (%(shape)s::text IS NULL OR ST_Covers(ST_GeomFromText(%(shape)s::text, 4326), c.location))
  AND NOT EXISTS (
      SELECT 1 FROM import_camera i WHERE i.osm_type = c.osm_type AND i.osm_id = c.osm_id
  )
"""

CREATE_SEGMENT_STAGE = """
DROP TABLE IF EXISTS pg_temp.import_segment;
CREATE TEMP TABLE import_segment (
    way_id bigint, source bigint, target bigint, geom geometry(LineString, 4326),
    highway text, name text
) ON COMMIT DROP
"""

INDEX_SEGMENT_STAGE = """
CREATE INDEX ON import_segment (way_id, source, target);
ANALYZE import_segment
"""

# Existing segments of the area (or of a re-imported way) with no identical new segment.
# "Of the area" means a vertex inside it: a way that only crosses the area is not in an
# extract (nor, from a sparse server, in an answer), so its segments are not ours to drop.
DELETE_STALE_SEGMENTS = """
DELETE FROM mapping_streetsegment AS s
WHERE (s.way_id IN (SELECT way_id FROM import_segment)
       OR (%(has_area)s
           AND s.geom && ST_MakeEnvelope(%(min_lon)s, %(min_lat)s, %(max_lon)s, %(max_lat)s, 4326)
           AND ST_Intersects(ST_Points(s.geom), ST_MakeEnvelope(
               %(min_lon)s, %(min_lat)s, %(max_lon)s, %(max_lat)s, 4326))
           AND (%(shape)s::text IS NULL
                OR ST_Intersects(ST_Points(s.geom), ST_GeomFromText(%(shape)s::text, 4326)))))
  AND NOT EXISTS (
      SELECT 1 FROM import_segment i
      WHERE i.way_id = s.way_id AND i.source = s.source AND i.target = s.target
        AND i.geom = s.geom AND i.highway = s.highway AND i.name = s.name
  )
"""

INSERT_NEW_SEGMENTS = """
INSERT INTO mapping_streetsegment (
    way_id, source, target, geom, length_m, highway, name, exposed_m, weighted_exposure,
    camera_ids
)
SELECT i.way_id, i.source, i.target, i.geom, ST_Length(i.geom::geography), i.highway, i.name,
       0, 0, '{}'
FROM import_segment i
WHERE NOT EXISTS (
    SELECT 1 FROM mapping_streetsegment s
    WHERE s.way_id = i.way_id AND s.source = i.source AND s.target = i.target
      AND s.geom = i.geom AND s.highway = i.highway AND s.name = i.name
)
"""

WALKABLE_TOTALS = """
SELECT count(*), coalesce(sum(ST_Length(geom::geography)), 0) FROM import_segment
"""

CREATE_BUILDING_STAGE = """
DROP TABLE IF EXISTS pg_temp.import_building;
CREATE TEMP TABLE import_building (osm_type text, osm_id bigint, geometry text) ON COMMIT DROP
"""

# Polygons arrive ready (hex WKB from osmium) or as ring lines (Overpass) to assemble here;
# ST_Normalize puts rings and vertices in a canonical order, so the same building read
# from a .pbf and from Overpass is the same geometry and a re-import changes nothing.
BUILD_BUILDINGS = """
DROP TABLE IF EXISTS pg_temp.import_building_geom;
CREATE TEMP TABLE import_building_geom ON COMMIT DROP AS
SELECT osm_type, osm_id, geom FROM (
    SELECT DISTINCT ON (osm_type, osm_id) osm_type, osm_id,
           ST_Normalize(ST_Multi(ST_CollectionExtract(
               CASE WHEN ST_Dimension(g) = 2 THEN
                    CASE WHEN ST_IsValid(g) THEN g ELSE ST_MakeValid(g) END
               ELSE ST_BuildArea(g) END, 3))) AS geom
    FROM (SELECT osm_type, osm_id, ST_SetSRID(geometry::geometry, 4326) AS g
          FROM import_building) AS raw
    ORDER BY osm_type, osm_id
) AS built
WHERE geom IS NOT NULL AND NOT ST_IsEmpty(geom)
"""

INDEX_BUILDING_STAGE = """
CREATE INDEX ON import_building_geom (osm_id, osm_type);
ANALYZE import_building_geom
"""

UPSERT_BUILDINGS = """
INSERT INTO mapping_building AS b (osm_type, osm_id, geom)
SELECT osm_type, osm_id, geom FROM import_building_geom
ON CONFLICT (osm_type, osm_id) DO UPDATE SET geom = EXCLUDED.geom
WHERE b.geom IS DISTINCT FROM EXCLUDED.geom
RETURNING (xmax = 0) AS inserted
"""

# The outlines an import replaces or deletes are kept for the transaction: the cameras
# near where a building stood see differently now (mapping.import_scope).
CREATE_BUILDING_GONE = """
DROP TABLE IF EXISTS pg_temp.import_building_gone;
CREATE TEMP TABLE import_building_gone (geom geometry) ON COMMIT DROP
"""

# Before the upsert rewrites them: the stored outlines of buildings whose outline changed.
KEEP_REPLACED_OUTLINES = """
INSERT INTO import_building_gone (geom)
SELECT b.geom
FROM import_building_geom AS i
JOIN mapping_building AS b ON b.osm_type = i.osm_type AND b.osm_id = i.osm_id
WHERE b.geom IS DISTINCT FROM i.geom
"""

DELETE_STALE_BUILDINGS = """
WITH gone AS (
    DELETE FROM mapping_building AS b
    WHERE b.geom && ST_MakeEnvelope(%(min_lon)s, %(min_lat)s, %(max_lon)s, %(max_lat)s, 4326)
      AND ST_Intersects(ST_Points(b.geom),
                        ST_MakeEnvelope(%(min_lon)s, %(min_lat)s, %(max_lon)s, %(max_lat)s, 4326))
      AND (%(shape)s::text IS NULL
           OR ST_Intersects(ST_Points(b.geom), ST_GeomFromText(%(shape)s::text, 4326)))
      AND NOT EXISTS (
          SELECT 1 FROM import_building_geom i
          WHERE i.osm_type = b.osm_type AND i.osm_id = b.osm_id
      )
    RETURNING b.geom
)
INSERT INTO import_building_gone (geom) SELECT geom FROM gone
"""

COUNT_BUILDINGS = "SELECT count(*) FROM import_building_geom"


@dataclass
class SyncCounts:
    """What one import changed; ``changed`` says whether derived data needs recomputing."""

    cameras_new: int = 0
    cameras_updated: int = 0
    cameras_removed: int = 0
    cameras_unchanged: int = 0
    segments: int = 0
    segments_added: int = 0
    segments_removed: int = 0
    walkable_km: float = 0.0
    buildings: int = 0
    buildings_added: int = 0
    buildings_updated: int = 0
    buildings_removed: int = 0
    unparsed: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(
            self.cameras_new
            or self.cameras_updated
            or self.cameras_removed
            or self.segments_added
            or self.segments_removed
            or self.buildings_added
            or self.buildings_updated
            or self.buildings_removed
        )

    def as_dict(self, cameras_only: bool = False) -> dict:
        """The counts as stored in ImportRun.counts; without the streets' and buildings'
        when the import read none (their zeros would read as an empty graph)."""
        data = dict(vars(self))
        data["walkable_km"] = round(self.walkable_km, 3)
        if cameras_only:
            for key in STREET_AND_BUILDING_COUNTS:
                del data[key]
        return data


STREET_AND_BUILDING_COUNTS = (
    "segments",
    "segments_added",
    "segments_removed",
    "walkable_km",
    "buildings",
    "buildings_added",
    "buildings_updated",
    "buildings_removed",
)


def _area_params(area: BBox | None) -> dict:
    """The area's rectangle, and its polygon's WKT when it has one (PolygonArea)."""
    box = area.as_tuple() if area else (0.0, 0.0, 0.0, 0.0)
    return dict(zip(("min_lon", "min_lat", "max_lon", "max_lat"), box, strict=True)) | {
        "has_area": area is not None,
        "shape": getattr(area, "wkt", None) or None,
    }


@contextmanager
def without_nested_loops(cursor) -> Iterator[None]:
    """The planner avoids nested loops for the statements in the body, then is as before.

    For the anti-join of MARK_REMOVED_CAMERAS: the planner probes the staging table's
    index once per stored camera of the area, in the order of the position index, so on a
    country each probe lands on another page of a temporary table far larger than the
    temporary buffers (re-importing the 2.5 million synthetic cameras: 4.8 million page
    reads, 14.4 s). Hashing the staged identities instead takes 5.6 s there, and no
    longer than the probes on a city (a few hundred rows either side). The setting is
    local to the transaction: if the body raises, the rollback puts it back.
    """
    with bulk_load.local_setting(cursor, "enable_nestloop", "off"):
        yield


def _stage_cameras(cursor, rows: CameraRows, unparsed: Counter[str]) -> int:
    """COPY the cameras (each identity once) into the staging table; returns how many."""
    cursor.execute(CREATE_CAMERA_STAGE)
    lines = rows.lines(rows.first_of_each_identity().tolist(), unparsed, camera_lines.lon_lat)
    return copy_text.copy_lines(cursor, "import_camera", CAMERA_COLUMNS, lines)


def _first_cameras(cursor, rows: CameraRows, now: datetime, unparsed: Counter[str]) -> int:
    """Write the cameras into a table without OpenStreetMap cameras; returns how many.

    Into a table with no row at all (a true first import), the rows are copied straight
    in (mapping.first_load) before the secondary indexes are built and, when the density
    aggregate is empty too, before it is counted, level from level: each several times
    cheaper than keeping them up to date row by row (mapping.bulk_load, mapping.density
    .first_fill). The table stays locked until the import commits; nobody has anything
    to read in it yet. A table with community cameras gets them through the staging
    table and one INSERT, its indexes kept.
    """
    # A very big one is loaded by several sessions (mapping.parallel_load), whose table
    # must be made before this transaction locks the camera table.
    stage = None
    if parallel_load.wanted(len(rows)):
        stage = parallel_load.Stage.make(cursor)
    if not bulk_load.lock_if_empty(cursor, CAMERA_TABLE):
        if stage is not None:
            stage.drop()
        _stage_cameras(cursor, rows, unparsed)
        cursor.execute(INSERT_FIRST_CAMERAS, {"now": now})
        return cursor.rowcount
    fill_density = first_fill.aggregate_is_empty(cursor)
    if stage is not None:
        if fill_density:
            return stage.load_and_swap(cursor, rows, now, unparsed)
        stage.drop()
    with bulk_load.indexes_built_after(cursor, CAMERA_TABLE):
        if fill_density:
            with first_fill.insert_trigger_dropped(cursor):
                inserted = first_load.copy_into_empty_table(cursor, rows, now, unparsed)
        else:
            inserted = first_load.copy_into_empty_table(cursor, rows, now, unparsed)
    if fill_density:
        first_fill.fill_from_cameras(cursor, CAMERA_TABLE)
    cursor.execute(ANALYZE_LOADED_CAMERAS)
    return inserted


def sync_cameras(cursor, extract: OsmExtract, area: BBox | None, now: datetime, counts) -> None:
    unparsed: Counter[str] = Counter()
    rows = extract.camera_rows()
    cursor.execute(HAS_OSM_CAMERAS)
    if not cursor.fetchone()[0]:
        # Nothing to compare with, update or mark removed: every camera is new.
        counts.cameras_new = _first_cameras(cursor, rows, now, unparsed)
        counts.unparsed = dict(sorted(unparsed.items()))
        return
    staged = _stage_cameras(cursor, rows, unparsed)
    cursor.execute(INDEX_CAMERA_STAGE)
    cursor.execute(UPDATE_CHANGED_CAMERAS, {"now": now})
    counts.cameras_updated = cursor.fetchone()[0]
    cursor.execute(INSERT_NEW_CAMERAS, {"now": now})
    counts.cameras_new = cursor.rowcount
    counts.cameras_unchanged = staged - counts.cameras_new - counts.cameras_updated
    if area is not None:
        # Rows written above carry updated_at = now, so only the others are candidates.
        with without_nested_loops(cursor):
            cursor.execute(MARK_REMOVED_CAMERAS, {"now": now, **_area_params(area)})
            counts.cameras_removed = cursor.rowcount
    counts.unparsed = dict(sorted(unparsed.items()))


def sync_segments(cursor, extract: OsmExtract, area: BBox | None, counts) -> None:
    segments = split_at_junctions(extract.ways)
    cursor.execute(CREATE_SEGMENT_STAGE)
    copy_text.copy_lines(
        cursor,
        "import_segment",
        ("way_id", "source", "target", "geom", "highway", "name"),
        (
            copy_text.line(
                (
                    str(s.way_id),
                    str(s.source),
                    str(s.target),
                    "SRID=4326;" + s.wkt(),
                    copy_text.text(s.highway),
                    copy_text.text(s.name),
                )
            )
            for s in segments
        ),
    )
    cursor.execute(INDEX_SEGMENT_STAGE)
    cursor.execute(DELETE_STALE_SEGMENTS, _area_params(area))
    counts.segments_removed = cursor.rowcount
    cursor.execute(INSERT_NEW_SEGMENTS)
    counts.segments_added = cursor.rowcount
    cursor.execute(WALKABLE_TOTALS)
    counts.segments, metres = cursor.fetchone()
    counts.walkable_km = metres / 1000.0


def sync_buildings(cursor, extract: OsmExtract, area: BBox | None, counts) -> None:
    cursor.execute(CREATE_BUILDING_STAGE)
    copy_text.copy_lines(
        cursor,
        "import_building",
        ("osm_type", "osm_id", "geometry"),
        (copy_text.line((b.osm_type, str(b.osm_id), b.geometry)) for b in extract.buildings),
    )
    cursor.execute(BUILD_BUILDINGS)
    cursor.execute(INDEX_BUILDING_STAGE)
    cursor.execute(CREATE_BUILDING_GONE)
    cursor.execute(KEEP_REPLACED_OUTLINES)
    cursor.execute(UPSERT_BUILDINGS)
    written = cursor.fetchall()
    counts.buildings_added = sum(1 for (inserted,) in written if inserted)
    counts.buildings_updated = len(written) - counts.buildings_added
    if area is not None:
        cursor.execute(DELETE_STALE_BUILDINGS, _area_params(area))
        counts.buildings_removed = cursor.rowcount
    cursor.execute(COUNT_BUILDINGS)
    counts.buildings = cursor.fetchone()[0]


def write_extract(
    extract: OsmExtract, area: BBox | None, now: datetime, cameras_only: bool = False
) -> SyncCounts:
    """Bring the database in line with the extract over area; call inside a transaction.

    area is what the import covers (bbox asked for, or file extent): only there are
    vanished cameras marked removed and vanished segments/buildings deleted. None means
    "unknown", which removes nothing. cameras_only brings the cameras in line and
    nothing else: the stored walk graph and buildings stay as they are (an extract read
    without them would otherwise delete the area's).
    """
    counts = SyncCounts()
    with connection.cursor() as cursor:
        sync_cameras(cursor, extract, area, now, counts)
        if not cameras_only:
            sync_segments(cursor, extract, area, counts)
            sync_buildings(cursor, extract, area, counts)
    return counts
