"""The moderation admin in the moderator's language: Django's own words were French but
ours were not ("2 submission(s) approved.", "Merge into camera id", "By status").

Through the real admin with the test client, signed in as a moderator; the language is
the request's (Accept-Language), as LocaleMiddleware picks it everywhere.
"""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from mapping.models import Submission
from tests.factories import make_camera, point
from tests.submissions.test_admin_moderation import LAT, LON, pending

pytestmark = pytest.mark.django_db

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}
CHANGELIST = "/admin/mapping/submission/"
MODERATE = "/admin/mapping/submission/{}/moderate/"


@pytest.fixture
def moderator_admin(client, moderator):
    moderator.is_staff = True
    moderator.save()
    client.force_login(moderator)
    return client


def messages_shown(response) -> list[str]:
    """The messages of the page a decision led to, each also checked to be on the page."""
    texts = [str(message.message) for message in get_messages(response.wsgi_request)]
    page = response.content.decode()
    for text in texts:
        assert text in page
    return texts


def test_a_bulk_approval_is_reported_in_french(moderator_admin):
    camera = make_camera(location=point(LON, LAT + 0.2))
    two = [pending(kind="confirm", camera=camera), pending(kind="confirm", camera=camera)]
    one = pending(kind="confirm", camera=camera)
    action = {"action": "approve_selected"}
    done = moderator_admin.post(
        CHANGELIST, {**action, "_selected_action": [s.pk for s in two]}, follow=True, **FRENCH
    )
    assert messages_shown(done) == ["2 signalements approuvés."]
    done = moderator_admin.post(
        CHANGELIST, {**action, "_selected_action": [one.pk]}, follow=True, **FRENCH
    )
    assert messages_shown(done) == ["1 signalement approuvé."]
    again = moderator_admin.post(
        CHANGELIST, {**action, "_selected_action": [one.pk]}, follow=True, **FRENCH
    )
    assert messages_shown(again) == [
        f"Signalement {one.pk} : le signalement {one.pk} a déjà été approuvé"
    ]


def test_a_bulk_approval_is_reported_in_english_without_a_french_header(moderator_admin):
    camera = make_camera(location=point(LON, LAT + 0.21))
    ids = [pending(kind="confirm", camera=camera).pk for _ in range(2)]
    done = moderator_admin.post(
        CHANGELIST, {"action": "approve_selected", "_selected_action": ids}, follow=True
    )
    assert messages_shown(done) == ["2 submissions approved."]


def test_a_bulk_rejection_asks_and_reports_in_french(moderator_admin):
    ids = [pending(offset=0.22).pk, pending(offset=0.221).pk]
    action = {"action": "reject_selected", "_selected_action": ids}
    ask = moderator_admin.post(CHANGELIST, action, **FRENCH).content.decode()
    assert "<h1>Refuser des signalements</h1>" in ask
    assert "Refuser ces 2 signalements ? Leurs photos seront supprimées." in ask
    assert "Motif\u00a0:</label>" in ask  # Django French puts a no-break space
    assert 'value="Refuser"' in ask
    assert "nouvelle caméra (en attente) #" in ask  # each submission, named in French
    done = moderator_admin.post(
        CHANGELIST, {**action, "apply": "1", "reason": "floue"}, follow=True, **FRENCH
    )
    assert messages_shown(done) == ["2 signalements refusés."]
    assert set(Submission.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        "rejected"
    }


def test_the_queue_is_in_french(moderator_admin):
    pending(offset=0.23)
    page = moderator_admin.get(CHANGELIST, **FRENCH).content.decode()
    assert "Approuver les signalements sélectionnés" in page
    assert "Refuser les signalements sélectionnés (en demandant pourquoi)" in page
    # The filters' titles and choices, the columns.
    assert "Par statut" in page and "Par type" in page
    assert "en attente" in page and "nouvelle caméra" in page
    assert "Avertissements" in page and "Pseudonyme" in page
    assert "Approve selected" not in page and "By status" not in page


def test_the_change_page_buttons_are_in_french(moderator_admin):
    nearby = make_camera(location=point(LON, LAT + 0.24))
    submission = pending(offset=0.24)
    page = moderator_admin.get(f"{CHANGELIST}{submission.pk}/change/", **FRENCH).content.decode()
    assert "<h2>Modération</h2>" in page
    assert "Créer une caméra des habitants avec ces attributs et ces photos." in page
    assert 'value="Approuver"' in page and 'value="Refuser"' in page
    assert 'value="Fusionner"' in page
    assert "Motif du refus" in page
    assert "Fusionner avec la caméra n°" in page
    assert (
        "Le signalement confirme cette caméra, ses photos la rejoignent et il remplit ses "
        "champs vides." in page
    )
    assert "Doublons possibles" in page
    assert f">caméra {nearby.pk}</a>" in page
    # The model's help text.
    assert "La caméra concernée (modification, disparition, confirmation)" in page


def test_decisions_from_the_change_page_are_reported_in_french(moderator_admin):
    target = make_camera(location=point(LON, LAT + 0.25))
    to_merge = pending(offset=0.25)
    refused = moderator_admin.post(
        MODERATE.format(to_merge.pk), {"decision": "reject"}, follow=True, **FRENCH
    )
    assert messages_shown(refused) == ["Non fait : dites pourquoi le signalement est refusé"]
    no_camera = moderator_admin.post(
        MODERATE.format(to_merge.pk), {"decision": "merge", "camera": "x"}, follow=True, **FRENCH
    )
    assert messages_shown(no_camera) == [
        "Non fait : donnez l\u2019identifiant de la caméra avec laquelle fusionner"
    ]
    merged = moderator_admin.post(
        MODERATE.format(to_merge.pk),
        {"decision": "merge", "camera": str(target.pk)},
        follow=True,
        **FRENCH,
    )
    assert messages_shown(merged) == [
        f"Signalement {to_merge.pk} fusionné avec la caméra {target.pk}."
    ]
    to_reject = pending(offset=0.251)
    rejected = moderator_admin.post(
        MODERATE.format(to_reject.pk),
        {"decision": "reject", "reason": "floue"},
        follow=True,
        **FRENCH,
    )
    assert messages_shown(rejected) == [f"Signalement {to_reject.pk} refusé."]
