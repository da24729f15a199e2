"""GET /api/routes/: the contract other tools rely on, errors included.

Routes run on the hand-made graph sketched in test_routing.py (fixture `graph`).
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from mapping.models import Camera
from tests.routing.geo import lonlat_at
from tests.routing.hand_graph import DESTINATION, NORTH_LENGTH_M, ORIGIN, SOUTH_LENGTH_M

pytestmark = pytest.mark.django_db

URL = "/api/routes/"
GPX = "{http://www.topografix.com/GPX/1/1}"
PROPERTIES = {
    "variant",
    "length_m",
    "exposed_m",
    "camera_count",
    "cameras",
    "detour_ratio",
    "duration_s",
}


def as_param(lonlat) -> str:
    return f"{lonlat[0]:.7f},{lonlat[1]:.7f}"


def get(**params):
    return APIClient().get(URL, params)


def route_params(**extra) -> dict:
    return {"from": as_param(ORIGIN), "to": as_param(DESTINATION), **extra}


def assert_error(response, field: str, fragment: str) -> None:
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert field in body["errors"]
    assert fragment in " ".join(body["errors"][field])
    assert body["detail"].startswith(f"{field}:")


def test_a_route_answers_a_feature_collection_with_both_variants(graph, settings):
    _, camera = graph
    response = get(**route_params())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    features = {f["properties"]["variant"]: f for f in body["features"]}
    assert set(features) == {"shortest", "avoiding"}
    for feature in features.values():
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "LineString"
        assert set(feature["properties"]) >= PROPERTIES
        props = feature["properties"]
        assert props["camera_count"] == len(props["cameras"])
        assert props["duration_s"] == round(props["length_m"] / settings.WALKING_SPEED_M_S)
        coords = feature["geometry"]["coordinates"]
        assert coords[0] == pytest.approx(body["snapped"]["from"], abs=1e-6)
        assert coords[-1] == pytest.approx(body["snapped"]["to"], abs=1e-6)
    shortest, avoiding = features["shortest"]["properties"], features["avoiding"]["properties"]
    assert shortest["length_m"] == pytest.approx(SOUTH_LENGTH_M, abs=1)
    assert shortest["cameras"] == [camera.pk]
    assert shortest["exposed_m"] > 40
    assert shortest["detour_ratio"] == 1.0
    assert avoiding["length_m"] == pytest.approx(NORTH_LENGTH_M, abs=1)
    assert avoiding["exposed_m"] == 0
    assert avoiding["cameras"] == []
    assert avoiding["detour_ratio"] == pytest.approx(NORTH_LENGTH_M / SOUTH_LENGTH_M, abs=0.01)
    assert avoiding["avoid"] == 0.5
    # The place of each camera passed, so a map showing counts can still draw them.
    assert body["passed_cameras"] == [
        {"id": camera.pk, "position": [round(camera.location.x, 7), round(camera.location.y, 7)]}
    ]


def test_a_camera_removed_since_the_exposure_was_computed_is_not_named(graph):
    """Until refresh_derived runs (an import with --defer-derived), the segments still list
    a removed camera: the route neither counts nor draws it."""
    _, camera = graph
    Camera.objects.filter(pk=camera.pk).update(status="removed", removed_at=timezone.now())
    body = get(**route_params(avoid="0")).json()
    for feature in body["features"]:
        assert feature["properties"]["cameras"] == []
        assert feature["properties"]["camera_count"] == 0
    assert body["passed_cameras"] == []
    gpx = ET.fromstring(get(**route_params(avoid="0", format="gpx")).content)
    assert gpx.findall(f"{GPX}wpt") == []


def test_passed_cameras_are_every_camera_either_route_passes_in_id_order(graph):
    from mapping.analysis import refresh_derived_data
    from tests.factories import make_camera, point

    _, first = graph
    # A second camera on the south street, and one far from both routes.
    second = make_camera(location=point(*lonlat_at(180, -8)))
    off_route = make_camera(location=point(*lonlat_at(100, 300)))
    refresh_derived_data([second.pk, off_route.pk])
    body = get(**route_params()).json()
    passed = set()
    for feature in body["features"]:
        passed |= set(feature["properties"]["cameras"])
    assert passed == {first.pk, second.pk}
    assert [c["id"] for c in body["passed_cameras"]] == sorted(passed)
    places = {c["id"]: c["position"] for c in body["passed_cameras"]}
    for camera in (first, second):
        assert places[camera.pk] == pytest.approx([camera.location.x, camera.location.y], abs=1e-7)


def test_the_avoidance_level_is_taken_from_the_query(graph):
    body = get(**route_params(avoid="0.1")).json()
    avoiding = next(f for f in body["features"] if f["properties"]["variant"] == "avoiding")
    assert avoiding["properties"]["length_m"] == pytest.approx(SOUTH_LENGTH_M, abs=1)


def test_strict_mode_reports_its_fallback(graph):
    from mapping.analysis import refresh_derived_data
    from tests.factories import make_camera, point

    refresh_derived_data([make_camera(location=point(*lonlat_at(100, 105))).pk])
    body = get(**route_params(avoid="strict")).json()
    avoiding = next(f for f in body["features"] if f["properties"]["variant"] == "avoiding")
    assert avoiding["properties"]["avoid"] == "strict"
    assert "least-watched" in avoiding["properties"]["notice"]
    french = APIClient().get(URL, route_params(avoid="strict"), HTTP_ACCEPT_LANGUAGE="fr")
    avoiding = next(
        f for f in french.json()["features"] if f["properties"]["variant"] == "avoiding"
    )
    assert avoiding["properties"]["notice"] == (
        "Aucun itinéraire hors de vue de toutes les caméras connues n\u2019a été trouvé près de "
        "ces points ; voici l\u2019itinéraire le moins filmé."
    )


def test_gpx_returns_the_avoiding_route_as_a_file(graph):
    geojson = get(**route_params()).json()
    avoiding = next(f for f in geojson["features"] if f["properties"]["variant"] == "avoiding")
    response = get(**route_params(format="gpx"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/gpx+xml")
    assert 'filename="angle-mort-route.gpx"' in response["Content-Disposition"]
    root = ET.fromstring(response.content)
    points = root.findall(f"{GPX}trk/{GPX}trkseg/{GPX}trkpt")
    coords = avoiding["geometry"]["coordinates"]
    assert len(points) == len(coords)
    assert float(points[0].get("lon")) == pytest.approx(coords[0][0], abs=1e-6)
    assert float(points[-1].get("lat")) == pytest.approx(coords[-1][1], abs=1e-6)
    assert "0 m (0%) in view" in root.find(f"{GPX}metadata/{GPX}desc").text
    assert root.findall(f"{GPX}wpt") == [], "the avoiding route passes no camera"


def test_gpx_marks_the_cameras_the_avoiding_route_still_passes(graph):
    _, camera = graph
    # Avoidance 0: the avoiding route is the shortest, along the watched south street.
    response = get(**route_params(avoid="0", format="gpx"))
    root = ET.fromstring(response.content)
    waypoints = root.findall(f"{GPX}wpt")
    assert [w.find(f"{GPX}name").text for w in waypoints] == [f"Camera {camera.pk}"]
    assert float(waypoints[0].get("lon")) == pytest.approx(camera.location.x, abs=1e-7)
    assert float(waypoints[0].get("lat")) == pytest.approx(camera.location.y, abs=1e-7)
    # GPX 1.1 wants the waypoints between the metadata and the track.
    assert [child.tag for child in root] == [f"{GPX}metadata", f"{GPX}wpt", f"{GPX}trk"]


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("60.17", "LON,LAT"),
        ("24.9;60.1", "LON,LAT"),
        ("a,b", "LON,LAT"),
        ("1,2,3", "LON,LAT"),
        ("", "LON,LAT"),
        ("nan,1", "finite"),
        ("inf,1", "finite"),
        ("181,10", "longitude 181 is outside"),
        ("10,-91", "latitude -91 is outside"),
    ],
)
def test_bad_coordinates_answer_400_naming_the_parameter(graph, value, fragment):
    assert_error(get(**{"from": value, "to": as_param(DESTINATION)}), "from", fragment)


def test_missing_parameters_are_named():
    response = get()
    assert response.status_code == 400
    assert {"from", "to"} <= set(response.json()["errors"])


def test_an_unknown_parameter_answers_400_suggesting_the_known_one(graph):
    assert_error(get(**route_params(avoidance="strict")), "avoidance", "did you mean avoid?")


@pytest.mark.parametrize("value", ["1.5", "-0.1", "nan", "lots", "strictly"])
def test_a_bad_avoidance_level_answers_400(graph, value):
    assert_error(get(**route_params(avoid=value)), "avoid", "0 to 1")


def test_identical_points_answer_400(graph):
    assert_error(get(**{"from": as_param(ORIGIN), "to": as_param(ORIGIN)}), "to", "same point")


def test_a_point_far_from_any_walkable_way_answers_400(graph):
    far = as_param(lonlat_at(100, 1500))
    assert_error(get(**{"from": far, "to": as_param(DESTINATION)}), "from", "500 m")


def test_points_farther_apart_than_the_maximum_answer_400(graph):
    # 25 km north: the distance check comes before any database work.
    far = as_param(lonlat_at(0, 25_000))
    assert_error(get(**{"from": as_param(ORIGIN), "to": far}), "to", "20000 m apart")


def test_unconnected_points_answer_404(graph):
    response = get(**{"from": as_param(ORIGIN), "to": as_param(lonlat_at(550, 140))})
    assert response.status_code == 404
    assert "no walkable route" in response.json()["detail"]


def test_errors_stay_json_when_gpx_was_asked_for(graph):
    response = get(**{"from": "nonsense", "to": as_param(DESTINATION), "format": "gpx"})
    assert_error(response, "from", "LON,LAT")


def test_an_unknown_format_is_named(graph):
    assert_error(get(**route_params(format="kml")), "format", "json or gpx")


def test_the_schema_documents_the_endpoint():
    response = APIClient().get("/api/schema/", {"format": "json"})
    operation = response.json()["paths"]["/api/routes/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"from", "to", "avoid", "format"} <= names
    assert {"200", "400", "404"} <= set(operation["responses"])
    assert "application/gpx+xml" in operation["responses"]["200"]["content"]
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    collection = response.json()["components"]["schemas"][answer.rsplit("/", 1)[1]]
    assert "passed_cameras" in collection["properties"]


coordinate_text = st.one_of(
    st.text(max_size=30),
    st.builds(
        lambda lon, lat: f"{lon!r},{lat!r}",
        st.floats(allow_nan=True, allow_infinity=True),
        st.floats(allow_nan=True, allow_infinity=True),
    ),
    st.builds(
        lambda east, north: as_param(lonlat_at(east, north)),
        st.floats(-200, 800),
        st.floats(-600, 600),
    ),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    origin=coordinate_text,
    destination=coordinate_text,
    avoid=st.one_of(st.none(), st.text(max_size=8), st.floats().map(repr)),
    output=st.sampled_from([None, "json", "gpx", "xml"]),
)
def test_any_query_answers_a_route_or_a_client_error_never_a_crash(
    graph, origin, destination, avoid, output
):
    params = {"from": origin, "to": destination}
    if avoid is not None:
        params["avoid"] = avoid
    if output is not None:
        params["format"] = output
    response = APIClient().get(URL, params)
    assert response.status_code in {200, 400, 404}
    if response.status_code != 200:
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["detail"]
