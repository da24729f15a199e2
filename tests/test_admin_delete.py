"""The admin's delete action agrees with each model in French: Django's own description
read "Supprimer les caméras sélectionnés" (caméra is feminine). The action is still
Django's: its confirmation page, its permission check, its message."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.actions import delete_selected
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import RequestFactory

from mapping.models import Camera, ImportRun
from tests.factories import make_building, make_camera, make_segment, point

pytestmark = pytest.mark.django_db

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}

# Every model of ours whose admin offers the delete action, with its French sentence.
# (Submissions have none: a decided one is history and cannot be deleted.)
DESCRIPTIONS = {
    "camera": ("Delete selected cameras", "Supprimer les caméras sélectionnées"),
    "importrun": ("Delete selected import runs", "Supprimer les imports sélectionnés"),
    "streetsegment": (
        "Delete selected street segments",
        "Supprimer les tronçons de rue sélectionnés",
    ),
    "building": ("Delete selected buildings", "Supprimer les bâtiments sélectionnés"),
}


# The change list offers its actions only when it lists something.
ONE_ROW = {
    "camera": lambda: make_camera(),
    "importrun": lambda: ImportRun.objects.create(kind="file", file="x.osm.pbf"),
    "streetsegment": lambda: make_segment([(2.35, 48.85), (2.351, 48.85)], 1, 2),
    "building": lambda: make_building(2.35, 48.85),
}


def option(description: str) -> str:
    return f'<option value="delete_selected">{description}</option>'


@pytest.mark.parametrize(("model", "english", "french"), [(m, *d) for m, d in DESCRIPTIONS.items()])
def test_the_delete_action_is_a_sentence_agreeing_with_the_model(
    admin_client, model, english, french
):
    ONE_ROW[model]()
    url = f"/admin/mapping/{model}/"
    in_french = admin_client.get(url, **FRENCH).content.decode()
    assert option(french) in in_french
    in_english = admin_client.get(url).content.decode()
    assert option(english) in in_english


def test_every_model_of_ours_offering_the_delete_action_has_its_own_sentence(admin_user):
    """A model added to the admin later gets Django's agreement-less sentence unless it is
    given its own: this lists it."""
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    offered = {}
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label != "mapping":
            continue
        actions = model_admin.get_actions(request)
        if "delete_selected" in actions:
            offered[model._meta.model_name] = str(actions["delete_selected"][2])
    assert offered == {model: english for model, (english, _) in DESCRIPTIONS.items()}
    assert str(delete_selected.short_description) not in offered.values()


def test_deleting_selected_cameras_still_asks_then_deletes_in_french(admin_client):
    cameras = [make_camera(location=point(2.35, 48.85 + i * 0.001)).pk for i in range(2)]
    keep = make_camera(location=point(2.36, 48.86)).pk
    chosen = {"action": "delete_selected", "_selected_action": cameras}
    ask = admin_client.post("/admin/mapping/camera/", chosen, **FRENCH)
    page = ask.content.decode()
    # Django's own sentence agrees with "objets", whatever the model.
    assert "Voulez-vous vraiment supprimer les objets caméras sélectionnés\u00a0?" in page
    assert '<input type="hidden" name="action" value="delete_selected">' in page
    assert Camera.objects.filter(pk__in=cameras).count() == 2
    done = admin_client.post(
        "/admin/mapping/camera/", {**chosen, "post": "yes"}, follow=True, **FRENCH
    )
    assert "La suppression de 2 caméras a réussi." in done.content.decode()
    assert list(Camera.objects.filter(pk__in=[*cameras, keep]).values_list("pk", flat=True)) == [
        keep
    ]


def test_staff_without_the_delete_permission_neither_see_nor_use_the_action(client):
    staff = get_user_model().objects.create_user("staff-2", password="x-not-used-42", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_camera"))
    client.force_login(staff)
    camera = make_camera().pk
    page = client.get("/admin/mapping/camera/", **FRENCH).content.decode()
    assert "delete_selected" not in page
    refused = client.post(
        "/admin/mapping/camera/",
        {"action": "delete_selected", "_selected_action": [camera], "post": "yes"},
        follow=True,
        **FRENCH,
    )
    assert refused.status_code == 200
    assert "supprimer" not in refused.content.decode()
    assert Camera.objects.filter(pk=camera).exists()
