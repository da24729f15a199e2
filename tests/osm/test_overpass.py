"""Importing from the Overpass API, reached through a local stand-in serving real Helsinki data.

The stand-in (tests/fake_overpass.py) evaluates the importer's real Overpass QL over the
Helsinki extract, so everything from the HTTP request to the database runs for real.
"""

from __future__ import annotations

import json

import pytest

from mapping.bbox import BBox, split_into_tiles
from mapping.importer import import_bbox
from mapping.models import Camera, ImportRun
from mapping.osm.overpass import (
    OverpassError,
    OverpassSettings,
    build_query,
    fetch_area,
    fetch_tile,
    read_overpass_json,
)
from mapping.osm.pbf import read_osm_file
from tests.helsinki import HELSINKI_BBOX, HELSINKI_CAMERAS, HELSINKI_PBF
from tests.osm.snapshot import database_snapshot

# A corner of the demo area, small enough for quick requests.
CORNER = BBox(24.9352, 60.1642, 24.9443, 60.1716)


def config(server, tile_degrees=1.0, max_retries=2, timeout_s=5.0) -> OverpassSettings:
    return OverpassSettings(server.url, timeout_s, tile_degrees, max_retries, backoff_s=0.0)


def camera_ids(extract) -> set[tuple[str, int]]:
    return {(c.osm_type, c.osm_id) for c in extract.cameras}


def test_the_query_is_overpass_ql_with_the_bbox_south_west_north_east():
    query = build_query(BBox(24.93, 60.16, 24.95, 60.18), timeout_s=180)
    assert query.startswith("[out:json][timeout:180][bbox:60.16,24.93,60.18,24.95];")
    assert 'nwr["man_made"="surveillance"];' in query
    assert 'way["highway"];' in query and 'relation["building"];' in query
    assert query.rstrip().endswith("out meta;\n>;\nout skel qt;")


def test_the_whole_area_gives_the_same_cameras_and_graph_as_the_file(fake_overpass):
    from_api = fetch_area(HELSINKI_BBOX, config(fake_overpass))
    from_file = read_osm_file(HELSINKI_PBF)

    assert len(from_api.cameras) == HELSINKI_CAMERAS
    assert camera_ids(from_api) == camera_ids(from_file)
    by_id = {c.osm_id: c for c in from_file.cameras}
    assert all(
        (c.lon, c.lat, c.tags, c.version)
        == (by_id[c.osm_id].lon, by_id[c.osm_id].lat, by_id[c.osm_id].tags, by_id[c.osm_id].version)
        for c in from_api.cameras
    )
    assert {w.nodes for w in from_api.ways} == {w.nodes for w in from_file.ways}


def test_a_tiled_area_gives_the_same_elements_once_each(fake_overpass):
    whole = fetch_area(HELSINKI_BBOX, config(fake_overpass))
    fake_overpass.requests.clear()

    tiled = fetch_area(HELSINKI_BBOX, config(fake_overpass, tile_degrees=0.006))

    tiles = split_into_tiles(HELSINKI_BBOX, 0.006)
    assert len(tiles) == len(fake_overpass.requests) == 12  # 4 columns x 3 rows
    asked = [BBox(w, s, e, n) for s, w, n, e in fake_overpass.requests]
    for box, tile in zip(asked, tiles, strict=True):
        assert box.as_tuple() == pytest.approx(tile.as_tuple())
    assert sorted(camera_ids(tiled)) == sorted(camera_ids(whole))  # no duplicates at tile edges
    assert len(tiled.cameras) == HELSINKI_CAMERAS
    assert sorted(w.way_id for w in tiled.ways) == sorted(w.way_id for w in whole.ways)


def test_429_and_504_are_retried(fake_overpass):
    fake_overpass.script(("status", 429), ("status", 504))
    extract = fetch_area(CORNER, config(fake_overpass, max_retries=2))
    assert len(fake_overpass.queries) == 3
    assert extract.cameras


def test_after_the_last_try_the_error_names_the_tile(fake_overpass):
    fake_overpass.script(*[("status", 504)] * 3)
    with pytest.raises(
        OverpassError,
        match=r"Overpass tile 1/1 \(24\.9352,60\.1642,24\.9443,60\.1716\): HTTP 504.*3 tries",
    ):
        fetch_area(CORNER, config(fake_overpass, max_retries=2))


def test_a_second_tile_failing_names_that_tile(fake_overpass):
    fake_overpass.script(("ok", None), *[("status", 429)] * 2)
    with pytest.raises(OverpassError, match=r"tile 2/2 .*HTTP 429"):
        # 0.01 x 0.0058 degrees in tiles of 0.006: two columns, one row.
        fetch_area(BBox(24.9352, 60.1642, 24.9452, 60.1700), config(fake_overpass, 0.006, 1))


def test_other_http_errors_fail_at_once(fake_overpass):
    fake_overpass.script(("status", 400))
    with pytest.raises(OverpassError, match="HTTP 400"):
        fetch_area(CORNER, config(fake_overpass))
    assert len(fake_overpass.queries) == 1


def test_a_truncated_answer_is_an_error_not_partial_data(fake_overpass):
    fake_overpass.script(("truncate", 0.6))
    with pytest.raises(OverpassError, match="not complete JSON"):
        fetch_area(CORNER, config(fake_overpass))


def test_a_runtime_error_remark_is_an_error(fake_overpass):
    fake_overpass.script(("remark", 'runtime error: Query timed out in "query" at line 3'))
    with pytest.raises(OverpassError, match="Query timed out"):
        fetch_area(CORNER, config(fake_overpass))


def test_a_server_that_does_not_answer_in_time_is_retried_then_reported(fake_overpass):
    fake_overpass.script(("delay", 1.5), ("delay", 1.5))
    with pytest.raises(OverpassError, match=r"no answer within 0\.5 s"):
        fetch_tile(
            build_query(CORNER, 1), "tile X", config(fake_overpass, max_retries=1, timeout_s=0.5)
        )


def test_an_unreachable_server_is_reported():
    dead = OverpassSettings("http://127.0.0.1:9/api/interpreter", 1.0, 1.0, 0, 0.0)
    with pytest.raises(OverpassError, match="cannot reach"):
        fetch_area(CORNER, dead)


def test_the_server_is_not_trusted(fake_overpass):
    # A misbehaving server adds elements nobody asked for: a camera outside the tile, a
    # node without the surveillance tag, a way that is no highway. None of them gets in.
    junk = [
        {
            "type": "node",
            "id": 9_100_000_001,
            "lat": 60.19,
            "lon": 24.99,
            "tags": {"man_made": "surveillance"},
        },
        {
            "type": "node",
            "id": 9_100_000_002,
            "lat": 60.166,
            "lon": 24.94,
            "tags": {"man_made": "flagpole"},
        },
        {
            "type": "way",
            "id": 9_100_000_003,
            "nodes": [9_100_000_002, 9_100_000_001],
            "tags": {"waterway": "river"},
        },
    ]
    fake_overpass.script(("inject", junk))
    honest = fetch_area(CORNER, config(fake_overpass))
    fake_overpass.script(("inject", junk))

    extract = fetch_area(CORNER, config(fake_overpass))

    assert camera_ids(extract) == camera_ids(honest)
    assert 9_100_000_003 not in {w.way_id for w in extract.ways}


def test_a_saved_overpass_answer_reads_like_a_live_one(fake_overpass):
    body = fetch_tile(build_query(HELSINKI_BBOX, 60), "saved", config(fake_overpass))
    assert camera_ids(read_overpass_json(body)) == camera_ids(read_osm_file(HELSINKI_PBF))


@pytest.mark.django_db
def test_bbox_import_matches_the_file_import_and_a_second_run_changes_nothing(
    fake_overpass, helsinki
):
    first = import_bbox(HELSINKI_BBOX)  # the helsinki fixture already holds the file's data

    assert first.counts.cameras_unchanged == HELSINKI_CAMERAS
    assert (
        first.counts.cameras_new,
        first.counts.cameras_updated,
        first.counts.cameras_removed,
    ) == (0, 0, 0)
    assert (first.counts.segments_added, first.counts.segments_removed) == (0, 0)
    assert first.counts.segments == helsinki.segments

    second = import_bbox(HELSINKI_BBOX)

    assert second.no_change
    run = ImportRun.objects.get(pk=second.run_id)
    assert (run.kind, run.status) == ("overpass", "succeeded")
    assert run.bbox.extent == pytest.approx(HELSINKI_BBOX.as_tuple())


@pytest.mark.django_db
def test_a_camera_deleted_in_osm_is_marked_removed_by_the_next_bbox_import(fake_overpass, helsinki):
    import_bbox(HELSINKI_BBOX)
    gone = (
        Camera.objects.filter(source="osm", location__within=HELSINKI_BBOX.polygon())
        .order_by("osm_id")
        .first()
    )
    fake_overpass.delete("node", gone.osm_id)

    summary = import_bbox(HELSINKI_BBOX)

    assert (summary.counts.cameras_removed, summary.counts.cameras_unchanged) == (
        1,
        HELSINKI_CAMERAS - 1,
    )
    gone.refresh_from_db()
    assert gone.status == "removed" and gone.removed_at is not None


@pytest.mark.django_db
def test_a_run_failing_half_way_leaves_the_database_unchanged(fake_overpass, helsinki):
    # Had the import gone through, this camera would have changed.
    some = Camera.objects.filter(source="osm", location__within=HELSINKI_BBOX.polygon()).first()
    fake_overpass.edit("node", some.osm_id, tags={"man_made": "surveillance"})
    before = database_snapshot()
    # Tile 1 answers, tile 2 times out at the gateway and then sends half an answer.
    fake_overpass.script(("ok", None), ("status", 504), ("truncate", 0.5))

    with pytest.raises(OverpassError, match="tile 2/"):
        import_bbox(HELSINKI_BBOX, tile_degrees=0.01)

    assert database_snapshot() == before
    failed = ImportRun.objects.order_by("-id").first()
    assert (failed.kind, failed.status) == ("overpass", "failed")
    assert "tile 2/" in failed.error and "not complete JSON" in failed.error


# A camera mapped as an outline (a way) and as a multipolygon, over nodes of the demo data.
CAMERA_WAY, CAMERA_RELATION = 9_200_000_001, 9_200_000_002


def _with_camera_outlines(answer: dict) -> dict:
    """The answer with a camera way and a camera relation drawn on a building's outline."""
    building = next(
        e for e in answer["elements"] if e["type"] == "way" and "building" in e.get("tags", {})
    )
    outline = {"type": "way", "id": CAMERA_WAY, "version": 3, "nodes": building["nodes"]}
    camera_way = outline | {"tags": {"man_made": "surveillance", "surveillance": "public"}}
    relation = {
        "type": "relation",
        "id": CAMERA_RELATION,
        "version": 1,
        "members": [{"type": "way", "ref": building["id"], "role": "outer"}],
        "tags": {"type": "multipolygon", "man_made": "surveillance"},
    }
    return answer | {"elements": [*answer["elements"], camera_way, relation]}


def _as_out_geom(answer: dict) -> dict:
    """The same answer as `out geom;` gives it (overpass-turbo's default): no node of a
    way, each way and relation member carrying its points instead."""
    places = {e["id"]: {"lat": e["lat"], "lon": e["lon"]} for e in answer["elements"] if "lat" in e}
    way_nodes = {e["id"]: e["nodes"] for e in answer["elements"] if e["type"] == "way"}
    elements = []
    for element in answer["elements"]:
        if "tags" not in element:
            continue  # the nodes and ways `>; out skel` added
        if element["type"] == "way":
            element = element | {"geometry": [places.get(n) for n in element["nodes"]]}
        elif element["type"] == "relation":
            members = [
                m | {"geometry": [places.get(n) for n in way_nodes[m["ref"]]]}
                if m["type"] == "way" and m["ref"] in way_nodes
                else m  # a member the answer lacks has no points either
                for m in element["members"]
            ]
            element = element | {"members": members}
        elements.append(element)
    return answer | {"elements": elements}


def _by_identity(elements) -> list:
    return sorted(elements, key=lambda e: (getattr(e, "osm_type", ""), getattr(e, "osm_id", 0)))


def test_a_saved_out_geom_answer_reads_like_the_importers_own(fake_overpass):
    """overpass-turbo saves `out geom` answers: camera ways, streets and buildings there
    carry their points themselves (before, all of them were dropped without a word)."""
    body = fetch_tile(build_query(HELSINKI_BBOX, 60), "saved", config(fake_overpass))
    answer = _with_camera_outlines(json.loads(body))
    geom = _as_out_geom(answer)
    assert not any(e["type"] == "node" and "tags" not in e for e in geom["elements"])

    expected = read_overpass_json(json.dumps(answer))
    got = read_overpass_json(json.dumps(geom))

    assert {CAMERA_WAY, CAMERA_RELATION} <= {c.osm_id for c in expected.cameras}
    assert _by_identity(got.cameras) == _by_identity(expected.cameras)
    assert sorted(got.ways, key=lambda w: (w.way_id, w.nodes)) == sorted(
        expected.ways, key=lambda w: (w.way_id, w.nodes)
    )
    assert len(expected.ways) > 2000
    assert _by_identity(got.buildings) == _by_identity(expected.buildings)


def test_cropped_points_are_gaps_and_centres_place_camera_outlines():
    """`out geom(bbox)` crops to null points, which overpy could not read at all; `out
    center` gives a way or relation no points, only its box's centre."""
    a, b, c, d = ({"lat": 45.0, "lon": 10.0 + k / 1000} for k in range(4))
    answer = {
        "elements": [
            {"type": "way", "id": 1, "nodes": [11, 12, 13, 14],
             "geometry": [a, b, None, c], "tags": {"highway": "footway"}},
            {"type": "relation", "id": 2, "tags": {"building": "yes", "type": "multipolygon"},
             "members": [{"type": "way", "ref": 3, "role": "outer",
                          "geometry": [a, b, c, None, d]}]},
            {"type": "way", "id": 4, "nodes": [15, 16, 17, 15], "version": 2,
             "center": {"lat": 45.001, "lon": 10.002}, "tags": {"man_made": "surveillance"}},
            {"type": "relation", "id": 5, "members": [], "version": 1,
             "center": {"lat": 45.003, "lon": 10.004}, "tags": {"man_made": "surveillance"}},
        ]
    }  # fmt: skip

    extract = read_overpass_json(json.dumps(answer))

    (street,) = extract.ways  # split at the cropped point: a one-node piece is no line
    assert [node_id for node_id, _, _ in street.nodes] == [11, 12]
    (building,) = extract.buildings
    assert building.geometry == ("SRID=4326;MULTILINESTRING((10.0 45.0,10.001 45.0,10.002 45.0))")
    assert {(c.osm_type, c.osm_id, c.lon, c.lat) for c in extract.cameras} == {
        ("way", 4, 10.002, 45.001),
        ("relation", 5, 10.004, 45.003),
    }


def test_out_tags_center_places_a_camera_way_without_node_ids():
    """`out tags center` prints a way with no node ids at all (overpy: None), which
    stopped the whole answer with a TypeError."""
    answer = {
        "elements": [
            {"type": "way", "id": 4, "center": {"lat": 45.001, "lon": 10.002},
             "tags": {"man_made": "surveillance"}},
            {"type": "way", "id": 6, "center": {"lat": 45.001, "lon": 10.002},
             "tags": {"highway": "footway", "building": "yes"}},
        ]
    }  # fmt: skip

    extract = read_overpass_json(json.dumps(answer))

    assert [(c.osm_type, c.osm_id, c.lon, c.lat) for c in extract.cameras] == [
        ("way", 4, 10.002, 45.001)
    ]
    assert extract.ways == [] and extract.buildings == []


@pytest.mark.parametrize(
    ("centre", "reason"),
    [
        ({"lon": 10.0}, "Unable to get lat or lon"),
        ({"lat": "north", "lon": 10.0}, "InvalidOperation"),  # overpy's Decimal
        ({"lat": "NaN", "lon": 10.0}, "saved: the centre of relation 5 has lat NaN, not a"),
        ({"lat": 95.0, "lon": 10.0}, "saved: the centre of relation 5 has lat 95.0, beyond"),
    ],
)
def test_a_centre_that_is_no_place_is_an_error(centre, reason):
    """Not a camera at latitude 95 or NaN, nor an uncaught decimal error."""
    answer = {"elements": [{"type": "relation", "id": 5, "members": [], "center": centre,
                            "tags": {"man_made": "surveillance"}}]}  # fmt: skip

    with pytest.raises(OverpassError, match="saved: ") as refused:
        read_overpass_json(json.dumps(answer), label="saved")
    assert reason in str(refused.value)
