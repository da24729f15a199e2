"""The synthetic data set: realistic spread, valid rows, a routable graph, a readable pbf."""

from __future__ import annotations

import math

import numpy as np
import osmium
import pytest
from django.core.management import call_command
from django.db import connection

from mapping.models import Camera, StreetSegment
from mapping.synthetic import (
    SyntheticSpec,
    clear_synthetic,
    count_synthetic,
    generate_into_database,
    write_synthetic_pbf,
)
from mapping.synthetic.cities import CITIES, COUNTRYSIDE_BOX, haversine_m
from mapping.synthetic.ids import CAMERA_ID_BASE, JUNCTION_ID_BASE, SYNTHETIC_TAG, WAY_ID_BASE
from tests.factories import make_camera

SPEC = SyntheticSpec(cameras=2_000, segments=2_000, seed=11)


@pytest.fixture
def synthetic(db):
    counts = generate_into_database(SPEC)
    return counts


def synthetic_cameras():
    return Camera.objects.filter(osm_id__gte=CAMERA_ID_BASE, source="osm", osm_type="node")


def synthetic_segments():
    return StreetSegment.objects.filter(way_id__gte=WAY_ID_BASE)


def test_generation_loads_the_requested_counts(synthetic):
    assert synthetic == {"cameras": 2_000, "segments": 2_000}
    assert count_synthetic() == {"cameras": 2_000, "segments": 2_000}
    assert synthetic_cameras().count() == 2_000
    assert all(
        tags[SYNTHETIC_TAG] == "yes" for tags in synthetic_cameras().values_list("tags", flat=True)
    )


def test_same_seed_gives_same_cameras_and_another_seed_does_not():
    def first_batch(seed):
        spec = SyntheticSpec(500, 400, seed=seed)
        return next(spec.camera_batches(spec.graph()))

    a, b, c = first_batch(3), first_batch(3), first_batch(4)
    assert np.array_equal(a.lon, b.lon) and a.operator == b.operator
    assert not np.array_equal(a.lon, c.lon)


def _distance_to_nearest_city_km(lon, lat):
    return np.min([haversine_m(lon, lat, c.lon, c.lat) for c in CITIES], axis=0) / 1000


def test_city_clusters_are_far_denser_than_the_countryside(synthetic):
    lon, lat = np.array(
        [(p.x, p.y) for p in synthetic_cameras().values_list("location", flat=True)]
    ).T
    to_city = _distance_to_nearest_city_km(lon, lat)
    urban = (to_city < 10).sum() / (len(CITIES) * math.pi * 10**2)
    min_lon, min_lat, max_lon, max_lat = COUNTRYSIDE_BOX
    in_box = (lon > min_lon) & (lon < max_lon) & (lat > min_lat) & (lat < max_lat)
    rural_count = (in_box & (to_city > 60)).sum()
    box_km2 = (
        (max_lon - min_lon) * 111.32 * math.cos(math.radians(46.7)) * (max_lat - min_lat) * 111.32
    )
    rural = rural_count / box_km2
    assert rural_count > 20, "the countryside is sparse, not empty"
    assert urban > 100 * rural


def test_heavy_tail_the_capital_outweighs_the_small_cities(synthetic):
    lon, lat = np.array(
        [(p.x, p.y) for p in synthetic_cameras().values_list("location", flat=True)]
    ).T

    def near(city):
        return int((haversine_m(lon, lat, city.lon, city.lat) < 15_000).sum())

    by_size = sorted(CITIES, key=lambda c: c.population_k)
    paris = next(c for c in CITIES if c.name == "Paris")
    assert near(paris) > sum(near(c) for c in by_size[:10])


def test_attributes_mix_types_and_agree_with_the_tag_parser(synthetic):
    tags_module = pytest.importorskip("mapping.osm.tags")
    rows = list(synthetic_cameras())
    for field, expected in [
        ("surveillance_type", {"camera", "alpr", "guard", "gunshot_detector"}),
        ("camera_type", {"fixed", "dome", "panning", ""}),
        ("surveillance", {"public", "outdoor", "indoor", ""}),
    ]:
        assert {getattr(c, field) for c in rows} == expected
    fixed = [c for c in rows if c.camera_type == "fixed"]
    assert sum(bool(c.directions) for c in fixed) > 0.75 * len(fixed)
    assert any(len(c.directions) > 1 for c in rows), "some nodes carry several cameras"
    assert any(c.capabilities for c in rows) and any(c.operator for c in rows)
    mismatched = []
    for camera in rows:
        parsed = tags_module.normalise_camera_tags(camera.tags)
        ours = (camera.surveillance, camera.surveillance_type, camera.camera_type, camera.mount,
                camera.zone, tuple(camera.directions), camera.height, camera.tilt, camera.operator,
                camera.operator_type, tuple(camera.capabilities), camera.vendor, camera.ref,
                camera.check_date)  # fmt: skip
        theirs = (parsed.surveillance, parsed.surveillance_type, parsed.camera_type, parsed.mount,
                  parsed.zone, parsed.directions, parsed.height, parsed.tilt, parsed.operator,
                  parsed.operator_type, parsed.capabilities, parsed.vendor, parsed.ref,
                  parsed.check_date)  # fmt: skip
        if ours != theirs or parsed.unparsed:
            mismatched.append((camera.osm_id, ours, theirs, parsed.unparsed))
    assert mismatched == []


def test_segment_lengths_are_geodesic_metres(synthetic):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT max(abs(length_m - ST_Length(geom::geography)) / length_m), min(length_m), "
            "count(*) FILTER (WHERE source < %s OR target < %s) "
            "FROM mapping_streetsegment WHERE way_id >= %s",
            [JUNCTION_ID_BASE, JUNCTION_ID_BASE, WAY_ID_BASE],
        )
        worst, shortest, foreign_nodes = cursor.fetchone()
    assert worst < 0.005
    assert shortest > 10
    assert foreign_nodes == 0


def test_graph_is_connected_enough_to_route_across_it(synthetic):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT component, count(*) FROM pgr_connectedComponents("
            "  'SELECT id, source, target, length_m AS cost, length_m AS reverse_cost "
            "   FROM mapping_streetsegment WHERE way_id >= " + str(WAY_ID_BASE) + "'"
            ") GROUP BY component ORDER BY 2 DESC"
        )
        sizes = [count for _, count in cursor.fetchall()]
        assert sizes[0] >= 0.95 * sum(sizes)
        # Corner to corner of the grid: a real path, longer than the straight line.
        cursor.execute(
            "SELECT min(source), max(target) FROM mapping_streetsegment WHERE way_id >= %s",
            [WAY_ID_BASE],
        )
        start, end = cursor.fetchone()
        cursor.execute(
            "SELECT sum(cost) FROM pgr_dijkstra("
            "  'SELECT id, source, target, length_m AS cost, length_m AS reverse_cost "
            "   FROM mapping_streetsegment WHERE way_id >= " + str(WAY_ID_BASE) + "', "
            "  %s::bigint, %s::bigint, directed => false)",
            [start, end],
        )
        walked = cursor.fetchone()[0]
    assert walked is not None and walked > 1000


def test_cameras_stand_along_the_graph(synthetic):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM mapping_camera c WHERE c.osm_id >= %s AND EXISTS ("
            "  SELECT 1 FROM mapping_streetsegment s WHERE s.way_id >= %s "
            "  AND s.geom && ST_Expand(c.location, 0.0003) "
            "  AND ST_DWithin(s.geom::geography, c.location::geography, 12))",
            [CAMERA_ID_BASE, WAY_ID_BASE],
        )
        near_streets = cursor.fetchone()[0]
    assert near_streets >= 100  # 5 % of 2,000 are placed along the graph


def test_pbf_holds_the_same_cameras_and_graph(tmp_path):
    path = tmp_path / "synthetic.osm.pbf"
    counts = write_synthetic_pbf(SPEC, path, with_graph=True)
    cameras, ways, tags_by_id = 0, 0, {}
    for obj in osmium.FileProcessor(str(path)):
        if obj.is_node() and obj.tags.get("man_made") == "surveillance":
            cameras += 1
            if cameras <= 50:
                tags_by_id[obj.id] = dict(obj.tags)
        elif obj.is_way():
            ways += 1
    assert counts["cameras"] == cameras == 2_000
    assert counts["ways"] == ways == 2_000
    batch = next(SPEC.camera_batches(SPEC.graph()))
    for osm_id, tags in tags_by_id.items():
        assert tags == batch.tags(osm_id - CAMERA_ID_BASE)


def test_clear_removes_synthetic_rows_only(synthetic):
    real = make_camera()
    assert clear_synthetic() == {"cameras": 2_000, "segments": 2_000}
    assert count_synthetic() == {"cameras": 0, "segments": 0}
    assert Camera.objects.filter(pk=real.pk).exists()


@pytest.mark.django_db
def test_command_generates_writes_a_pbf_and_clears(tmp_path, capsys):
    call_command("generate_synthetic", cameras=300, segments=200, pbf=tmp_path / "s.osm.pbf")
    assert count_synthetic() == {"cameras": 300, "segments": 200}
    assert (tmp_path / "s.osm.pbf").stat().st_size > 0
    call_command("generate_synthetic", clear=True)
    assert count_synthetic() == {"cameras": 0, "segments": 0}


def _index_definitions() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indrelid IN ('mapping_camera'::regclass, 'mapping_streetsegment'::regclass)"
        )
        return {definition for (definition,) in cursor.fetchall()}


def test_a_bulk_load_builds_the_indexes_after_the_rows_and_gets_them_all_back(db, monkeypatch):
    from mapping import bulk_load, synthetic

    rebuilt = []
    real = bulk_load.indexes_built_after

    def recording(cursor, table):
        rebuilt.append(table)
        return real(cursor, table)

    monkeypatch.setattr(bulk_load, "indexes_built_after", recording)
    monkeypatch.setattr(synthetic, "BULK_LOAD_ROWS", 1_000)  # this small set takes the bulk path
    before = _index_definitions()

    assert generate_into_database(SPEC) == {"cameras": 2_000, "segments": 2_000}

    assert rebuilt == ["mapping_streetsegment", "mapping_camera"]
    assert _index_definitions() == before
    assert synthetic_cameras().filter(location__isnull=False).count() == 2_000
