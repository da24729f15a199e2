"""The pure field-of-view rules and sector geometry (mapping.fov_geometry)."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon

from mapping.fov_geometry import (
    CameraSpec,
    FovParameters,
    View,
    angle_within,
    metres_per_degree,
    normalise_bearing,
    offset_m,
    ray_bearings,
    reach_m,
    sector,
    view_outline,
    views_for,
)

PARAMS = FovParameters()
bearings = st.floats(min_value=0, max_value=359.999, allow_nan=False)
angles = st.floats(min_value=10, max_value=170)
reaches = st.floats(min_value=5, max_value=60)


def test_default_reach_is_where_the_optical_axis_meets_the_ground():
    # 5 m high, 15 degrees down: 5 / tan(15 deg) = 18.66 m.
    assert reach_m(None, None, PARAMS) == pytest.approx(18.66, abs=0.01)
    assert reach_m(10.0, 45.0, PARAMS) == pytest.approx(10.0)


@pytest.mark.parametrize("tilt", [0.0, -10.0])
def test_a_camera_looking_at_or_above_the_horizon_gets_the_cap(tilt):
    assert reach_m(5.0, tilt, PARAMS) == PARAMS.max_reach_m


def test_reach_is_kept_between_the_minimum_and_the_cap():
    assert reach_m(2.0, 80.0, PARAMS) == PARAMS.min_reach_m
    assert reach_m(50.0, 10.0, PARAMS) == PARAMS.max_reach_m


@given(
    height=st.floats(min_value=0.5, max_value=300),
    tilt=st.floats(min_value=0.1, max_value=90),
    steeper=st.floats(min_value=0, max_value=30),
)
def test_a_steeper_tilt_never_sees_farther(height, tilt, steeper):
    assert reach_m(height, min(90.0, tilt + steeper), PARAMS) <= reach_m(height, tilt, PARAMS)


def test_fixed_camera_with_directions_gets_one_sector_each():
    camera = CameraSpec(camera_type="fixed", directions=[90.0, 270.0], height=5.0, tilt=15.0)
    views = views_for(camera, PARAMS)
    assert [(v.start_deg, v.sweep_deg) for v in views] == [(47.5, 85.0), (227.5, 85.0)]
    assert all(v.reach_m == pytest.approx(18.66, abs=0.01) for v in views)


@pytest.mark.parametrize(
    ("camera", "radius"),
    [
        (CameraSpec(camera_type="dome", directions=[90.0]), PARAMS.dome_radius_m),
        (CameraSpec(camera_type="panning"), PARAMS.dome_radius_m),
        (CameraSpec(camera_type="fixed"), PARAMS.unknown_radius_m),  # no direction
        (CameraSpec(camera_type="", directions=[90.0]), PARAMS.unknown_radius_m),  # type unknown
        (CameraSpec(surveillance_type="alpr"), PARAMS.unknown_radius_m),
        (CameraSpec(surveillance_type="guard"), PARAMS.unknown_radius_m),
    ],
)
def test_cameras_that_turn_or_whose_view_is_unknown_get_a_disc(camera, radius):
    assert views_for(camera, PARAMS) == [View(0.0, 360.0, radius)]


def test_alpr_with_a_direction_gets_a_narrow_long_sector():
    (view,) = views_for(CameraSpec(surveillance_type="alpr", directions=[0.0]), PARAMS)
    assert view.sweep_deg == PARAMS.alpr_angle_deg
    assert view.reach_m == PARAMS.alpr_reach_m
    assert view.start_deg == pytest.approx(360 - PARAMS.alpr_angle_deg / 2)


@pytest.mark.parametrize(
    "camera",
    [
        CameraSpec(surveillance="indoor", camera_type="dome"),
        CameraSpec(status="removed"),
        CameraSpec(surveillance_type="gunshot_detector"),
    ],
)
def test_indoor_removed_and_listening_devices_see_nothing_outdoors(camera):
    assert views_for(camera, PARAMS) == []


@given(direction=bearings, angle=angles, reach=reaches)
def test_rays_span_the_sector_from_edge_to_edge(direction, angle, reach):
    view = sector(direction, angle, reach)
    rays = ray_bearings(view, PARAMS)
    assert rays[0] == pytest.approx(normalise_bearing(direction - angle / 2))
    assert angle_within(rays[-1], view) == pytest.approx(angle, abs=1e-6)
    steps = [angle_within(b, view) for b in rays]
    assert all(b - a <= PARAMS.ray_step_deg + 1e-9 for a, b in itertools.pairwise(steps))
    # Neighbouring ray ends are at most ray_spacing_m apart at full reach.
    assert math.radians(steps[1] - steps[0]) * reach <= PARAMS.ray_spacing_m + 1e-9


@given(
    direction=bearings,
    angle=angles,
    reach=reaches,
    across=st.floats(min_value=-0.49, max_value=0.49),
    along=st.floats(min_value=0.02, max_value=0.98),
)
def test_a_point_at_a_bearing_and_distance_inside_the_sector_is_inside(
    direction, angle, reach, across, along
):
    view = sector(direction, angle, reach)
    outline = Polygon(view_outline(view, PARAMS))
    # Keep half a degree from the edges and 2% of the reach from the arc, which the
    # outline follows with chords.
    bearing = direction + across * (angle - 1.0)
    assert outline.contains(Point(offset_m(bearing, along * reach)))


@given(direction=bearings, angle=angles, reach=reaches, outside=st.floats(1.0, 180.0))
def test_a_point_beside_or_beyond_the_sector_is_outside(direction, angle, reach, outside):
    view = sector(direction, angle, reach)
    outline = Polygon(view_outline(view, PARAMS))
    beside = direction + angle / 2 + min(outside, (360 - angle) / 2)
    assert not outline.contains(Point(offset_m(beside, reach / 2)))
    assert not outline.contains(Point(offset_m(direction, reach * 1.01 + 0.01)))


def test_metres_per_degree_match_the_wgs84_figures():
    per_lon, per_lat = metres_per_degree(0.0)
    assert per_lon == pytest.approx(111_319.5, abs=1)
    assert per_lat == pytest.approx(110_574.3, abs=1)
    per_lon, per_lat = metres_per_degree(60.0)
    assert per_lon == pytest.approx(55_800.0, abs=5)
    assert per_lat == pytest.approx(111_412.3, abs=1)


def test_tiny_bearings_become_zero_so_the_database_never_underflows():
    assert normalise_bearing(5e-324) == 0.0
    assert normalise_bearing(-1e-300) == 0.0
    assert normalise_bearing(-90.0) == 270.0
    assert normalise_bearing(720.5) == 0.5
