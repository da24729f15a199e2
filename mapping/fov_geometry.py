"""What a camera can see, as pure geometry: rules, reach and rays in local metres.

No database here. mapping.fov turns the views and rays described by these
functions into polygons with PostGIS, clipped by buildings. Conventions:
bearings are degrees clockwise from north; local coordinates are metres east (x)
and north (y) of the camera; a *view* is a sector (or a full disc) that one lens
covers before occlusion.

The reach model: a fixed camera's useful picture ends where its optical axis meets
the ground, ``height / tan(tilt)``. Beyond that point people are in the upper half
of the frame and shrink fast: with the default 85° lens on a 1080p sensor a person
18.7 m away (the default 5 m height and 15° tilt) is covered at about 56 pixels per
metre, just under the "observation" level of IEC 62676-4 (62 px/m). A camera looking
at or above the horizon gets the cap. The reach is kept within [min, cap].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

FULL_TURN_DEG = 360.0


@dataclass(frozen=True, slots=True)
class FovParameters:
    """Defaults and limits of the model; built from settings by mapping.fov."""

    default_height_m: float = 5.0
    default_tilt_deg: float = 15.0
    default_angle_deg: float = 85.0
    min_reach_m: float = 5.0
    max_reach_m: float = 60.0
    unknown_radius_m: float = 25.0
    dome_radius_m: float = 20.0
    alpr_angle_deg: float = 20.0
    alpr_reach_m: float = 40.0
    ray_spacing_m: float = 1.0
    ray_step_deg: float = 2.0
    simplify_m: float = 0.1


@dataclass(frozen=True, slots=True)
class CameraSpec:
    """The camera fields the model reads (a subset of mapping.models.Camera)."""

    surveillance: str = ""
    surveillance_type: str = "camera"
    camera_type: str = ""
    directions: Sequence[float] = ()
    height: float | None = None
    tilt: float | None = None
    status: str = "active"


@dataclass(frozen=True, slots=True)
class View:
    """One lens before occlusion: a sector from start_deg sweeping clockwise, or a disc."""

    start_deg: float
    sweep_deg: float
    reach_m: float

    @property
    def is_disc(self) -> bool:
        return self.sweep_deg >= FULL_TURN_DEG


def normalise_bearing(bearing_deg: float) -> float:
    """A bearing in [0, 360), rounded to a nanodegree.

    The rounding also turns denormal values into 0: PostgreSQL refuses float products
    that underflow, and one such bearing would fail a whole import.
    """
    value = math.fmod(round(bearing_deg, 9), FULL_TURN_DEG)
    if value < 0:
        value += FULL_TURN_DEG
    return 0.0 if value >= FULL_TURN_DEG else value


def reach_m(height_m: float | None, tilt_deg: float | None, params: FovParameters) -> float:
    """Ground distance where the optical axis meets the ground, within [min, cap].

    Missing height or tilt take the defaults; a tilt at or above the horizon
    (zero or negative: looking up) sees as far as the cap.
    """
    height = params.default_height_m if height_m is None or height_m <= 0 else height_m
    tilt = params.default_tilt_deg if tilt_deg is None else tilt_deg
    if tilt <= 0:
        return params.max_reach_m
    axis_on_ground = height / math.tan(math.radians(min(tilt, 90.0)))
    return min(params.max_reach_m, max(params.min_reach_m, axis_on_ground))


def sector(direction_deg: float, angle_deg: float, reach: float) -> View:
    """A sector centred on direction_deg, angle_deg wide (a disc from 360° on)."""
    if angle_deg >= FULL_TURN_DEG:
        return View(0.0, FULL_TURN_DEG, reach)
    return View(normalise_bearing(direction_deg - angle_deg / 2), angle_deg, reach)


def disc(radius_m: float) -> View:
    return View(0.0, FULL_TURN_DEG, radius_m)


def views_for(camera: CameraSpec, params: FovParameters) -> list[View]:
    """The lenses of one camera, by the rules in docs/routing.md.

    - removed cameras, indoor cameras and gunshot detectors (they listen) see nothing;
    - ALPR: a narrow long sector per direction, a conservative disc without one;
    - dome and panning cameras: a disc (they turn);
    - fixed cameras with directions: one sector per direction, reach from height/tilt;
    - anything else (type unknown, or no direction): a disc of the conservative radius.
    """
    if camera.status != "active" or camera.surveillance == "indoor":
        return []
    if camera.surveillance_type == "gunshot_detector":
        return []
    directions = [float(d) for d in camera.directions or () if math.isfinite(float(d))]
    if camera.surveillance_type == "alpr":
        if not directions:
            return [disc(params.unknown_radius_m)]
        return [sector(d, params.alpr_angle_deg, params.alpr_reach_m) for d in directions]
    if camera.camera_type in {"dome", "panning"}:
        return [disc(params.dome_radius_m)]
    if camera.camera_type == "fixed" and directions:
        reach = reach_m(camera.height, camera.tilt, params)
        return [sector(d, params.default_angle_deg, reach) for d in directions]
    return [disc(params.unknown_radius_m)]


def ray_count(view: View, params: FovParameters) -> int:
    """Rays enough that neighbours are at most ray_spacing_m apart at full reach and at
    most ray_step_deg apart: occlusion is exact along rays, interpolated between them."""
    sweep_rad = math.radians(view.sweep_deg)
    by_spacing = math.ceil(sweep_rad * view.reach_m / params.ray_spacing_m)
    by_angle = math.ceil(view.sweep_deg / params.ray_step_deg)
    return max(4, by_spacing, by_angle)


def outline_ray_count(view: View, params: FovParameters) -> int:
    """Rays enough to draw the view's arc within simplify_m when nothing blocks it: the
    chord between two neighbours then strays at most simplify_m from the circle."""
    if view.reach_m <= params.simplify_m:
        return ray_count(view, params)
    step_rad = 2 * math.acos(1 - params.simplify_m / view.reach_m)
    minimum = 8 if view.is_disc else 2
    return min(
        ray_count(view, params), max(minimum, math.ceil(math.radians(view.sweep_deg) / step_rad))
    )


def ray_bearings(view: View, params: FovParameters) -> list[float]:
    """Evenly spread bearings over the view: both edges of a sector, a disc without repeat.

    mapping.fov's SQL generates the same rays (start + k * sweep / ray_count).
    """
    count = ray_count(view, params)
    if view.is_disc:
        step = FULL_TURN_DEG / count
        return [normalise_bearing(view.start_deg + i * step) for i in range(count)]
    step = view.sweep_deg / count
    return [normalise_bearing(view.start_deg + i * step) for i in range(count + 1)]


def unit_vector(bearing_deg: float) -> tuple[float, float]:
    """(east, north) components of a unit step along a bearing."""
    radians = math.radians(bearing_deg)
    return math.sin(radians), math.cos(radians)


def offset_m(bearing_deg: float, distance_m: float) -> tuple[float, float]:
    east, north = unit_vector(bearing_deg)
    return east * distance_m, north * distance_m


def view_outline(view: View, params: FovParameters) -> list[tuple[float, float]]:
    """The closed ring of a view without occlusion, in local metres around the camera."""
    ends = [offset_m(b, view.reach_m) for b in ray_bearings(view, params)]
    if view.is_disc:
        return [*ends, ends[0]]
    return [(0.0, 0.0), *ends, (0.0, 0.0)]


def bearing_between(x_m: float, y_m: float) -> float:
    """Bearing from the local origin to (x, y)."""
    return normalise_bearing(math.degrees(math.atan2(x_m, y_m)))


def angle_within(bearing_deg: float, view: View) -> float:
    """How far clockwise from the view's start a bearing lies, in [0, 360)."""
    return normalise_bearing(bearing_deg - view.start_deg)


def metres_per_degree(latitude_deg: float) -> tuple[float, float]:
    """Metres per degree of longitude and of latitude on the WGS 84 ellipsoid.

    The local frame of a camera is this linear scaling around it: over the few tens
    of metres a view spans the error is far below a millimetre per metre, and
    north stays north (a UTM grid would turn bearings by up to a few degrees).
    """
    phi = math.radians(latitude_deg)
    per_lat = 111_132.92 - 559.82 * math.cos(2 * phi) + 1.175 * math.cos(4 * phi)
    per_lon = 111_412.84 * math.cos(phi) - 93.5 * math.cos(3 * phi) + 0.118 * math.cos(5 * phi)
    return max(per_lon, 1e-3), per_lat
