"""The GPX file of a route in the language of the request, like the rest of the API: a
walker on the French map downloaded a track named "Angle Mort: walk avoiding cameras"
with English waypoints. Its numbers stay as GPX writes them (dots, no grouping).

Routes run on the hand-made graph sketched in test_routing.py (fixture `graph`).
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
from rest_framework.test import APIClient

from tests.routing.hand_graph import DESTINATION, ORIGIN

pytestmark = pytest.mark.django_db

URL = "/api/routes/"
NAMESPACE = "http://www.topografix.com/GPX/1/1"
GPX = f"{{{NAMESPACE}}}"
FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}


def params(**extra) -> dict:
    return {
        "from": f"{ORIGIN[0]:.7f},{ORIGIN[1]:.7f}",
        "to": f"{DESTINATION[0]:.7f},{DESTINATION[1]:.7f}",
        **extra,
    }


def gpx_of(client: APIClient, headers: dict | None = None, **extra) -> ET.Element:
    response = client.get(URL, params(format="gpx", **extra), **(headers or {}))
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/gpx+xml")
    root = ET.fromstring(response.content)
    # Still GPX 1.1: the namespace, the version, the order of the parts.
    assert root.tag == f"{GPX}gpx"
    assert root.get("version") == "1.1"
    assert [child.tag for child in root] == [f"{GPX}metadata", f"{GPX}wpt", f"{GPX}trk"]
    return root


def avoiding_properties(client: APIClient, **extra) -> dict:
    body = client.get(URL, params(**extra)).json()
    return next(f for f in body["features"] if f["properties"]["variant"] == "avoiding")[
        "properties"
    ]


def places(root: ET.Element) -> list[tuple[str | None, str | None]]:
    """Every coordinate of the file as written: waypoints, then track points."""
    points = [*root.findall(f"{GPX}wpt"), *root.findall(f"{GPX}trk/{GPX}trkseg/{GPX}trkpt")]
    return [(point.get("lat"), point.get("lon")) for point in points]


def test_the_gpx_file_speaks_the_language_of_the_request(graph):
    _, camera = graph
    client = APIClient()
    # Avoidance 0: the avoiding route is the shortest, past camera C, so there is a waypoint.
    french = gpx_of(client, FRENCH, avoid="0")
    english = gpx_of(client, avoid="0")
    props = avoiding_properties(client, avoid="0")
    length, exposed = round(props["length_m"]), round(props["exposed_m"])
    share = round(props["exposed_m"] / props["length_m"] * 100)
    assert props["camera_count"] == 1 and exposed > 0

    name = "Angle Mort : marche évitant les caméras"
    description = (
        f"Marche de {length} m, dont {exposed} m ({share} %) dans le champ de 1 caméra connue"
    )
    assert french.find(f"{GPX}metadata/{GPX}name").text == name
    assert french.find(f"{GPX}metadata/{GPX}desc").text == description
    assert french.find(f"{GPX}trk/{GPX}name").text == name
    assert french.find(f"{GPX}trk/{GPX}desc").text == description
    assert french.find(f"{GPX}metadata/{GPX}copyright").get("author") == (
        "les contributeurs d\u2019OpenStreetMap"
    )
    assert [w.find(f"{GPX}name").text for w in french.findall(f"{GPX}wpt")] == [
        f"Caméra {camera.pk}"
    ]
    assert english.find(f"{GPX}metadata/{GPX}desc").text == (
        f"{length} m walk, {exposed} m ({share}%) in view of 1 known camera"
    )
    assert [w.find(f"{GPX}name").text for w in english.findall(f"{GPX}wpt")] == [
        f"Camera {camera.pk}"
    ]

    # The numbers are not French ones: the same coordinates, written with dots.
    assert places(french) == places(english)
    assert all("," not in value and "." in value for place in places(french) for value in place)
    first_waypoint = french.find(f"{GPX}wpt")
    assert float(first_waypoint.get("lon")) == pytest.approx(camera.location.x, abs=1e-7)
    assert float(first_waypoint.get("lat")) == pytest.approx(camera.location.y, abs=1e-7)


def test_the_language_chosen_on_the_map_names_the_gpx_file(graph, settings):
    """The map's language switch (Django's language cookie) wins over the browser's."""
    client = APIClient()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    root = gpx_of(client, {"HTTP_ACCEPT_LANGUAGE": "en"}, avoid="0")
    assert root.find(f"{GPX}trk/{GPX}name").text == "Angle Mort : marche évitant les caméras"


def test_a_strict_fallback_is_explained_in_french_in_the_gpx_file(graph):
    from mapping.analysis import refresh_derived_data
    from tests.factories import make_camera, point
    from tests.routing.geo import lonlat_at

    # A camera on the north street too: no route is out of sight, strict falls back.
    refresh_derived_data([make_camera(location=point(*lonlat_at(100, 105))).pk])
    root = gpx_of(APIClient(), FRENCH, avoid="strict")
    description = root.find(f"{GPX}metadata/{GPX}desc").text
    assert description.startswith("Marche de ") and " dans le champ de 1 caméra" in description
    assert description.endswith(
        ". Aucun itinéraire hors de vue de toutes les caméras connues n\u2019a été "
        "trouvé près de ces points ; voici l\u2019itinéraire le moins filmé."
    )
