"""Residents' reports: checked, flagged, stored as pending with their photos.

A submission never records who sent it beyond the pseudonym they chose: no
address, no account for anonymous senders, no photo metadata. Quality checks
only warn (a moderator decides); rules that would make the report meaningless
(a new camera without a place, a change to a camera that does not exist) refuse it.

The two database checks (duplicates nearby, a street under an "indoor" camera)
are one query each, with a degree-box prefilter on the geometry GiST index before
the exact geography distance in metres.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mapping.models import Camera, CameraStatus, Submission, SubmissionKind
from mapping.photos import ProcessedPhoto, files_removed_on_error, store_photos
from mapping.routing import geodesic_distance_m

PLAUSIBLE_HEIGHT_RANGE_M = (1.5, 30.0)
INDOOR_STREET_DISTANCE_M = 3.0
CAMERA_FIELDS_SHOWN = ("camera_type", "directions", "height", "surveillance")

# Both queries take %(lon)s, %(lat)s, %(radius_m)s and %(radius_deg)s: the degree radius is a
# cheap bounding test on the geometry index, the geography test is the exact one in metres.
_POINT = "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)"
DUPLICATE_CANDIDATES_SQL = f"""
    SELECT id
    FROM mapping_camera
    WHERE status = 'active'
      AND ST_DWithin(location, {_POINT}, %(radius_deg)s)
      AND ST_DWithin(location::geography, {_POINT}::geography, %(radius_m)s)
    ORDER BY ST_Distance(location::geography, {_POINT}::geography), id
"""
STREET_OUTSIDE_BUILDINGS_SQL = f"""
    SELECT EXISTS (
        SELECT 1 FROM mapping_streetsegment
        WHERE highway <> 'corridor'
          AND ST_DWithin(geom, {_POINT}, %(radius_deg)s)
          AND ST_DWithin(geom::geography, {_POINT}::geography, %(radius_m)s)
    ) AND NOT EXISTS (
        SELECT 1 FROM mapping_building WHERE ST_Intersects(geom, {_POINT})
    )
"""


@dataclass
class SubmissionResult:
    """The stored submission and what is only told to the sender (never stored)."""

    submission: Submission
    suggested_location: Point | None = None


def degrees_covering(radius_m: float, lat: float) -> float:
    """A radius in degrees at least as wide as radius_m in every direction at this latitude."""
    metres_per_degree = min(110_574.0, 111_320.0 * max(math.cos(math.radians(lat)), 1e-6))
    return radius_m / metres_per_degree * 1.05


def _point_params(location: Point, radius_m: float) -> dict[str, float]:
    return {
        "lon": location.x,
        "lat": location.y,
        "radius_m": radius_m,
        "radius_deg": degrees_covering(radius_m, location.y),
    }


def duplicate_candidates(location: Point, radius_m: float | None = None) -> list[int]:
    """Active cameras within radius_m (default SUBMISSION_DUPLICATE_RADIUS_M), nearest first."""
    if radius_m is None:
        radius_m = settings.SUBMISSION_DUPLICATE_RADIUS_M
    with connection.cursor() as cursor:
        cursor.execute(DUPLICATE_CANDIDATES_SQL, _point_params(location, radius_m))
        return [row[0] for row in cursor.fetchall()]


def is_on_street(location: Point, radius_m: float = INDOOR_STREET_DISTANCE_M) -> bool:
    """True when a (non-corridor) street passes within radius_m and no building contains the
    point: an "indoor" camera there is probably mislabelled."""
    with connection.cursor() as cursor:
        cursor.execute(STREET_OUTSIDE_BUILDINGS_SQL, _point_params(location, radius_m))
        return bool(cursor.fetchone()[0])


# A change moving a camera farther than this is flagged for the moderators (moved_far).
MOVED_FAR_M = 100.0


# A warning is stored as its code, the values its message quotes (height, metres, cameras,
# radius_m) and its message in English, the record's language. Whoever reads it through the
# API (the sender in the 201, a moderator in the queue) gets the message said again in the
# language of their request (localized_warnings).
RECORD_LANGUAGE = "en"


def _decimal(value: float) -> str:
    """4.5 as the active language writes it (4,5 in French), without trailing zeros."""
    return formats.number_format(Decimal(f"{value:g}"))


def warning_message(code: str, values: Mapping[str, Any]) -> str:
    """The message of a warning in the active language; KeyError when the code is unknown or
    a value its message quotes is missing (a warning stored before it was kept)."""
    if code == "fixed_without_direction":
        return _(
            "A fixed camera looks one way: add its direction so its field of view can be drawn."
        )
    if code == "height_out_of_range":
        low, high = PLAUSIBLE_HEIGHT_RANGE_M
        return _(
            "A height of %(height)s m is unusual for a camera (most are between %(low)s and "
            "%(high)s m): please check it."
        ) % {"height": _decimal(values["height"]), "low": _decimal(low), "high": _decimal(high)}
    if code == "indoor_on_street":
        return _(
            "Marked indoor, but placed on a street outside any building: is it outdoor or public?"
        )
    if code == "moved_far":
        return _(
            "This moves the camera %(metres)s m: is it really the same camera? "
            "A new one is reported as new."
        ) % {"metres": formats.number_format(values["metres"], force_grouping=True)}
    if code == "possible_duplicate":
        count = len(values["cameras"])
        # The same English for one and several; a language with plural forms uses them.
        return ngettext(
            "%(count)s camera(s) already mapped within %(radius)s m: is it one of them? "
            "Then confirm it instead.",
            "%(count)s camera(s) already mapped within %(radius)s m: is it one of them? "
            "Then confirm it instead.",
            count,
        ) % {"count": count, "radius": _decimal(values["radius_m"])}
    raise KeyError(code)


def warning(code: str, **values: Any) -> dict[str, Any]:
    """A warning as stored: its code, its message in the record's language, its values."""
    with translation.override(RECORD_LANGUAGE):
        message = warning_message(code, values)
    return {"code": code, "message": message, **values}


def localized_warnings(warnings: Sequence[Any] | None) -> list[Any]:
    """Stored warnings with their messages in the active language; a warning that cannot be
    said again (unknown code, a value not stored) keeps the message it was stored with."""
    said = []
    for stored in warnings or ():
        if not isinstance(stored, Mapping):
            said.append(stored)
            continue
        try:
            message = warning_message(stored.get("code", ""), stored)
        except (KeyError, TypeError, ValueError, ArithmeticError):
            message = stored.get("message", "")
        said.append({**stored, "message": message})
    return said


def plausibility_warnings(fields: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Warnings about a camera's attributes alone (pure; the street check is separate)."""
    found = []
    if fields.get("camera_type") == "fixed" and not fields.get("directions"):
        found.append(warning("fixed_without_direction"))
    height = fields.get("height")
    low, high = PLAUSIBLE_HEIGHT_RANGE_M
    if height is not None and not low <= height <= high:
        found.append(warning("height_out_of_range", height=height))
    return found


def resulting_fields(camera: Camera | None, attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The camera's fields as they would be if the submission were approved."""
    current = {name: getattr(camera, name) for name in CAMERA_FIELDS_SHOWN} if camera else {}
    return {**current, **attributes}


def quality_warnings(
    kind: str, location: Point | None, camera: Camera | None, attributes: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], list[int]]:
    """(warnings, duplicate candidate ids) for a submission about to be stored."""
    if kind not in (SubmissionKind.NEW, SubmissionKind.CHANGE):
        return [], []
    fields = resulting_fields(camera, attributes)
    found = plausibility_warnings(fields)
    where = location or (camera.location if camera else None)
    if where is not None and fields.get("surveillance") == "indoor" and is_on_street(where):
        found.append(warning("indoor_on_street"))
    if kind == SubmissionKind.CHANGE and location is not None and camera is not None:
        moved = geodesic_distance_m(camera.location.coords, location.coords)
        if moved > MOVED_FAR_M:
            # A correction is a few metres; a move across town is another camera, or a
            # mistake, and nothing else made a moderator look twice.
            found.append(warning("moved_far", metres=round(moved)))
    candidates: list[int] = []
    if kind == SubmissionKind.NEW and location is not None:
        candidates = duplicate_candidates(location)
        if candidates:
            found.append(
                warning(
                    "possible_duplicate",
                    cameras=candidates,
                    radius_m=settings.SUBMISSION_DUPLICATE_RADIUS_M,
                )
            )
    return found, candidates


def check_rules(
    kind: str, location: Point | None, camera: Camera | None, attributes: Mapping[str, Any]
) -> None:
    """Refuse reports that cannot be acted on; Django ValidationError keyed by field."""
    if kind not in SubmissionKind.values:
        raise ValidationError(
            {"kind": _("must be one of %(kinds)s") % {"kinds": ", ".join(SubmissionKind.values)}}
        )
    if kind == SubmissionKind.NEW:
        if location is None:
            raise ValidationError({"location": _("a new camera needs a location")})
        if camera is not None:
            raise ValidationError(
                {"camera": _("a new camera is not about an existing one; use kind=change")}
            )
        return
    if camera is None:
        raise ValidationError(
            {"camera": _("which camera? kind=%(kind)s needs a camera id") % {"kind": kind}}
        )
    if camera.status != CameraStatus.ACTIVE:
        raise ValidationError(
            {"camera": _("camera %(id)s is already marked removed") % {"id": camera.pk}}
        )
    if kind == SubmissionKind.CHANGE and location is None and not attributes:
        raise ValidationError({"attributes": _("a change needs new attributes or a new location")})
    if kind in (SubmissionKind.REMOVED, SubmissionKind.CONFIRM) and (attributes or location):
        field_name = "attributes" if attributes else "location"
        raise ValidationError(
            {
                field_name: _("kind=%(kind)s takes no %(field)s; send kind=change for corrections")
                % {"kind": kind, "field": field_name}
            }
        )


def suggested_location(photos: Sequence[ProcessedPhoto]) -> Point | None:
    """The first photo's GPS position, offered back to the sender and never stored."""
    for photo in photos:
        if photo.gps_lon_lat is not None:
            return Point(*photo.gps_lon_lat, srid=4326)
    return None


def submit(
    kind: str,
    *,
    location: Point | None = None,
    camera: Camera | None = None,
    attributes: Mapping[str, Any] | None = None,
    note: str = "",
    pseudonym: str = "",
    photos: Sequence[ProcessedPhoto] = (),
) -> SubmissionResult:
    """Store a pending submission with its photos, or raise ValidationError.

    ``attributes`` are already normalised Camera fields (mapping.submission_attributes)
    and ``photos`` already judged (mapping.photos.read_photos), so nothing here can
    fail half way for a reason the sender caused. If writing fails anyway, the
    transaction rolls back and the photo files written so far are deleted.
    """
    attributes = dict(attributes or {})
    check_rules(kind, location, camera, attributes)
    warnings, candidates = quality_warnings(kind, location, camera, attributes)
    with files_removed_on_error() as written, transaction.atomic():
        submission = Submission.objects.create(
            kind=kind,
            camera=camera,
            location=location,
            attributes=attributes,
            note=note.strip(),
            pseudonym=pseudonym.strip(),
            warnings=warnings,
            duplicate_candidates=candidates,
        )
        store_photos(photos, written, submission=submission)
    return SubmissionResult(
        submission=submission,
        suggested_location=suggested_location(photos),
    )
