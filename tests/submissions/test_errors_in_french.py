"""What a resident sending a report and a moderator deciding it read, in the language of
their request: the submission rules, the warnings and the moderation refusals were English
on the French map. The stored warnings stay in English, the record's language."""

from __future__ import annotations

import pytest

from mapping.models import Submission
from tests.factories import make_camera, point

pytestmark = pytest.mark.django_db

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}
LON, LAT = 2.3522, 48.8566  # the factories' empty test area (Paris)
NBSP = "\u00a0"  # what French puts between thousands


def post(client, headers=None, **fields):
    return client.post("/api/submissions/", fields, format="multipart", **(headers or {}))


# --- Submission rules and warnings -----------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "french", "english"),
    [
        (
            {"kind": "confirm"},
            "camera",
            "quelle caméra ? kind=confirm demande un identifiant de caméra",
            "which camera? kind=confirm needs a camera id",
        ),
        (
            {"kind": "new"},
            "location",
            "une nouvelle caméra a besoin d\u2019une position",
            "a new camera needs a location",
        ),
        (
            {"kind": "new", "location": "48.85"},
            "location",
            "attendu : « LON,LAT » (longitude d\u2019abord) ou un Point GeoJSON",
            "expected 'LON,LAT' (longitude first) or a GeoJSON Point",
        ),
        (
            {"kind": "new", "location": f"{LON},{LAT}", "photo": "x"},
            "photo",
            "champ inconnu ; champs connus : kind, camera, ",
            "unknown field; known: kind, camera, ",
        ),
        (
            {"kind": "new", "location": f"{LON},{LAT}", "attributes": '{"colour": "grey"}'},
            "attributes",
            "colour: attribut inconnu ; clés acceptées : surveillance, surveillance:type, ",
            "colour: unknown attribute; accepted keys: surveillance, surveillance:type, ",
        ),
        (
            {"kind": "new", "location": f"{LON},{LAT}", "pseudonym": "a\u0007b"},
            "pseudonym",
            "le caractère de contrôle U+0007 n\u2019est pas autorisé",
            "control character U+0007 is not allowed",
        ),
    ],
)
def test_submission_refusals_follow_the_language_of_the_request(
    anonymous_client, fields, field, french, english
):
    in_french = post(anonymous_client, FRENCH, **fields)
    assert in_french.status_code == 400, in_french.content[:300]
    assert in_french.json()["errors"][field][0].startswith(french)
    in_english = post(anonymous_client, **fields)
    assert in_english.status_code == 400
    assert in_english.json()["errors"][field][0].startswith(english)


def test_a_removed_camera_is_named_in_french(anonymous_client):
    camera = make_camera(location=point(LON, LAT), status="removed", removed_at="2024-01-01T00:00Z")
    response = post(anonymous_client, FRENCH, kind="confirm", camera=camera.pk)
    assert response.json()["errors"]["camera"] == [
        f"la caméra {camera.pk} est déjà marquée comme disparue"
    ]


def test_the_moved_far_warning_is_in_french_and_stored_in_english(anonymous_client):
    camera = make_camera(location=point(LON, LAT - 0.03))
    response = post(
        anonymous_client, FRENCH, kind="change", camera=camera.pk, location=f"{LON},{LAT - 0.02}"
    )
    assert response.status_code == 201, response.json()
    moved = next(w for w in response.json()["warnings"] if w["code"] == "moved_far")
    metres = f"{moved['metres']:,}".replace(",", NBSP)  # 1 112 m, in French's grouping
    assert moved["message"] == (
        f"Ceci déplace la caméra de {metres} m : est-ce vraiment la même caméra ? "
        "Une nouvelle caméra se signale comme nouvelle."
    )
    stored = Submission.objects.get(pk=response.json()["id"]).warnings
    assert [w["message"] for w in stored if w["code"] == "moved_far"] == [
        f"This moves the camera {moved['metres']:,} m: is it really the same camera? "
        "A new one is reported as new."
    ]


def test_warnings_say_numbers_and_plurals_the_french_way(anonymous_client):
    make_camera(location=point(LON + 0.05, LAT + 0.00005))
    fields = {"kind": "new", "location": f"{LON + 0.05},{LAT}", "attributes": '{"height": "0.5"}'}
    french = post(anonymous_client, FRENCH, **fields).json()["warnings"]
    assert [w["message"] for w in french] == [
        "Une hauteur de 0,5 m est inhabituelle pour une caméra (la plupart sont entre 1,5 et "
        "30 m) : vérifiez-la, s\u2019il vous plaît.",
        "1 caméra déjà cartographiée à moins de 15 m : est-ce la même ? Confirmez-la plutôt.",
    ]
    english = post(anonymous_client, **fields).json()["warnings"]
    assert [w["message"] for w in english] == [
        "A height of 0.5 m is unusual for a camera (most are between 1.5 and 30 m): "
        "please check it.",
        "1 camera(s) already mapped within 15 m: is it one of them? Then confirm it instead.",
    ]


# --- Moderation ------------------------------------------------------------------------------


def decide(client, submission_id: int, decision: str, headers=None, **body):
    url = f"/api/submissions/{submission_id}/{decision}/"
    return client.post(url, body, format="json", **(headers or {}))


def test_moderation_refusals_follow_the_language_of_the_request(anonymous_client, moderator_client):
    camera = make_camera(location=point(LON + 0.06, LAT))
    confirmation = post(anonymous_client, kind="confirm", camera=camera.pk).json()
    merge = decide(moderator_client, confirmation["id"], "merge", FRENCH, camera=camera.pk)
    assert merge.status_code == 400
    assert merge.json()["errors"]["kind"] == [
        "seuls les signalements de nouvelle caméra peuvent être fusionnés, pas kind=confirm"
    ]
    assert decide(moderator_client, confirmation["id"], "approve").status_code == 200
    again = decide(moderator_client, confirmation["id"], "approve", FRENCH)
    assert again.status_code == 409
    assert again.json()["detail"] == f"le signalement {confirmation['id']} a déjà été approuvé"
    in_english = decide(moderator_client, confirmation["id"], "approve")
    assert in_english.json()["detail"] == f"submission {confirmation['id']} was already approved"


@pytest.mark.parametrize(
    ("decision", "french", "english"),
    [
        ("approve", "approuvé", "approved"),
        ("reject", "refusé", "rejected"),
        ("merge", "fusionné", "merged"),
    ],
)
def test_a_decided_submission_is_refused_with_its_status_in_the_request_language(
    anonymous_client, moderator_client, decision, french, english
):
    """The status is the label a moderator reads in the admin, agreeing with «signalement»,
    not the stored API value ("déjà été traité (statut : approved)")."""
    camera = make_camera(location=point(LON + 0.065, LAT))
    new = post(anonymous_client, kind="new", location=f"{LON + 0.066},{LAT}").json()
    body = {"approve": {}, "reject": {"reason": "floue"}, "merge": {"camera": camera.pk}}[decision]
    assert decide(moderator_client, new["id"], decision, **body).status_code == 200
    again = decide(moderator_client, new["id"], "approve", FRENCH)
    assert again.status_code == 409
    assert again.json()["detail"] == f"le signalement {new['id']} a déjà été {french}"
    in_english = decide(moderator_client, new["id"], "approve")
    assert in_english.json()["detail"] == f"submission {new['id']} was already {english}"


def test_the_osm_notice_of_a_decision_is_in_french(anonymous_client, moderator_client):
    camera = make_camera(
        source="osm", osm_id=4243, location=point(LON + 0.07, LAT), tags={"man_made": "x"}
    )
    pending = post(anonymous_client, kind="removed", camera=camera.pk).json()
    body = decide(moderator_client, pending["id"], "approve", FRENCH).json()
    assert body["notices"] == [
        f"La caméra {camera.pk} vient d\u2019OpenStreetMap : sa disparition est appliquée ici, "
        "mais le prochain import de cette zone rétablira les données d\u2019OpenStreetMap si "
        "la même modification n\u2019y est pas faite : https://www.openstreetmap.org/node/4243"
    ]


def test_the_queue_and_its_refusals_speak_the_moderators_language(
    anonymous_client, moderator_client, plain_client
):
    """A report sent in English shows its warnings in French to a French moderator."""
    pending = post(
        anonymous_client, kind="new", location=f"{LON + 0.08},{LAT}", attributes='{"height": "45"}'
    ).json()
    assert pending["warnings"][0]["message"].startswith("A height of 45 m is unusual")
    one = moderator_client.get(f"/api/submissions/{pending['id']}/", **FRENCH).json()
    assert one["warnings"][0]["message"].startswith("Une hauteur de 45 m est inhabituelle")
    queue = moderator_client.get("/api/submissions/", {"page": "x"}, **FRENCH)
    assert queue.json()["errors"]["page"] == ["doit être un nombre entier à partir de 1, reçu 'x'"]
    missing = moderator_client.get("/api/submissions/999999999/", **FRENCH)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "aucun signalement n\u2019a l\u2019identifiant 999999999"
    refused = plain_client.get("/api/submissions/", **FRENCH)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Seuls les modérateurs peuvent faire cela."
    assert plain_client.get("/api/submissions/").json()["detail"] == (
        "Only moderators can do this."
    )
