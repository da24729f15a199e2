"""Moderators' decisions on submissions: approve, reject with a reason, merge into a camera.

The admin and the API call these same functions. Each decision is one
transaction that locks the submission (two moderators clicking at once cannot
both decide it) and the camera it touches, and ends by recomputing the camera's
field of view and the exposure of nearby streets (mapping.analysis).

OpenStreetMap remains the source of truth for OSM cameras. A change or removal
approved on one is applied here at once, so the map is right today, and the
decision carries a notice with the OSM link: the fix belongs in OSM too, because
the next import of that area (mapping.sync) writes OSM's values back, status
included, whenever they differ from ours. Confirmations, the last-checked date
and photos are ours: imports never touch them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from mapping.analysis import refresh_derived_data
from mapping.models import (
    Camera,
    CameraPhoto,
    CameraStatus,
    Source,
    Submission,
    SubmissionKind,
    SubmissionStatus,
)
from mapping.submission_attributes import attributes_as_tags, implied_capabilities

DEFAULT_SURVEILLANCE_TYPE = "camera"
TAGGED_FIELDS = (
    "surveillance",
    "surveillance_type",
    "zone",
    "camera_type",
    "mount",
    "directions",
    "height",
    "tilt",
    "operator",
    "operator_type",
    "capabilities",
    "vendor",
)


class ModerationError(ValueError):
    """A decision that cannot be taken; ``field`` names what is wrong, for a JSON error.
    The message is in the active language (the moderator's request's)."""

    def __init__(self, field: str, message: str, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.conflict = conflict  # True when the state changed under the moderator (HTTP 409)


@dataclass
class Decision:
    """What a moderation did: the submission, the camera concerned, notices for the moderator."""

    submission: Submission
    camera: Camera | None = None
    notices: list[str] = field(default_factory=list)


def is_moderator(user: Any) -> bool:
    """Superusers and members of settings.MODERATORS_GROUP moderate; nobody else."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    return user.is_superuser or user.groups.filter(name=settings.MODERATORS_GROUP).exists()


def _lock_pending(submission: Submission | int) -> Submission:
    pk = submission.pk if isinstance(submission, Submission) else submission
    try:
        locked = Submission.objects.select_for_update().get(pk=pk)
    except Submission.DoesNotExist:
        raise ModerationError(
            "submission", _("submission %(id)s does not exist") % {"id": pk}
        ) from None
    if locked.status != SubmissionStatus.PENDING:
        raise ModerationError(
            "status",
            # Translators: the status is the submission's status as the admin shows it
            # (context "submission": approved, rejected or merged), agreeing with it.
            _("submission %(id)s was already %(status)s")
            % {"id": pk, "status": locked.get_status_display()},
            conflict=True,
        )
    return locked


def _lock_active_camera(camera: Camera | int | None, field_name: str = "camera") -> Camera:
    if camera is None:
        raise ModerationError(field_name, _("the camera concerned no longer exists"))
    pk = camera.pk if isinstance(camera, Camera) else camera
    try:
        locked = Camera.objects.select_for_update().get(pk=pk)
    except (Camera.DoesNotExist, ValueError, TypeError):
        raise ModerationError(field_name, _("camera %(id)s does not exist") % {"id": pk}) from None
    if locked.status != CameraStatus.ACTIVE:
        raise ModerationError(
            field_name, _("camera %(id)s is marked removed") % {"id": pk}, conflict=True
        )
    return locked


def apply_fields(camera: Camera, fields: Mapping[str, Any], *, only_blank: bool = False) -> bool:
    """Set the given Camera fields (only empty ones with only_blank); True if anything changed.

    Capabilities a type implies (ALPR reads plates, panning pans) are added, so the
    exposure weighting never misses them.
    """
    changed = False
    for name, value in fields.items():
        if name not in TAGGED_FIELDS:
            continue
        current = getattr(camera, name)
        if only_blank and current not in ("", None, []):
            continue
        if current != value:
            setattr(camera, name, list(value) if isinstance(value, list | tuple) else value)
            changed = True
    implied = [c for c in implied_capabilities(_fields_of(camera)) if c not in camera.capabilities]
    if implied:
        camera.capabilities = [*camera.capabilities, *implied]
        changed = True
    return changed


def _fields_of(camera: Camera) -> dict[str, Any]:
    return {name: getattr(camera, name) for name in TAGGED_FIELDS}


def retag_community(camera: Camera) -> None:
    """A community camera's tags say its fields in OSM's words; an OSM camera keeps its raw
    tags unchanged (the next import of its area brings OpenStreetMap's)."""
    if camera.source == Source.COMMUNITY:
        camera.tags = attributes_as_tags(_fields_of(camera))


def _osm_notice(camera: Camera, what: str) -> list[str]:
    """The notice for an OSM camera; ``what`` was applied: change, removal or filled."""
    if camera.source != Source.OSM:
        return []
    values = {"id": camera.pk, "url": camera.osm_url}
    # One whole sentence each, so that a language can agree its words with what was applied.
    if what == "change":
        notice = _(
            "Camera %(id)s comes from OpenStreetMap: the change is applied here, but the next "
            "import of this area will restore OpenStreetMap's data unless the same edit is "
            "made there: %(url)s"
        )
    elif what == "removal":
        notice = _(
            "Camera %(id)s comes from OpenStreetMap: the removal is applied here, but the next "
            "import of this area will restore OpenStreetMap's data unless the same edit is "
            "made there: %(url)s"
        )
    else:
        notice = _(
            "Camera %(id)s comes from OpenStreetMap: the filled-in fields are applied here, but "
            "the next import of this area will restore OpenStreetMap's data unless the same "
            "edit is made there: %(url)s"
        )
    return [notice % values]


def _attach_photos(submission: Submission, camera: Camera) -> int:
    return CameraPhoto.objects.filter(submission=submission).update(camera=camera)


def _decide(submission: Submission, moderator: Any, status: str, camera: Camera | None) -> None:
    submission.status = status
    submission.moderator = moderator if getattr(moderator, "pk", None) else None
    submission.decided_at = timezone.now()
    if camera is not None:
        submission.camera = camera
    submission.save(update_fields=["status", "moderator", "decided_at", "camera", "reason"])


def _seen(camera: Camera, submission: Submission) -> None:
    """The resident saw the camera when they wrote; never move last_checked backwards."""
    camera.last_checked = (
        submission.created_at
        if camera.last_checked is None
        else max(camera.last_checked, submission.created_at)
    )


def _approve_new(submission: Submission) -> Decision:
    now = timezone.now()
    camera = Camera(
        source=Source.COMMUNITY,
        location=submission.location,
        surveillance_type=DEFAULT_SURVEILLANCE_TYPE,
        first_seen=now,
        last_seen=now,
        updated_at=now,
    )
    apply_fields(camera, submission.attributes)
    _seen(camera, submission)
    retag_community(camera)
    camera.save()
    _attach_photos(submission, camera)
    return Decision(submission, camera)


def _approve_change(submission: Submission) -> Decision:
    camera = _lock_active_camera(submission.camera)
    apply_fields(camera, submission.attributes)
    if submission.location is not None:
        camera.location = submission.location
    _seen(camera, submission)
    retag_community(camera)
    camera.updated_at = timezone.now()
    camera.save()
    _attach_photos(submission, camera)
    return Decision(submission, camera, _osm_notice(camera, "change"))


def _approve_removed(submission: Submission) -> Decision:
    camera = _lock_active_camera(submission.camera)
    camera.status = CameraStatus.REMOVED
    camera.removed_at = camera.updated_at = timezone.now()
    _seen(camera, submission)
    camera.save(update_fields=["status", "removed_at", "updated_at", "last_checked"])
    # Its photos show where the camera was (an empty wall): nothing ever shows them, and
    # they may picture people, as a rejected report's. They were kept for ever, at a URL.
    delete_photos(CameraPhoto.objects.filter(submission=submission, camera__isnull=True))
    return Decision(submission, camera, _osm_notice(camera, "removal"))


def _approve_confirm(submission: Submission) -> Decision:
    camera = _lock_active_camera(submission.camera)
    Camera.objects.filter(pk=camera.pk).update(
        confirmations=F("confirmations") + 1,
        last_checked=Greatest(F("last_checked"), submission.created_at),
        updated_at=timezone.now(),
    )
    # Greatest() ignores NULLs in PostgreSQL, so a first confirmation sets the date too.
    _attach_photos(submission, camera)
    camera.refresh_from_db()
    return Decision(submission, camera)


APPROVERS = {
    SubmissionKind.NEW: _approve_new,
    SubmissionKind.CHANGE: _approve_change,
    SubmissionKind.REMOVED: _approve_removed,
    SubmissionKind.CONFIRM: _approve_confirm,
}


def approve(submission: Submission | int, moderator: Any) -> Decision:
    """Approve: new -> a community camera with the photos; change -> the camera updated;
    removed -> the camera marked removed (kept for history); confirm -> one more
    confirmation and a fresh last-checked date."""
    with transaction.atomic():
        locked = _lock_pending(submission)
        decision = APPROVERS[locked.kind](locked)
        _decide(locked, moderator, SubmissionStatus.APPROVED, decision.camera)
        if locked.kind != SubmissionKind.CONFIRM:
            refresh_derived_data([decision.camera.pk])
    return decision


def merge(submission: Submission | int, moderator: Any, camera: Camera | int) -> Decision:
    """A "new camera" that is in fact an existing one: the sighting confirms that camera,
    its photos join it, and what it said fills the camera's empty fields (never
    overwrites them)."""
    with transaction.atomic():
        locked = _lock_pending(submission)
        if locked.kind != SubmissionKind.NEW:
            raise ModerationError(
                "kind",
                _("only new-camera submissions can be merged, not kind=%(kind)s")
                % {"kind": locked.kind},
            )
        target = _lock_active_camera(camera)
        filled = apply_fields(target, locked.attributes, only_blank=True)
        target.confirmations += 1
        _seen(target, locked)
        retag_community(target)
        target.updated_at = timezone.now()
        target.save()
        _attach_photos(locked, target)
        _decide(locked, moderator, SubmissionStatus.MERGED, target)
        if filled:
            refresh_derived_data([target.pk])
    return Decision(locked, target, _osm_notice(target, "filled") if filled else [])


def reject(submission: Submission | int, moderator: Any, reason: str) -> Decision:
    """Reject with a reason. The photos are deleted at once: they will never be shown and
    may picture people."""
    reason = (reason or "").strip()
    if not reason:
        raise ModerationError("reason", _("say why the submission is rejected"))
    with transaction.atomic():
        locked = _lock_pending(submission)
        locked.reason = reason
        _decide(locked, moderator, SubmissionStatus.REJECTED, None)
        delete_photos(CameraPhoto.objects.filter(submission=locked, camera__isnull=True))
    return Decision(locked, None)


def delete_photos(photos) -> int:
    """Delete photo rows; their files follow once the transaction commits (mapping.signals)."""
    count, _ = photos.delete()
    return count
