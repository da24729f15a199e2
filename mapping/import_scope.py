"""The cameras whose derived data an import can have changed: those within reach of it.

A camera's field of view depends on the camera and on the buildings within its reach;
a street's exposure, on the fields of view that cross it. An import writes cameras,
street segments and buildings in its area, plus the whole of any way or building it read
that crosses the area's edge, and deletes the area's vanished ones. Only the cameras
within reach of all that can see differently, and only the streets they see (before or
after) can change exposure. Recomputing every camera instead cost the whole table: on
2.5 million cameras, one to two hours for a regional update of a few hundred.

What the import wrote is still in its staging tables (mapping.sync, dropped at commit),
and the former outlines of the buildings it deleted or reshaped in import_building_gone.
Their extent, with the area's, grown by the longest reach a field of view can have,
bounds the cameras to recompute. Run inside the import's transaction, after
mapping.sync.write_extract.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection

from mapping.bbox import BBox

# Each staging table an import may have filled, and the geometry of a row of it.
STAGED_GEOMETRIES = {
    "import_camera": "ST_SetSRID(ST_MakePoint(lon, lat), 4326)",
    "import_segment": "geom",
    "import_building_geom": "geom",
    "import_building_gone": "geom",
}

# Metres in a degree of latitude, rounded down (110,574 at the equator): the margin in
# degrees comes out a little wider than the reach, never narrower.
METRES_PER_DEGREE = 110_000.0
# Where a degree of longitude shrinks to nothing, the margin stops growing.
MAX_LATITUDE = 89.0

# Ids of the cameras inside the touched extent grown by the reach (margin_m): in degrees
# of latitude, and of longitude at the extent's latitude farthest from the equator; and
# whether that is every camera (the search stops at the first one outside: counting the
# table instead took 70-100 ms of a 0.95 s regional update beside 2.5 million).
CAMERAS_IN_REACH = """
WITH touched (g) AS ({extents}),
     box AS (SELECT ST_SetSRID(ST_Extent(g)::geometry, 4326) AS b FROM touched),
     grown AS (
         SELECT ST_Expand(
             b,
             %(margin_m)s / (%(metres)s * cos(radians(LEAST(%(latitude_cap)s,
                 GREATEST(abs(ST_YMin(b)), abs(ST_YMax(b))))))),
             %(margin_m)s / %(metres)s
         ) AS g
         FROM box
     )
SELECT ARRAY(SELECT c.id FROM mapping_camera AS c WHERE c.location && grown.g ORDER BY c.id),
       NOT EXISTS (SELECT 1 FROM mapping_camera AS c WHERE NOT c.location && grown.g)
FROM grown
"""


def reach_m() -> float:
    """The farthest a field of view reaches, whatever the camera (mapping.fov)."""
    return max(settings.FOV_MAX_REACH_M, settings.FOV_ALPR_REACH_M)


def _staged_tables(cursor) -> list[str]:
    """The staging tables this import created (a first bulk load has none)."""
    present = []
    for table in STAGED_GEOMETRIES:
        cursor.execute("SELECT to_regclass(%s)", [f"pg_temp.{table}"])
        if cursor.fetchone()[0] is not None:
            present.append(table)
    return present


def cameras_to_refresh(area: BBox | None) -> list[int] | None:
    """Ids of the cameras whose fields of view and streets may have changed; None: all.

    None when the area is unknown (anything may have changed), or when every camera of
    the table is within reach anyway (a first import, a country's file): the full
    recompute then costs less than the scoped one.
    """
    if area is None:
        return None
    with connection.cursor() as cursor:
        extents = [
            "SELECT ST_MakeEnvelope(%(min_lon)s, %(min_lat)s, %(max_lon)s, %(max_lat)s, 4326)"
        ]
        extents += [
            f"SELECT ST_Extent({STAGED_GEOMETRIES[table]})::geometry FROM pg_temp.{table}"
            for table in _staged_tables(cursor)
        ]
        box = dict(zip(("min_lon", "min_lat", "max_lon", "max_lat"), area.as_tuple(), strict=True))
        cursor.execute(
            CAMERAS_IN_REACH.format(extents=" UNION ALL ".join(extents)),
            box
            | {"margin_m": reach_m(), "metres": METRES_PER_DEGREE, "latitude_cap": MAX_LATITUDE},
        )
        ids, every_camera = cursor.fetchone()
    return None if every_camera else ids
