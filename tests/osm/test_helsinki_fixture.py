"""The `helsinki` fixture other modules rely on: the real demo data, committed, repaired."""

from __future__ import annotations

import pytest

from mapping.models import Building, Camera, StreetSegment
from tests.helsinki import HELSINKI_BBOX, HELSINKI_CAMERAS, count_rows


@pytest.mark.django_db
def test_helsinki_fixture_holds_the_demo_cameras_graph_and_buildings(helsinki):
    box = HELSINKI_BBOX.polygon()
    assert helsinki.cameras == HELSINKI_CAMERAS
    assert Camera.objects.filter(source="osm", status="active", location__within=box).count() == 221
    assert StreetSegment.objects.filter(geom__intersects=box).count() == helsinki.segments > 4000
    assert Building.objects.filter(geom__intersects=box).count() == helsinki.buildings > 400
    assert 95 <= helsinki.walkable_km <= 105


@pytest.mark.django_db
def test_helsinki_data_survives_a_test_that_deleted_it_inside_its_transaction(helsinki):
    Camera.objects.filter(location__within=HELSINKI_BBOX.polygon()).delete()
    assert count_rows()[0] == 0  # gone for this test only; the rollback brings it back


@pytest.mark.django_db
def test_helsinki_data_is_back_after_the_previous_tests_rollback(helsinki):
    assert count_rows() == (helsinki.cameras, helsinki.segments, helsinki.buildings)


@pytest.mark.django_db(transaction=True)
def test_helsinki_fixture_reimports_after_a_flush(helsinki):
    # A transactional test flushes every table when it ends; the next user of the fixture
    # must find the data again (the following test checks that).
    assert count_rows()[0] == HELSINKI_CAMERAS


@pytest.mark.django_db
def test_helsinki_fixture_after_a_flush_finds_the_data_again(helsinki):
    assert count_rows() == (helsinki.cameras, helsinki.segments, helsinki.buildings)
