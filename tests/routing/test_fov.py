"""Fields of view computed in PostGIS (mapping.fov), with buildings in the way.

Each hypothesis example builds its camera and buildings inside a savepoint that is
rolled back, so examples never see each other's rows.
"""

from __future__ import annotations

import math

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapping.fov import compute_fields_of_view
from mapping.fov_geometry import reach_m
from mapping.models import Camera
from tests.factories import TEST_AREA_CENTRE, make_camera, point
from tests.routing.geo import fov_area_m2, fov_covers, lonlat_at, make_building_m, projected

pytestmark = pytest.mark.django_db

DB_EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Rollback(Exception):
    """Raised at the end of an example to undo its rows."""


def in_savepoint(check):
    try:
        with transaction.atomic():
            check()
            raise Rollback
    except Rollback:
        pass


@DB_EXAMPLES
@given(
    direction=st.floats(0, 359.9),
    height=st.floats(2, 20),
    tilt=st.floats(5, 60),
    across=st.floats(-0.45, 0.45),
    along=st.floats(0.05, 0.95),
)
def test_a_point_inside_the_sector_is_in_the_stored_field_of_view(
    direction, height, tilt, across, along
):
    def check():
        camera = make_camera(camera_type="fixed", directions=[direction], height=height, tilt=tilt)
        compute_fields_of_view([camera.pk])
        reach = reach_m(height, tilt, _params())
        bearing = direction + across * 85.0 * 0.95
        lon, lat = projected(*TEST_AREA_CENTRE, bearing, along * (reach - 0.3))
        assert fov_covers(camera.pk, lon, lat)
        # ... and nothing past the reach or behind the camera.
        assert not fov_covers(camera.pk, *projected(*TEST_AREA_CENTRE, direction, reach + 0.5))
        assert not fov_covers(camera.pk, *projected(*TEST_AREA_CENTRE, direction + 180, 3.0))

    in_savepoint(check)


@DB_EXAMPLES
@given(
    bearing=st.floats(0, 359.9),
    distance=st.floats(7, 15),
    half_side=st.floats(1.5, 4.0),
    beyond=st.floats(0.5, 8.0),
    offset=st.floats(-0.5, 0.5),
)
def test_a_point_behind_a_building_is_not_in_the_field_of_view(
    bearing, distance, half_side, beyond, offset
):
    def check():
        camera = make_camera()  # type unknown: a 25 m disc
        east, north = (
            distance * math.sin(math.radians(bearing)),
            distance * math.cos(math.radians(bearing)),
        )
        make_building_m(east, north, half_side, half_side)
        compute_fields_of_view([camera.pk])
        # On the line through the building's centre, past its far corner, within reach;
        # slightly off the centre line but well inside the shadow.
        far = distance + half_side * math.sqrt(2) + beyond
        if far > 24.0:
            return
        side = offset * math.degrees(math.atan(half_side / (distance + half_side)))
        assert not fov_covers(camera.pk, *projected(*TEST_AREA_CENTRE, bearing + side, far))
        # In front of the building the camera does see.
        assert fov_covers(
            camera.pk, *projected(*TEST_AREA_CENTRE, bearing, distance - half_side * 1.5)
        )

    in_savepoint(check)


def _params():
    from mapping.fov import fov_parameters

    return fov_parameters()


def test_a_disc_without_buildings_has_the_area_of_its_radius(settings):
    camera = make_camera()
    compute_fields_of_view([camera.pk])
    expected = math.pi * settings.FOV_UNKNOWN_RADIUS_M**2
    assert fov_area_m2(camera.pk) == pytest.approx(expected, rel=0.01)


def test_a_camera_on_a_wall_sees_away_from_it_and_not_through_its_building():
    # Building 10 m x 10 m west of the camera, whose east wall the camera hangs on.
    make_building_m(-5.0, 0.0, 5.0, 5.0)
    camera = make_camera(camera_type="dome")
    compute_fields_of_view([camera.pk])
    assert fov_covers(camera.pk, *lonlat_at(10.0, 0.0))
    assert fov_covers(camera.pk, *lonlat_at(2.0, 8.0))
    assert not fov_covers(camera.pk, *lonlat_at(-3.0, 0.0))  # inside the building
    assert not fov_covers(camera.pk, *lonlat_at(-15.0, 0.0))  # behind it
    assert fov_area_m2(camera.pk) == pytest.approx(math.pi * 20.0**2 / 2, rel=0.1)


def test_a_camera_mapped_just_inside_a_building_looks_from_the_nearest_wall():
    make_building_m(-5.0, 0.0, 5.5, 5.0)  # the camera is 0.5 m inside its east wall
    camera = make_camera()
    compute_fields_of_view([camera.pk])
    assert fov_covers(camera.pk, *lonlat_at(12.0, 0.0))
    assert not fov_covers(camera.pk, *lonlat_at(-15.0, 0.0))


def test_a_camera_deep_inside_a_building_sees_nothing_outdoors():
    make_building_m(0.0, 0.0, 15.0, 15.0)
    camera = make_camera(camera_type="dome")
    compute_fields_of_view([camera.pk])
    assert Camera.objects.get(pk=camera.pk).fov is None


def test_indoor_and_removed_cameras_have_no_field_of_view():
    indoor = make_camera(surveillance="indoor")
    removed = make_camera(location=point(2.353, 48.857))
    compute_fields_of_view([indoor.pk, removed.pk])
    assert Camera.objects.get(pk=removed.pk).fov is not None
    removed.status = "removed"
    removed.removed_at = removed.last_seen
    removed.save()
    compute_fields_of_view([indoor.pk, removed.pk])
    assert Camera.objects.get(pk=indoor.pk).fov is None
    assert Camera.objects.get(pk=removed.pk).fov is None


def test_two_directions_give_two_sectors_and_the_gap_between_is_unseen():
    camera = make_camera(camera_type="fixed", directions=[0.0, 180.0], height=5.0, tilt=15.0)
    compute_fields_of_view([camera.pk])
    assert Camera.objects.get(pk=camera.pk).fov.num_geom >= 1
    assert fov_covers(camera.pk, *lonlat_at(0.0, 10.0))
    assert fov_covers(camera.pk, *lonlat_at(0.0, -10.0))
    assert not fov_covers(camera.pk, *lonlat_at(10.0, 0.0))
    assert not fov_covers(camera.pk, *lonlat_at(-10.0, 0.0))


def test_only_the_listed_cameras_are_recomputed():
    listed = make_camera()
    other = make_camera(location=point(2.36, 48.86))
    assert compute_fields_of_view([listed.pk]) == 1
    assert Camera.objects.get(pk=listed.pk).fov is not None
    assert Camera.objects.get(pk=other.pk).fov is None


def test_every_stored_field_of_view_is_a_valid_multipolygon():
    make_building_m(-5.0, 0.0, 5.0, 5.0)
    make_building_m(8.0, 9.0, 3.0, 2.0)
    cameras = [
        make_camera(camera_type="dome"),
        make_camera(location=point(*lonlat_at(3.0, 3.0)), camera_type="fixed", directions=[45.0]),
        make_camera(location=point(*lonlat_at(-2.0, 7.0))),
    ]
    compute_fields_of_view([c.pk for c in cameras])
    for camera in Camera.objects.filter(pk__in=[c.pk for c in cameras]):
        assert camera.fov.geom_type == "MultiPolygon"
        assert camera.fov.valid
        assert camera.fov.srid == 4326
