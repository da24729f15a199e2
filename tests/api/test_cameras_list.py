"""GET /api/cameras/: filters, their combinations, pagination, boxes and errors."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from api.pagination import CameraPagination
from mapping import camera_queries
from mapping.bbox import BBox
from mapping.models import Camera
from tests.api.conftest import body, inside
from tests.factories import make_camera, point
from tests.helsinki import HELSINKI_BBOX

URL = "/api/cameras/"


def _ids(response) -> list[int]:
    return [feature["id"] for feature in body(response)["features"]]


def _catalogue(box):
    """Cameras differing in every filtered attribute, all inside the box."""
    spots = iter([inside(box, x / 10, y / 10) for x in range(1, 10) for y in range(1, 10)])

    def camera(**fields):
        return make_camera(location=point(*next(spots)), **fields)

    return {
        "osm_dome_alpr": camera(camera_type="dome", capabilities=["alpr"], surveillance="public"),
        "osm_fixed_face": camera(
            camera_type="fixed", capabilities=["face_recognition", "vsa"], surveillance="outdoor"
        ),
        "community_fixed": camera(
            source="community", camera_type="fixed", operator="Mairie de Paris"
        ),
        "guard": camera(surveillance_type="guard", surveillance="indoor", operator="RATP"),
        "alpr_reader": camera(surveillance_type="alpr", operator="Préfecture de POLICE"),
        "removed": camera(status="removed", removed_at=datetime(2024, 1, 1, tzinfo=UTC)),
        "old": camera(updated_at=datetime(2020, 1, 1, tzinfo=UTC)),
    }


FILTER_CASES = [
    ("source=community", lambda c: c.source == "community"),
    ("source=osm", lambda c: c.source == "osm"),
    ("status=removed", lambda c: c.status == "removed"),
    ("status=active,removed", lambda c: True),
    ("surveillance=public,indoor", lambda c: c.surveillance in ("public", "indoor")),
    ("surveillance_type=guard", lambda c: c.surveillance_type == "guard"),
    ("surveillance_type=alpr,guard", lambda c: c.surveillance_type in ("alpr", "guard")),
    ("camera_type=fixed", lambda c: c.camera_type == "fixed"),
    ("capability=alpr", lambda c: "alpr" in c.capabilities),
    ("capability=vsa,alpr", lambda c: {"vsa", "alpr"} & set(c.capabilities)),
    ("operator=police", lambda c: "police" in c.operator.lower()),
    ("operator=PARIS", lambda c: "paris" in c.operator.lower()),
    ("updated_since=2023-06-01", lambda c: c.updated_at >= datetime(2023, 6, 1, tzinfo=UTC)),
    (
        "updated_since=2019-12-31T23:00:00Z",
        lambda c: c.updated_at >= datetime(2019, 12, 31, 23, tzinfo=UTC),
    ),
]


def _expected(cameras, predicate, default_active=True) -> list[int]:
    return sorted(
        c.pk
        for c in cameras.values()
        if predicate(c) and (c.status == "active" or not default_active)
    )


@pytest.mark.parametrize(("query", "predicate"), FILTER_CASES)
def test_each_filter_selects_exactly_the_matching_cameras(client, db, box, query, predicate):
    cameras = _catalogue(box)
    response = client.get(f"{URL}?in_bbox={box}&{query}")
    assert response.status_code == 200
    explicit_status = query.startswith("status=")
    assert _ids(response) == _expected(cameras, predicate, default_active=not explicit_status)
    assert _ids(response), "each case should select at least one camera"


@pytest.mark.parametrize(
    ("query", "predicate"),
    [
        (
            "source=osm&camera_type=fixed,dome&capability=alpr,face_recognition",
            lambda c: (
                c.source == "osm"
                and c.camera_type in ("fixed", "dome")
                and {"alpr", "face_recognition"} & set(c.capabilities)
            ),
        ),
        (
            "surveillance_type=camera&camera_type=fixed&source=community",
            lambda c: (
                c.surveillance_type == "camera"
                and c.camera_type == "fixed"
                and c.source == "community"
            ),
        ),
        (
            "operator=paris&updated_since=2023-01-01&status=active,removed",
            lambda c: (
                "paris" in c.operator.lower() and c.updated_at >= datetime(2023, 1, 1, tzinfo=UTC)
            ),
        ),
        ("surveillance=indoor&capability=alpr", lambda c: False),
    ],
)
def test_filters_combine_with_and(client, db, box, query, predicate):
    cameras = _catalogue(box)
    response = client.get(f"{URL}?in_bbox={box}&{query}")
    assert response.status_code == 200
    assert _ids(response) == _expected(cameras, predicate, "status=" not in query)


def test_without_status_only_active_cameras_are_listed(client, db, box):
    cameras = _catalogue(box)
    listed = set(_ids(client.get(f"{URL}?in_bbox={box}")))
    assert cameras["removed"].pk not in listed
    assert listed == {c.pk for c in cameras.values() if c.status == "active"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("source=satellite", "source"),
        ("status=active,gone", "status"),
        ("surveillance=everywhere", "surveillance"),
        ("surveillance_type=drone", "surveillance_type"),
        ("camera_type=bullet", "camera_type"),
        ("capability=telepathy", "capability"),
        ("updated_since=yesterday", "updated_since"),
        ("updated_since=2024-13-45", "updated_since"),
        ("operator=a%00b", "operator"),
        ("fov=maybe", "fov"),
        ("page=0", "page"),
        ("page=two", "page"),
        ("page_size=-5", "page_size"),
        ("page=1_0", "page"),  # int() reads 10
        ("page_size=%D9%A3", "page_size"),  # Arabic-Indic 3, which int() reads too
        ("in_bbox=1,2,3", "in_bbox"),
    ],
)
def test_a_bad_value_is_a_400_naming_the_parameter(client, db, query, field):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400
    error = response.json()
    assert field in error["errors"]
    assert error["detail"].startswith(f"{field}: ")


# --- Boxes --------------------------------------------------------------------------------


def test_cameras_on_the_edges_of_the_box_are_inside_and_just_outside_are_not(client, db, box):
    corner = make_camera(location=point(box.min_lon, box.max_lat))
    edge = make_camera(location=point(box.max_lon, (box.min_lat + box.max_lat) / 2))
    outside = make_camera(location=point(box.max_lon + 1e-7, box.max_lat))
    below = make_camera(location=point(box.min_lon, box.min_lat - 1e-7))
    listed = set(_ids(client.get(f"{URL}?in_bbox={box}")))
    assert {corner.pk, edge.pk} <= listed
    assert not {outside.pk, below.pk} & listed


def test_a_box_of_several_statuses_is_searched_through_an_index_and_kept_exact(db, box):
    from django.db import connection

    from mapping.camera_queries import CameraFilters, filter_cameras

    removed = {"status": "removed", "removed_at": timezone.now()}
    removed_on_edge = make_camera(location=point(box.max_lon, box.max_lat), **removed)
    active_inside = make_camera(location=point(box.min_lon, box.min_lat))
    make_camera(location=point(box.max_lon + 1e-7, box.max_lat), **removed)
    filters = CameraFilters(bbox=box, statuses=("active", "removed"))
    cameras = filter_cameras(filters)
    assert set(cameras.values_list("id", flat=True)) == {removed_on_edge.pk, active_inside.pk}
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = cameras.values("id").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # Not a walk over every camera: the geometry's GiST index picks the candidates.
    assert "mapping_camera_location" in plan


@pytest.mark.parametrize("status", ["active", "removed"])
@pytest.mark.parametrize("offset", [1e-7, 3e-6, 2e-5, 9e-5, 1.1e-4, 3e-4])
def test_points_near_the_edges_are_classified_exactly_where_float4_boxes_are_coarsest(
    client, db, offset, status
):
    # Near 180 degrees a float4 step is 1.5e-5 degrees: PostGIS's index boxes blur there.
    # The position keys are float8 points, compared exactly (mapping/plane_point.py); only
    # active cameras are in the position index, removed ones are found through the
    # geometry's index first, which must not lose those on the edges either.
    box = BBox(179.5, 84.5, 179.9, 84.9)
    mid_lon, mid_lat = 179.7, 84.7
    fields = {"status": status, "removed_at": timezone.now() if status == "removed" else None}
    within = [
        make_camera(location=point(box.max_lon - offset, mid_lat), **fields),
        make_camera(location=point(box.min_lon + offset, mid_lat), **fields),
        make_camera(location=point(mid_lon, box.max_lat - offset), **fields),
        make_camera(location=point(mid_lon, box.min_lat + offset), **fields),
    ]
    outside = [
        make_camera(location=point(box.max_lon + offset, mid_lat), **fields),
        make_camera(location=point(box.min_lon - offset, mid_lat), **fields),
        make_camera(location=point(mid_lon, box.max_lat + offset), **fields),
        make_camera(location=point(mid_lon, box.min_lat - offset), **fields),
    ]
    answer = client.get(f"{URL}?in_bbox={box}&status={status}").json()
    listed = {f["id"] for f in answer["features"]}
    assert listed == {camera.pk for camera in within}
    assert not listed & {camera.pk for camera in outside}
    assert answer["count"] == 4


def test_a_box_a_few_metres_wide_finds_its_cameras_and_no_other(client, db):
    box = BBox(2.35, 48.85, 2.35005, 48.85005)
    camera = make_camera(location=point(2.35001, 48.85004))
    make_camera(location=point(2.35006, 48.85004))
    answer = client.get(f"{URL}?in_bbox={box}").json()
    assert [f["id"] for f in answer["features"]] == [camera.pk]


@pytest.mark.parametrize(
    ("bbox", "message"),
    [
        ("48.86,2.35,48.85,2.36", "latitude first"),
        ("2.36,48.85,2.35,48.86", "MINLON 2.36 must be less than MAXLON 2.35"),
        ("2.35,48.86,2.36,48.85", "MINLAT 48.86 must be less than MAXLAT 48.85"),
        ("2.35,48.86,2.35,48.87", "must be less than MAXLON"),
        ("-181,0,1,1", "outside -180..180"),
        ("0,-91,1,1", "outside -90..90"),
        ("a,b,c,d", "must be a number"),
        ("nan,0,1,1", "finite"),
        ("1,2,3,4,5", "expected four numbers"),
        ("-30,-30,30,30", "more than the 400 allowed"),
    ],
)
def test_a_bad_box_is_a_400_saying_what_is_wrong(client, db, bbox, message):
    response = client.get(f"{URL}?in_bbox={bbox}")
    assert response.status_code == 400
    assert message in response.json()["errors"]["in_bbox"][0]


def test_the_maximum_box_area_is_a_setting(client, db, settings):
    settings.API_MAX_BBOX_AREA_DEG2 = 0.5
    assert client.get(f"{URL}?in_bbox=2,48,3,48.5").status_code == 200
    response = client.get(f"{URL}?in_bbox=2,48,3,49")
    assert response.status_code == 400
    assert "more than the 0.5 allowed" in response.json()["errors"]["in_bbox"][0]
    settings.API_MAX_BBOX_AREA_DEG2 = 2.0  # read at each request, not once per process
    assert client.get(f"{URL}?in_bbox=2,48,3,49").status_code == 200


def test_whole_helsinki_box_lists_every_demo_camera(client, db, helsinki):
    response = client.get(f"{URL}?in_bbox={HELSINKI_BBOX}&source=osm&page_size=5000")
    data = body(response)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    assert data["count"] == helsinki.cameras == len(data["features"])
    for feature in data["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert HELSINKI_BBOX.min_lon <= lon <= HELSINKI_BBOX.max_lon
        assert HELSINKI_BBOX.min_lat <= lat <= HELSINKI_BBOX.max_lat
        assert feature["properties"]["source"] == "osm"


def test_fov_parameter_adds_the_field_of_view(client, db, helsinki):
    query = f"{URL}?in_bbox={HELSINKI_BBOX}&source=osm&page_size=5000"
    plain = body(client.get(query))["features"]
    with_fov = body(client.get(query + "&fov=1"))["features"]
    assert all("fov" not in feature["properties"] for feature in plain)
    kinds = {f["properties"]["fov"]["type"] for f in with_fov if f["properties"]["fov"]}
    assert kinds <= {"Polygon", "MultiPolygon"}
    assert kinds, "the demo import computes fields of view"


def test_a_box_that_fits_in_one_page_gives_the_features_pages_give(client, db, helsinki):
    # A first page holding the whole box is written in one pass; smaller pages find the
    # ids first and read the rows again. Both must say the same, in the same order.
    query = f"{URL}?in_bbox={HELSINKI_BBOX}&source=osm"
    whole = body(client.get(f"{query}&page_size=5000"))
    assert whole["next"] is None and whole["count"] == len(whole["features"]) > 100
    paged, url = [], f"{query}&page_size=100"
    while url:
        page = body(client.get(url))
        assert page["count"] == whole["count"]
        paged += page["features"]
        url = page["next"]
    assert paged == whole["features"]


@pytest.mark.parametrize("probed", [True, False])
@pytest.mark.parametrize("cameras", [0, 1, 4, 5, 6])
def test_a_first_page_is_right_on_either_side_of_its_size(
    client, db, box, cameras, probed, monkeypatch
):
    # Page 1 of a large page size first probes whether the box fits in the page (5 here),
    # then takes one of two paths; a small page size reads the page by id at once. Each
    # count of cameras around the size gets the right count, features and link either way.
    monkeypatch.setattr(camera_queries, "PROBED_PAGE_SIZE", 5 if probed else 6)
    ids = [make_camera(location=point(*inside(box, i / 10, 0.5))).pk for i in range(cameras)]
    first = body(client.get(f"{URL}?in_bbox={box}&page_size=5"))
    assert first["count"] == cameras
    assert [f["id"] for f in first["features"]] == sorted(ids)[:5]
    assert (first["next"] is None) == (cameras <= 5)


MARKER = ("surveillance", "surveillance_type", "camera_type", "directions")


@pytest.mark.parametrize("page_size", [5, 5000])  # a first page of several, and the whole box
def test_properties_keeps_the_named_ones_with_the_same_values(client, db, helsinki, page_size):
    query = f"{URL}?in_bbox={HELSINKI_BBOX}&source=osm&page_size={page_size}"
    full = body(client.get(query))
    slim = body(client.get(query + "&properties=" + ",".join(reversed(MARKER)) + "&fov=1"))
    assert slim["count"] == full["count"]
    assert [f["id"] for f in slim["features"]] == [f["id"] for f in full["features"]]
    for whole, kept in zip(full["features"], slim["features"], strict=True):
        assert kept["geometry"] == whole["geometry"]
        assert list(kept["properties"]) == [*MARKER, "fov"]  # the usual order, then fov
        assert {k: kept["properties"][k] for k in MARKER} == {
            k: whole["properties"][k] for k in MARKER
        }


def test_properties_on_a_whole_table_walk_too(client, db):
    camera = make_camera(surveillance="public", directions=[90.0])
    answer = body(client.get(f"{URL}?properties=directions,surveillance"))
    (feature,) = [f for f in answer["features"] if f["id"] == camera.pk]
    assert feature["properties"] == {"surveillance": "public", "directions": [90.0]}


def test_an_unknown_property_is_a_400_naming_the_known_ones(client, db):
    response = client.get(f"{URL}?properties=surveillance,owner_address")
    assert response.status_code == 400
    message = response.json()["errors"]["properties"][0]
    assert "'owner_address'" in message and "camera_type" in message


# --- Pagination ---------------------------------------------------------------------------


def _link(url: str) -> tuple[str, dict]:
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == "testserver"
    return parts.path, parse_qs(parts.query)


def test_pages_link_to_each_other_and_cover_every_camera_once(client, db, box):
    ids = sorted(make_camera(location=point(*inside(box, i / 10, 0.5))).pk for i in range(1, 8))
    first = body(client.get(f"{URL}?in_bbox={box}&page_size=3"))
    assert first["count"] == 7
    assert first["previous"] is None
    query = {"in_bbox": [str(box)], "page_size": ["3"]}
    assert _link(first["next"]) == (URL, {**query, "page": ["2"]})
    second = body(client.get(first["next"]))
    assert _link(second["previous"]) == (URL, query)
    third = body(client.get(second["next"]))
    assert third["next"] is None
    assert _link(third["previous"]) == (URL, {**query, "page": ["2"]})
    pages = [first, second, third]
    assert [len(page["features"]) for page in pages] == [3, 3, 1]
    assert [f["id"] for page in pages for f in page["features"]] == ids
    assert all(page["count"] == 7 for page in pages)


def test_a_page_past_the_last_is_a_404_in_json(client, db, box):
    make_camera(location=point(*inside(box)))
    response = client.get(f"{URL}?in_bbox={box}&page=3")
    assert response.status_code == 404
    assert response.json() == {"detail": "page 3 is past the last page (1)"}
    assert client.get(f"{URL}?in_bbox={box}&page=10000000000").status_code == 404


@pytest.mark.parametrize(
    ("page", "page_size"), [(66, 500), (7, 5000), (10**6, 5000), (10**9, 5000), (10**9, 1)]
)
def test_far_pages_of_a_box_are_a_404_whatever_their_number(client, db, box, page, page_size):
    # Their position in the box's ids passes 32,767 (a smallint), then 2**31 (an integer).
    make_camera(location=point(*inside(box)))
    response = client.get(f"{URL}?in_bbox={box}&page={page}&page_size={page_size}")
    assert response.status_code == 404
    assert response.json() == {"detail": f"page {page} is past the last page (1)"}


def test_a_prepared_page_statement_keeps_the_position_index_in_a_generic_plan(db, box):
    # Poolers may force generic plans; the active status is a constant in the SQL, so even
    # a plan made without the request's values is proven to match the partial index.
    from django.db import connection

    from mapping.camera_queries import CameraFilters, filter_cameras

    ids_sql, params = (
        filter_cameras(CameraFilters(bbox=box, statuses=("active",)))
        .values("id")
        .query.sql_with_params()
    )
    numbered = ids_sql
    for n in range(1, len(params) + 1):
        numbered = numbered.replace("%s", f"${n}", 1)
    with connection.cursor() as cursor:
        cursor.execute(f"PREPARE box_ids AS {numbered}")
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute("SET LOCAL enable_seqscan = off")
        values = ", ".join(repr(float(value)) for value in params)
        cursor.execute(f"EXPLAIN EXECUTE box_ids({values})")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("DEALLOCATE box_ids")
    assert len(params) == 4  # the box's corners, and nothing for the status
    assert "camera_active_position" in plan


def test_page_size_above_the_maximum_is_lowered_to_it(client, db, box, monkeypatch):
    monkeypatch.setattr(CameraPagination, "max_page_size", 2)
    for i in range(1, 4):
        make_camera(location=point(*inside(box, i / 10, 0.5)))
    data = body(client.get(f"{URL}?in_bbox={box}&page_size=1000"))
    assert len(data["features"]) == 2
    assert data["count"] == 3
    assert data["next"] is not None


def test_default_page_size_is_the_setting(db):
    assert CameraPagination.page_size == 500
    assert CameraPagination.max_page_size == 5000


# --- Formats and cross-origin reads -------------------------------------------------------


def test_plain_json_is_served_when_asked(client, db, box):
    make_camera(location=point(*inside(box)))
    response = client.get(f"{URL}?in_bbox={box}", HTTP_ACCEPT="application/json")
    assert response["Content-Type"].startswith("application/json")
    assert body(response)["type"] == "FeatureCollection"


def test_other_origins_may_read(client, db, box):
    response = client.get(f"{URL}?in_bbox={box}", HTTP_ORIGIN="https://notebook.example.org")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        URL,
        HTTP_ORIGIN="https://notebook.example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    assert "POST" not in preflight["Access-Control-Allow-Methods"]


def test_pages_without_a_box_walk_the_whole_table(client, db, box):
    for i in range(1, 4):
        make_camera(location=point(*inside(box, i / 10, 0.5)))
    expected = sorted(Camera.objects.filter(status="active").values_list("id", flat=True))
    first = body(client.get(f"{URL}?page_size=2"))
    assert first["count"] == len(expected)
    assert [f["id"] for f in first["features"]] == expected[:2]
    last_page = -(-len(expected) // 2)
    last = body(client.get(f"{URL}?page_size=2&page={last_page}"))
    assert [f["id"] for f in last["features"]] == expected[(last_page - 1) * 2 :]
    assert last["next"] is None and last["count"] == len(expected)


# --- Unknown parameters -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "query", "name", "suggestion"),
    [
        (URL, "capabilities=face_recognition", "capabilities", "capability"),
        (URL, "bbox=2.2,48.7,2.3,48.8", "bbox", "in_bbox"),
        (URL, "pagesize=10", "pagesize", "page_size"),
        ("/api/density/", "in_bbox=2.2,48.7,2.3,48.8&zoom=12&zooms=3", "zooms", "zoom"),
        ("/api/export/cameras.csv", "operators=SNCF", "operators", "operator"),
        ("/api/export/cameras.geojson", "type=alpr", "type", None),
    ],
)
def test_an_unknown_parameter_is_a_400_naming_it_not_an_unfiltered_answer(
    client, db, box, endpoint, query, name, suggestion
):
    """A misspelt filter would otherwise be ignored and every camera answered as if
    filtered: a researcher would export the wrong data without knowing it."""
    make_camera(location=point(*inside(box)), capabilities=[])
    response = client.get(f"{endpoint}?{query}")
    assert response.status_code == 400, response.content
    assert response["Content-Type"].split(";")[0] in {"application/json", "application/geo+json"}
    errors = response.json()["errors"]
    assert list(errors) == [name]
    message = errors[name][0]
    assert message.startswith("unknown parameter")
    assert (
        (f"did you mean {suggestion}?" in message) if suggestion else "did you mean" not in message
    )
    assert "in_bbox" in message and "format" in message, "lists the known parameters"


def test_every_parameter_the_list_documents_is_accepted(client, db, box):
    camera = make_camera(location=point(*inside(box)), camera_type="dome", surveillance="public")
    query = (
        f"in_bbox={box}&source=osm&status=active&surveillance=public&surveillance_type=camera"
        "&camera_type=dome&operator=&updated_since=2000-01-01&page=1&page_size=10&fov=1"
        "&properties=camera_type&format=geojson"
    )
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200, response.content
    assert _ids(response) == [camera.pk]
