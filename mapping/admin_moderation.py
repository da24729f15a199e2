"""Moderation in the Django admin: the submission queue, its actions and decision buttons.

The admin calls the same functions as the API (mapping.moderation), so a
decision means the same thing wherever it is taken. Only moderators
(mapping.moderation.is_moderator) see the actions and the buttons; the
moderators group's permissions let its staff members open the screens.
Decided submissions are read-only history and cannot be deleted. Every text is in the
moderator's language (the request's, as LocaleMiddleware picks it), counts with ngettext.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from leaflet.admin import LeafletGeoAdmin

from mapping.models import CameraPhoto, Submission, SubmissionStatus
from mapping.moderation import Decision, ModerationError, approve, is_moderator, merge, reject
from mapping.submission_attributes import AttributesInvalid, normalise_attributes
from mapping.submissions import check_rules, localized_warnings, quality_warnings

DECIDED_READONLY = (
    "kind",
    "camera",
    "location",
    "attributes",
    "note",
    "pseudonym",
)
ALWAYS_READONLY = (
    "status",
    "moderator",
    "reason",
    "decided_at",
    "created_at",
    "warnings_list",
    "candidates_links",
)


class PhotoMedia:
    """The thumbnails' size (static/css/admin.css): a class, not a style attribute, which
    the admin's Content-Security-Policy refuses. Added to the inlines' own media."""

    css = {"all": ["css/admin.css"]}


def thumbnail_html(photo: CameraPhoto) -> str:
    if not photo.thumbnail:
        return "-"
    return format_html(
        '<a href="{}" target="_blank" rel="noopener">'
        '<img src="{}" alt="" class="photo-thumbnail"></a>',
        photo.image.url,
        photo.thumbnail.url,
    )


class SubmissionPhotoInline(admin.TabularInline):
    model = CameraPhoto
    fk_name = "submission"
    extra = 0
    fields = ("preview", "width", "height", "camera", "created_at")
    readonly_fields = fields
    can_delete = True  # an unsuitable photo (a face, a licence plate) can be removed
    Media = PhotoMedia

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # photos arrive with the submission, re-encoded; never raw from here

    @admin.display(description=gettext_lazy("photo"))
    def preview(self, photo: CameraPhoto) -> str:
        return thumbnail_html(photo)


class SubmissionForm(forms.ModelForm):
    class Meta:
        model = Submission
        fields = ("kind", "camera", "location", "attributes", "note", "pseudonym")

    def clean_attributes(self) -> dict[str, Any]:
        try:
            return normalise_attributes(self.cleaned_data.get("attributes") or {})
        except AttributesInvalid as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self) -> dict[str, Any]:
        """The API's rules (a new camera needs a place, a change needs a camera...)."""
        data = super().clean()
        if not self.errors:
            check_rules(
                data.get("kind"), data.get("location"), data.get("camera"), data.get("attributes")
            )
        return data


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class SubmissionAdmin(LeafletGeoAdmin):
    form = SubmissionForm
    change_form_template = "admin/mapping/submission/change_form.html"
    list_display = (
        "id",
        "kind",
        "status",
        "camera",
        "warning_count",
        "photo_count",
        "pseudonym",
        "created_at",
    )
    list_filter = ("status", "kind")
    search_fields = ("pseudonym", "note", "=camera__osm_id", "camera__operator", "camera__ref")
    readonly_fields = ALWAYS_READONLY
    inlines = [SubmissionPhotoInline]
    actions = ["approve_selected", "reject_selected"]
    settings_overrides = {"DEFAULT_ZOOM": 18}

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("camera").prefetch_related("photos")

    def get_readonly_fields(self, request: HttpRequest, obj: Submission | None = None):
        if obj is not None and obj.status != SubmissionStatus.PENDING:
            return (*DECIDED_READONLY, *ALWAYS_READONLY)
        return ALWAYS_READONLY

    def save_model(self, request: HttpRequest, obj: Submission, form, change: bool) -> None:
        # A report typed in (or corrected) here gets the same warnings as one sent to the API.
        if obj.status == SubmissionStatus.PENDING:
            obj.warnings, obj.duplicate_candidates = quality_warnings(
                obj.kind, obj.location, obj.camera, obj.attributes
            )
        super().save_model(request, obj, form, change)

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return is_moderator(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Submission | None = None) -> bool:
        # Pending spam may go; decided submissions are history (and own camera photos).
        if obj is not None and obj.status != SubmissionStatus.PENDING:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # would bypass the per-object rule above
        return actions

    @admin.display(description=gettext_lazy("warnings"))
    def warning_count(self, submission: Submission) -> int:
        return len(submission.warnings or [])

    @admin.display(description=gettext_lazy("photos"))
    def photo_count(self, submission: Submission) -> int:
        return len(submission.photos.all())

    @admin.display(description=gettext_lazy("warnings"))
    def warnings_list(self, submission: Submission) -> str:
        if not submission.warnings:
            return "-"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}</li>",
                ((w.get("message", ""),) for w in localized_warnings(submission.warnings)),
            ),
        )

    @admin.display(description=gettext_lazy("possible duplicates"))
    def candidates_links(self, submission: Submission) -> str:
        if not submission.duplicate_candidates:
            return "-"
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (
                    reverse("admin:mapping_camera_change", args=[pk]),
                    _("camera %(id)s") % {"id": pk},
                )
                for pk in submission.duplicate_candidates
            ),
        )

    # --- Decisions -------------------------------------------------------------------------

    def _report(self, request: HttpRequest, done_message: str, failures: list[str]) -> None:
        """``done_message`` is empty when nothing was done."""
        if done_message:
            self.message_user(request, done_message, messages.SUCCESS)
        for failure in failures:
            self.message_user(request, failure, messages.ERROR)

    @admin.action(
        description=gettext_lazy("Approve selected submissions"), permissions=["moderate"]
    )
    def approve_selected(self, request: HttpRequest, queryset) -> None:
        done, failures = 0, []
        for submission in queryset.order_by("created_at", "id"):
            try:
                decision = approve(submission, request.user)
            except ModerationError as error:
                failures.append(_failure(submission, error))
                continue
            done += 1
            for notice in decision.notices:
                self.message_user(request, notice, messages.WARNING)
        approved = ngettext(
            "%(count)d submission approved.", "%(count)d submissions approved.", done
        ) % {"count": done}
        self._report(request, approved if done else "", failures)

    @admin.action(
        description=gettext_lazy("Reject selected submissions (asks why)"),
        permissions=["moderate"],
    )
    def reject_selected(self, request: HttpRequest, queryset) -> HttpResponse | None:
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done, failures = 0, []
            for submission in queryset:
                try:
                    reject(submission, request.user, form.cleaned_data["reason"])
                    done += 1
                except ModerationError as error:
                    failures.append(_failure(submission, error))
            rejected = ngettext(
                "%(count)d submission rejected.", "%(count)d submissions rejected.", done
            ) % {"count": done}
            self._report(request, rejected if done else "", failures)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reject submissions"),
            "form": form,
            "submissions": queryset,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/mapping/submission/reject_selected.html", context)

    def get_urls(self):
        moderate = self.admin_site.admin_view(self.moderate_view)
        return [
            path("<int:object_id>/moderate/", moderate, name="mapping_submission_moderate"),
            *super().get_urls(),
        ]

    def moderate_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """The change page's buttons: approve, reject with a reason, merge into a camera."""
        if request.method != "POST" or not is_moderator(request.user):
            raise PermissionDenied
        submission = get_object_or_404(Submission, pk=object_id)
        back = reverse("admin:mapping_submission_change", args=[submission.pk])
        decision_name = request.POST.get("decision", "")
        try:
            if decision_name == "approve":
                decision = approve(submission, request.user)
            elif decision_name == "reject":
                decision = reject(submission, request.user, request.POST.get("reason", ""))
            elif decision_name == "merge":
                decision = merge(submission, request.user, _camera_id(request.POST.get("camera")))
            else:
                raise ModerationError("decision", _("choose approve, reject or merge"))
        except ModerationError as error:
            self.message_user(
                request, _("Not done: %(error)s") % {"error": error.message}, messages.ERROR
            )
            return HttpResponseRedirect(back)
        self.message_user(request, _decided_message(decision), messages.SUCCESS)
        for notice in decision.notices:
            self.message_user(request, notice, messages.WARNING)
        if decision.camera is not None and decision_name != "reject":
            return HttpResponseRedirect(
                reverse("admin:mapping_camera_change", args=[decision.camera.pk])
            )
        return HttpResponseRedirect(back)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        submission = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "can_moderate": is_moderator(request.user)
            and submission is not None
            and submission.status == SubmissionStatus.PENDING,
            "reject_form": RejectForm(),
        }
        return super().change_view(request, object_id, form_url, extra_context)


def _failure(submission: Submission, error: ModerationError) -> str:
    return _("Submission %(id)s: %(error)s") % {"id": submission.pk, "error": error.message}


def _decided_message(decision: Decision) -> str:
    """One whole sentence per outcome, so that a language can agree its words with it."""
    submission = decision.submission
    if submission.status == SubmissionStatus.MERGED:
        return _("Submission %(id)s merged into camera %(camera)s.") % {
            "id": submission.pk,
            "camera": submission.camera_id,
        }
    if submission.status == SubmissionStatus.REJECTED:
        return _("Submission %(id)s rejected.") % {"id": submission.pk}
    return _("Submission %(id)s approved.") % {"id": submission.pk}


def _camera_id(value: str | None) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise ModerationError("camera", _("give the id of the camera to merge into")) from None
