"""Cameras stored in geohash order: the rewrite keeps every row and orders them by place."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from mapping.models import Camera
from mapping.storage_order import ORDER_INDEX, cluster_cameras, storage_order_correlation
from tests.factories import make_camera, point


def _rows() -> dict[int, tuple]:
    return {
        row[0]: (row[1], row[2].wkt, tuple(row[3]), tuple(sorted(row[4].items())))
        for row in Camera.objects.values_list("id", "osm_id", "location", "directions", "tags")
    }


@pytest.mark.django_db
def test_clustering_orders_rows_by_place_and_keeps_them_all():
    # Written alternately at two places far apart: the worst order for a viewport.
    for k in range(40):
        lon = 2.30 + k * 0.0001 if k % 2 else 13.40 + k * 0.0001
        make_camera(location=point(lon, 48.85), tags={"k": str(k)}, directions=[k * 9.0])
    before_rows = _rows()
    before = storage_order_correlation()
    cluster_cameras()
    assert _rows() == before_rows
    after = storage_order_correlation()
    assert after > 0.99
    assert after > before
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname = %s", [ORDER_INDEX])
        assert cursor.fetchone()[0] == 0


@pytest.mark.django_db
def test_the_command_reports_the_order_before_and_after(capsys):
    make_camera(location=point(13.4, 52.5))
    make_camera(location=point(2.35, 48.85))
    call_command("cluster_cameras")
    out = capsys.readouterr().out
    assert "geohash order" in out and "-> 1.00" in out
