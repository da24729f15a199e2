"""A full picture of the imported tables, to prove a failed import changed nothing."""

from __future__ import annotations

from django.db import connection

TABLES = {
    "camera": "SELECT *, ST_AsEWKT(location) AS l, ST_AsEWKT(fov) AS f FROM mapping_camera",
    "segment": "SELECT *, ST_AsEWKT(geom) AS g FROM mapping_streetsegment",
    "building": "SELECT *, ST_AsEWKT(geom) AS g FROM mapping_building",
}


def database_snapshot() -> dict[str, list[tuple]]:
    """Every row of cameras, street segments and buildings, every column, sorted by id."""
    snapshot = {}
    with connection.cursor() as cursor:
        for name, query in TABLES.items():
            cursor.execute(query + " ORDER BY id")
            snapshot[name] = [tuple(map(repr, row)) for row in cursor.fetchall()]
    return snapshot
