"""Store cameras of one place together on disk, so a map viewport reads few pages.

A viewport's cameras are found through the GiST index, but each one is then read from
the table: when rows were written in import or id order, the 14,000 cameras of a
dense city viewport sit on as many pages, and reading them dominates the request.
Rewriting the table in geohash order (neighbours in space are neighbours on disk) cut
that viewport's matching step from 36 ms to 3 ms on 2.5 million cameras
(docs/benchmarks.md). PostgreSQL does not keep the order for rows written later, so
`python manage.py cluster_cameras` is run after a large import, or now and then.
"""

from __future__ import annotations

import time

from django.db import connection, transaction

from mapping import bulk_load

CAMERA_TABLE = "mapping_camera"
ORDER_INDEX = "camera_storage_order_tmp"
# About 1 m cells: finer than any viewport, so the order is as local as it can be.
GEOHASH_PRECISION = 10
MAINTENANCE_WORK_MEM = "512MB"


def cluster_cameras() -> float:
    """Rewrite mapping_camera in geohash order, then VACUUM ANALYZE; returns the seconds.

    CLUSTER needs an index to follow: a temporary one on the geohash, dropped at the end
    of the same transaction. The table is locked (reads wait) while it is rewritten: about
    a minute for 2.5 million cameras.
    """
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
        cursor.execute(
            f"CREATE INDEX {ORDER_INDEX} ON {CAMERA_TABLE} "
            f"(ST_GeoHash(location, {GEOHASH_PRECISION}))"
        )
        cursor.execute(f"CLUSTER {CAMERA_TABLE} USING {ORDER_INDEX}")
        cursor.execute(f"DROP INDEX {ORDER_INDEX}")
    bulk_load.vacuum_analyze(CAMERA_TABLE)  # statistics, and the index-only box counts
    return time.perf_counter() - started


def storage_order_correlation() -> float:
    """How closely the table's physical order follows the geohash order, from -1 to 1.

    1 right after cluster_cameras; near 0 for rows written in random places.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT coalesce(corr(on_disk, rank), 0) FROM (
                SELECT row_number() OVER (ORDER BY ctid) AS on_disk,
                       row_number() OVER (ORDER BY ST_GeoHash(location, {GEOHASH_PRECISION}), id)
                           AS rank
                FROM {CAMERA_TABLE}
            ) ordered
            """
        )
        return float(cursor.fetchone()[0])
