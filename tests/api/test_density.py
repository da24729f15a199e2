"""Density: the trigger-kept aggregate stays exact, and /api/density/ counts every camera once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.gis.geos import Point, Polygon
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.views.density import density_collection
from mapping.bbox import BBox
from mapping.camera_queries import CameraFilters, filter_cameras
from mapping.density import totals
from mapping.density.cells import tile_x, tile_y
from mapping.density.queries import (
    _count_from_aggregate,
    _count_from_cameras,
    camera_density,
    rebuild_density_cells,
)
from mapping.models import Camera, DensityCell, DensityTotal
from tests.api.conftest import body, inside
from tests.density import aggregate_rows
from tests.factories import make_camera, point
from tests.helsinki import HELSINKI_BBOX

URL = "/api/density/"


def _aggregate() -> set[tuple]:
    return aggregate_rows()


def _assert_aggregate_exact():
    """The rows the triggers kept equal a recount from scratch."""
    kept = _aggregate()
    rebuild_density_cells()
    assert _aggregate() == kept
    assert all(row[-1] > 0 for row in kept)
    # The totals are the active cameras of the cells, summed over their packed columns.
    active = sum(row[-1] for row in kept if row[0] == "cell" and row[1] == 3 and row[4] & 2 == 0)
    assert sum(row[-1] for row in kept if row[0] == "total" and row[1] == 3) == active


def test_triggers_keep_the_aggregate_exact_through_every_kind_of_write(db, box):
    lon, lat = inside(box)
    a = make_camera(location=point(lon, lat))
    b = make_camera(location=point(lon, lat), camera_type="dome", capabilities=["alpr"])
    _assert_aggregate_exact()
    # Move one far away, change another's packed columns, bump an unpacked one.
    Camera.objects.filter(pk=a.pk).update(location=Point(5.37, 43.29, srid=4326))
    b.status, b.removed_at = "removed", datetime(2024, 1, 1, tzinfo=UTC)
    b.save()
    Camera.objects.filter(pk=b.pk).update(confirmations=5)
    _assert_aggregate_exact()
    Camera.objects.bulk_create(
        [
            Camera(source="community", location=point(*inside(box, i / 20, 0.2)))
            for i in range(1, 20)
        ]
    )
    _assert_aggregate_exact()
    Camera.objects.filter(location__intersects=box.polygon()).delete()
    _assert_aggregate_exact()


def test_an_emptied_cell_disappears_from_the_aggregate(db, box):
    camera = make_camera(location=point(*inside(box)))
    level = 16
    x, y = tile_x(camera.location.x, level), tile_y(camera.location.y, level)
    for model in (DensityCell, DensityTotal):
        assert model.objects.filter(level=level, cell_x=x, cell_y=y).exists()
    camera.delete()
    for model in (DensityCell, DensityTotal):
        assert not model.objects.filter(level=level, cell_x=x, cell_y=y).exists()


def test_truncating_cameras_empties_the_aggregate(transactional_db):
    make_camera()
    assert DensityCell.objects.exists() and DensityTotal.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE mapping_camera CASCADE")
    assert not DensityCell.objects.exists() and not DensityTotal.objects.exists()


FILTERS = [
    CameraFilters(),
    CameraFilters(statuses=("active",)),
    CameraFilters(sources=("community",)),
    CameraFilters(statuses=("active", "removed"), camera_types=("dome", "fixed")),
    CameraFilters(capabilities=("alpr", "vsa")),
    CameraFilters(surveillances=("public",), surveillance_types=("camera", "guard")),
]


@pytest.mark.parametrize("filters", FILTERS)
@pytest.mark.parametrize("zoom", [6, 12, 13])
def test_aggregate_and_camera_rows_give_the_same_cells(db, box, filters, zoom):
    kinds = [
        {},
        {"camera_type": "dome", "capabilities": ["alpr"]},
        {"source": "community", "camera_type": "fixed"},
        {"status": "removed", "removed_at": datetime(2024, 1, 1, tzinfo=UTC)},
        {"surveillance": "public", "surveillance_type": "guard", "capabilities": ["vsa"]},
    ]
    for i in range(25):
        make_camera(
            location=point(*inside(box, (i % 5 + 0.5) / 5, (i // 5 + 0.5) / 5)), **kinds[i % 5]
        )
    with_box = CameraFilters(**{**filters.__dict__, "bbox": box})
    density = camera_density(with_box, zoom)
    assert density.from_aggregate
    assert density.cells == _count_from_cameras(with_box, density.tiles)
    assert density.cells == _count_from_aggregate(with_box, density.tiles)
    # Nothing else lies near the box, so the cells hold exactly the box's matching cameras.
    assert density.total == filter_cameras(with_box).count() > 0


def _cameras_in_cells(features, **filters) -> int:
    """Cameras lying in the union of the returned cells, counted independently of the API."""
    polygons = [Polygon(f["geometry"]["coordinates"][0], srid=4326) for f in features]
    if not polygons:
        return 0
    union = polygons[0]
    for polygon in polygons[1:]:
        union = union.union(polygon)
    # Cells are exact tiles; their 6-decimal rounding moves edges by < 1 cm.
    return Camera.objects.filter(location__intersects=union, **filters).count()


@pytest.mark.parametrize("zoom", [6, 12, 17])
def test_counts_sum_to_the_cameras_in_the_box(client, db, box, zoom):
    created = [
        make_camera(location=point(*inside(box, (i % 6 + 0.5) / 6, (i // 6 + 0.5) / 6)))
        for i in range(30)
    ]
    make_camera(location=point(*inside(box)), status="removed", removed_at=datetime.now(UTC))
    response = client.get(f"{URL}?in_bbox={box}&zoom={zoom}")
    data = body(response)
    assert response.status_code == 200
    assert data["total"] == sum(f["properties"]["count"] for f in data["features"]) == 30
    assert data["zoom"] == zoom and data["cell_level"] == zoom + 3
    for feature in data["features"]:
        polygon = Polygon(feature["geometry"]["coordinates"][0], srid=4326)
        inside_cell = [c for c in created if polygon.buffer(1e-7).covers(c.location)]
        assert feature["properties"]["count"] == len(inside_cell)
        assert feature["properties"]["count"] > 0


@pytest.mark.parametrize(
    ("zoom", "bbox"),
    [
        (17, "24.940,60.166,24.946,60.170"),  # a few streets
        (13, str(HELSINKI_BBOX)),  # the city centre
        (6, "19,59,32,70"),  # the country
    ],
)
def test_helsinki_density_at_street_city_and_country_zoom(client, db, helsinki, zoom, bbox):
    data = body(client.get(f"{URL}?in_bbox={bbox}&zoom={zoom}&source=osm"))
    counts = [f["properties"]["count"] for f in data["features"]]
    assert (
        data["total"]
        == sum(counts)
        == _cameras_in_cells(data["features"], source="osm", status="active")
    )
    assert 0 < data["total"] <= helsinki.cameras
    if zoom < 17:
        assert data["total"] == helsinki.cameras
    if zoom == 6:
        assert len(counts) <= 2  # the whole extract falls in one or two regional cells
    if zoom == 13:
        assert len(counts) > 4  # a readable grid over the centre
    # The text the endpoint writes is exactly the document density_collection describes.
    bounds = BBox(*(float(v) for v in bbox.split(",")))
    described = density_collection(
        camera_density(CameraFilters(bbox=bounds, sources=("osm",), statuses=("active",)), zoom)
    )
    assert data == described


def test_filters_the_aggregate_cannot_serve_count_the_cameras(client, db, box):
    make_camera(location=point(*inside(box, 0.2, 0.2)), operator="Police nationale")
    make_camera(location=point(*inside(box, 0.8, 0.8)), operator="SNCF")
    plain = body(client.get(f"{URL}?in_bbox={box}&zoom=12"))
    live = body(client.get(f"{URL}?in_bbox={box}&zoom=12&updated_since=1970-01-01"))
    police = body(client.get(f"{URL}?in_bbox={box}&zoom=12&operator=police"))
    assert plain["aggregated"] and not live["aggregated"] and not police["aggregated"]
    assert plain["features"] == live["features"]
    assert plain["total"] == 2 and police["total"] == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("zoom=12", "in_bbox"),
        ("in_bbox=2,48,3,49", "zoom"),
        ("in_bbox=2,48,3,49&zoom=23", "zoom"),
        ("in_bbox=2,48,3,49&zoom=-1", "zoom"),
        ("in_bbox=2,48,3,49&zoom=ten", "zoom"),
        ("in_bbox=2,48,3,49&zoom=19", "zoom"),  # far too many cells for that box
        ("in_bbox=-40,-40,40,40&zoom=2", "in_bbox"),  # larger than the area limit
        ("in_bbox=2,48,3,49&zoom=12&source=moon", "source"),
    ],
)
def test_bad_density_requests_are_a_400_naming_the_parameter(client, db, query, field):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.parametrize(
    ("filters", "served"),
    [
        (CameraFilters(statuses=("active",)), True),
        (CameraFilters(), False),
        (CameraFilters(statuses=("active", "removed")), False),
        (CameraFilters(statuses=("active",), sources=("osm",)), False),
        (CameraFilters(statuses=("active",), capabilities=("alpr",)), False),
        (CameraFilters(statuses=("active",), operator="ville"), False),
    ],
)
def test_only_the_map_without_filters_is_answered_from_the_totals(filters, served):
    assert totals.serves(filters) is served


def test_the_default_density_request_reads_one_total_per_cell(client, db, box):
    for i in range(6):
        make_camera(location=point(*inside(box, 0.5, 0.5)), camera_type=("fixed", "dome")[i % 2])
    with CaptureQueriesContext(connection) as queries:
        answer = body(client.get(f"{URL}?in_bbox={box}&zoom=12"))
    assert any("mapping_densitytotal" in query["sql"] for query in queries)
    assert not any("mapping_densitycell" in query["sql"] for query in queries)
    assert answer["total"] == 6 and len(answer["features"]) == 1


def test_stale_totals_without_cells_are_recounted_by_the_next_insert(db, box):
    # The totals derive from the cells: when the cells are gone (a repair emptied them),
    # the first insert counts both tables again instead of failing on the old totals.
    make_camera(location=point(*inside(box)))
    DensityCell.objects.all().delete()
    assert DensityTotal.objects.exists()
    make_camera(location=point(*inside(box, 0.2, 0.2)))
    # Both count the new camera alone (the old one left the cells with the repair).
    assert DensityTotal.objects.get(level=3).camera_count == 1
    assert DensityCell.objects.get(level=3).camera_count == 1
