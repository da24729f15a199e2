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
