"""The errors a map user meets (a route, a photo) in the language of the page: the French
map showed them in English ("to: the start and the end are the same point")."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.submissions import images

pytestmark = pytest.mark.django_db

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}


@pytest.mark.parametrize(
    ("to", "message"),
    [
        ("2.35,48.85", "le départ et l\u2019arrivée sont le même point"),
        ("2.35,49.2", "les points sont à plus de 20000 m l\u2019un de l\u2019autre"),
    ],
)
def test_route_errors_follow_the_language_of_the_request(to, message):
    params = {"from": "2.35,48.85", "to": to}
    french = APIClient().get("/api/routes/", params, **FRENCH)
    assert french.status_code == 400
    assert french.json()["errors"]["to"][0].startswith(message)
    english = APIClient().get("/api/routes/", params)
    assert not english.json()["errors"]["to"][0].startswith(message)


def test_photo_errors_follow_the_language_of_the_request():
    fields = {
        "kind": "new",
        "location": "2.35,48.85",
        "photos": [images.upload(b"not an image", name="notes.jpg")],
    }
    response = APIClient().post("/api/submissions/", fields, format="multipart", **FRENCH)
    assert response.status_code == 400
    assert response.json()["errors"]["photos"] == [
        "photo 1 (notes.jpg): ce n\u2019est pas une image JPEG, PNG, WebP ou HEIC"
    ]


def test_attribute_errors_follow_the_language_of_the_request():
    """What the add form shows beside the height field."""
    fields = {"kind": "new", "location": "2.35,48.85", "attributes": '{"height": "-5"}'}
    french = APIClient().post("/api/submissions/", fields, format="multipart", **FRENCH)
    assert french.json()["errors"]["attributes"] == [
        "height: \u00ab -5 \u00bb n\u2019est pas accept\u00e9 : m\u00e8tres au-dessus du sol, "
        "par exemple 4 ou 4,5 m (au plus 300)"
    ]
    english = APIClient().post("/api/submissions/", fields, format="multipart")
    assert english.json()["errors"]["attributes"] == [
        "height: '-5' is not accepted: metres above the ground, e.g. 4 or 4.5 m (at most 300)"
    ]


# --- Query-parameter refusals ----------------------------------------------------------------


def first_error(response) -> str:
    """The first message of an error body: the first field's, else the detail."""
    data = response.json()
    errors = data.get("errors")
    return next(iter(errors.values()))[0] if errors else data["detail"]


@pytest.mark.parametrize(
    ("path", "status", "french", "english"),
    [
        (
            "/api/cameras/?capabilities=face_recognition",
            400,
            "paramètre inconnu ; vouliez-vous dire capability ? paramètres connus : ",
            "unknown parameter; did you mean capability? known: ",
        ),
        (
            "/api/cameras/?status=active&status=removed",
            400,
            "donné 2 fois ; donnez-le une seule fois (plusieurs valeurs d\u2019un filtre : un "
            "seul paramètre, valeurs séparées par des virgules)",
            "given 2 times; give it once (several values of a filter: one parameter, "
            "comma-separated)",
        ),
        (
            "/api/cameras/?in_bbox=2.36,48.85,2.35,48.86",
            400,
            "MINLON 2.36 doit être inférieur à MAXLON 2.35",
            "MINLON 2.36 must be less than MAXLON 2.35",
        ),
        (
            "/api/cameras/?in_bbox=-10,-10,30,30",
            400,
            "le cadre couvre 1600 degrés carrés, plus que les 400 autorisés ici",
            "the box covers 1600 square degrees, more than the 400 allowed here",
        ),
        ("/api/cameras/?format=xml", 400, "attendu : geojson ou json", "expected geojson or json"),
        (
            "/api/cameras/?page=0",
            400,
            "doit être un nombre entier à partir de 1, reçu '0'",
            "must be a whole number from 1, got '0'",
        ),
        (
            "/api/cameras/1_0/",
            400,
            "un identifiant de caméra est un nombre entier, reçu '1_0'",
            "a camera id is a whole number, got '1_0'",
        ),
        (
            "/api/cameras/999999999/",
            404,
            "aucune caméra n\u2019a l\u2019identifiant 999999999",
            "no camera with id 999999999",
        ),
        (
            "/api/density/?in_bbox=2.2,48.7,2.5,48.9&zoom=17",
            400,
            "le zoom 17 est trop fin pour ce cadre : ",
            "zoom 17 is too fine for this box: ",
        ),
        (
            "/api/routes/?from=48.85&to=2.35,48.85",
            400,
            "attendu : LON,LAT (longitude d\u2019abord), par exemple 24.9414,60.1700",
            "expected LON,LAT (longitude first), e.g. 24.9414,60.1700",
        ),
        (
            "/api/nothing/",
            404,
            "aucun point d\u2019accès de l\u2019API à cette adresse",
            "no such API endpoint",
        ),
    ],
)
def test_query_refusals_follow_the_language_of_the_request(path, status, french, english):
    in_french = APIClient().get(path, **FRENCH)
    assert in_french.status_code == status, in_french.content[:300]
    assert first_error(in_french).startswith(french)
    in_english = APIClient().get(path)
    assert in_english.status_code == status
    assert first_error(in_english).startswith(english)


def test_the_language_chosen_on_the_map_page_applies_to_the_api(settings):
    """The map's language switch sets Django's language cookie; the API then answers in it
    even when the browser's own languages say English."""
    client = APIClient()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.get("/api/cameras/?in_bbox=1,2,3", HTTP_ACCEPT_LANGUAGE="en")
    assert first_error(response) == (
        "attendu : quatre nombres MINLON,MINLAT,MAXLON,MAXLAT, reçu 3 valeur(s)"
    )


def test_a_request_django_refuses_before_any_view_is_refused_in_french():
    response = APIClient().get("/api/cameras/", HTTP_HOST="elsewhere.example", **FRENCH)
    assert response.status_code == 400
    assert response.json() == {
        "detail": "requête refusée : un Host que ce serveur ne sert pas, ou plus de champs ou "
        "de fichiers qu\u2019il n\u2019en lit"
    }
