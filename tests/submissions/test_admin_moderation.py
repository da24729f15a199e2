"""Moderation in the Django admin: the same decisions, from the queue and the change page."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from mapping.models import Camera, Submission
from mapping.photos import read_photos
from mapping.submissions import submit
from tests.factories import make_camera, point
from tests.submissions import images

pytestmark = pytest.mark.django_db

LON, LAT = 2.3722, 48.8566


@pytest.fixture
def moderator_admin(client, moderator):
    moderator.is_staff = True
    moderator.save()
    client.force_login(moderator)
    return client


@pytest.fixture
def staff_admin(client):
    """Staff allowed to look at submissions, but not a moderator."""
    user = get_user_model().objects.create_user("staff-1", password="x-not-used-42", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_submission", "change_submission"])
    )
    client.force_login(user)
    return client


def pending(kind="new", offset=0.0, photos=(), **fields) -> Submission:
    if kind == "new":
        fields.setdefault("location", point(LON, LAT + offset))
    return submit(kind, photos=read_photos(photos), **fields).submission


def test_the_queue_lists_submissions_with_their_warnings_and_photos(moderator_admin):
    make_camera(location=point(LON, LAT))
    submission = pending(photos=[images.upload(images.phone_jpeg())])
    html = moderator_admin.get("/admin/mapping/submission/", {"status__exact": "pending"}).content
    assert f'href="/admin/mapping/submission/{submission.pk}/change/' in html.decode()
    assert b"Approve selected submissions" in html
    assert b"Reject selected submissions" in html
    assert b"Delete selected" not in html


def test_the_change_page_shows_photos_warnings_and_the_decision_buttons(moderator_admin):
    nearby = make_camera(location=point(LON, LAT + 0.01))
    submission = pending(offset=0.01, photos=[images.upload(images.phone_jpeg())])
    html = moderator_admin.get(f"/admin/mapping/submission/{submission.pk}/change/").content
    html = html.decode()
    photo = submission.photos.get()
    assert photo.thumbnail.url in html
    assert "already mapped within 15 m" in html
    assert f"/admin/mapping/camera/{nearby.pk}/change/" in html
    assert f'action="/admin/mapping/submission/{submission.pk}/moderate/"' in html
    assert 'value="approve"' in html and 'value="reject"' in html and 'value="merge"' in html
    assert f'value="{nearby.pk}"' in html  # merge pre-filled with the nearest candidate


def test_approving_from_the_change_page_creates_the_camera(moderator_admin):
    submission = pending(
        offset=0.02,
        attributes={"camera_type": "dome"},
        photos=[images.upload(images.phone_jpeg())],
    )
    response = moderator_admin.post(
        f"/admin/mapping/submission/{submission.pk}/moderate/", {"decision": "approve"}
    )
    submission.refresh_from_db()
    camera = Camera.objects.get(pk=submission.camera_id)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/mapping/camera/{camera.pk}/change/"
    assert submission.status == "approved"
    assert camera.source == "community" and camera.camera_type == "dome"
    assert camera.photos.count() == 1
    camera_page = moderator_admin.get(response["Location"]).content.decode()
    assert camera.photos.get().thumbnail.url in camera_page


def test_rejecting_and_merging_from_the_change_page(moderator_admin):
    target = make_camera(location=point(LON, LAT + 0.03))
    to_reject = pending(offset=0.031)
    to_merge = pending(offset=0.03)
    url = "/admin/mapping/submission/{}/moderate/"
    no_reason = moderator_admin.post(url.format(to_reject.pk), {"decision": "reject"}, follow=True)
    assert "Not done: say why" in no_reason.content.decode()
    moderator_admin.post(url.format(to_reject.pk), {"decision": "reject", "reason": "blurry"})
    moderator_admin.post(url.format(to_merge.pk), {"decision": "merge", "camera": str(target.pk)})
    to_reject.refresh_from_db()
    to_merge.refresh_from_db()
    target.refresh_from_db()
    assert (to_reject.status, to_reject.reason) == ("rejected", "blurry")
    assert (to_merge.status, to_merge.camera_id) == ("merged", target.pk)
    assert target.confirmations == 1


def test_bulk_approve_and_bulk_reject_with_a_reason(moderator_admin):
    camera = make_camera(location=point(LON, LAT + 0.04))
    confirm = pending(kind="confirm", camera=camera)
    to_reject = [pending(offset=0.041), pending(offset=0.042)]
    changelist = "/admin/mapping/submission/"
    moderator_admin.post(
        changelist, {"action": "approve_selected", "_selected_action": [confirm.pk]}
    )
    camera.refresh_from_db()
    assert camera.confirmations == 1
    ids = [s.pk for s in to_reject]
    ask = moderator_admin.post(changelist, {"action": "reject_selected", "_selected_action": ids})
    assert ask.status_code == 200 and b"Their photos will be deleted" in ask.content
    assert Submission.objects.filter(pk__in=ids, status="pending").count() == 2
    moderator_admin.post(
        changelist,
        {"action": "reject_selected", "_selected_action": ids, "apply": "1", "reason": "spam"},
    )
    assert list(Submission.objects.filter(pk__in=ids).values_list("status", "reason")) == [
        ("rejected", "spam"),
        ("rejected", "spam"),
    ]


def test_staff_who_are_not_moderators_cannot_decide(staff_admin):
    submission = pending(offset=0.05)
    page = staff_admin.get(f"/admin/mapping/submission/{submission.pk}/change/").content
    assert b'id="moderation"' not in page
    assert b"Approve selected" not in staff_admin.get("/admin/mapping/submission/").content
    response = staff_admin.post(
        f"/admin/mapping/submission/{submission.pk}/moderate/", {"decision": "approve"}
    )
    assert response.status_code == 403
    staff_admin.post(
        "/admin/mapping/submission/",
        {"action": "approve_selected", "_selected_action": [submission.pk]},
    )
    submission.refresh_from_db()
    assert submission.status == "pending"


def test_decided_submissions_are_read_only_history(moderator_admin, admin_client):
    submission = pending(offset=0.06)
    moderator_admin.post(
        f"/admin/mapping/submission/{submission.pk}/moderate/", {"decision": "approve"}
    )
    page = admin_client.get(f"/admin/mapping/submission/{submission.pk}/change/").content
    assert b'name="note"' not in page and b'id="moderation"' not in page
    delete = admin_client.get(f"/admin/mapping/submission/{submission.pk}/delete/")
    assert delete.status_code == 403


def test_the_admin_form_checks_attributes_like_the_api(admin_client):
    submission = pending(offset=0.07)
    response = admin_client.post(
        f"/admin/mapping/submission/{submission.pk}/change/",
        {
            "kind": "new",
            "location": '{"type": "Point", "coordinates": [2.3722, 48.9266]}',
            "attributes": '{"camera:type": "round"}',
            "note": "",
            "pseudonym": "",
            "photos-TOTAL_FORMS": "0",
            "photos-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "is not accepted: one of fixed, dome, panning" in response.content.decode()
    submission.refresh_from_db()
    assert submission.attributes == {}


def test_a_report_typed_into_the_admin_gets_the_same_rules_and_warnings(admin_client):
    nearby = make_camera(location=point(LON, LAT + 0.08))
    form = {
        "kind": "new",
        "attributes": '{"camera:type": "fixed"}',
        "note": "phoned in",
        "pseudonym": "",
        "photos-TOTAL_FORMS": "0",
        "photos-INITIAL_FORMS": "0",
    }
    refused = admin_client.post("/admin/mapping/submission/add/", {**form, "location": ""})
    assert refused.status_code == 200
    assert "a new camera needs a location" in refused.content.decode()
    assert not Submission.objects.filter(note="phoned in").exists()
    location = f'{{"type": "Point", "coordinates": [{LON}, {LAT + 0.08}]}}'
    added = admin_client.post("/admin/mapping/submission/add/", {**form, "location": location})
    assert added.status_code == 302
    stored = Submission.objects.get(note="phoned in")
    assert stored.duplicate_candidates == [nearby.pk]
    assert [w["code"] for w in stored.warnings] == ["fixed_without_direction", "possible_duplicate"]


def test_a_camera_edited_in_the_admin_gets_its_field_of_view_and_tags_again(rf, admin_user):
    """The admin saved the camera alone: its cone kept the old direction and place, the
    streets kept seeing it, and a community camera's tags kept the old direction."""
    from django.contrib import admin

    from mapping.analysis import refresh_derived_data

    camera = make_camera(
        source="community",
        location=point(LON, LAT + 0.09),
        camera_type="fixed",
        directions=[90.0],
        tags={"man_made": "surveillance", "camera:direction": "90"},
    )
    refresh_derived_data([camera.pk])
    camera.refresh_from_db()
    east_cone = camera.fov.centroid
    assert east_cone.x > camera.location.x  # looking east

    camera.directions = [270.0]
    request = rf.post(f"/admin/mapping/camera/{camera.pk}/change/")
    request.user = admin_user
    admin.site._registry[Camera].save_model(request, camera, form=None, change=True)

    camera.refresh_from_db()
    assert camera.fov.centroid.x < camera.location.x  # now looking west
    assert camera.tags["camera:direction"] == "270"
