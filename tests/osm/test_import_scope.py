"""An import recomputes the derived data of the cameras within reach of what it wrote,
not of every camera in the database (mapping.import_scope)."""

from __future__ import annotations

import math

import pytest
from django.contrib.gis.geos import MultiPolygon
from django.db import transaction

from mapping.analysis import refresh_derived_data
from mapping.bbox import BBox
from mapping.import_scope import cameras_to_refresh, reach_m
from mapping.importer import import_file
from mapping.models import Camera, ImportRun, StreetSegment
from tests.factories import make_camera, point, square
from tests.osm.builder import TESTVILLE_BBOX, at
from tests.osm.test_first_import import _without_cameras

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _only_our_cameras():
    """Cameras another test committed would change the counts and the scope."""
    _without_cameras()


# A field of view no computation gives: still there after an import, it was not recomputed.
SENTINEL = MultiPolygon(square(-150.0, -80.0, 0.0001), srid=4326)
LAT = 45.0


def _east_of(lon: float, lat: float, metres: float) -> float:
    return lon + metres / (111_320.0 * math.cos(math.radians(lat)))


def _with_sentinel(*cameras: Camera) -> None:
    Camera.objects.filter(pk__in=[c.pk for c in cameras]).update(fov=SENTINEL)


def _recomputed(camera: Camera) -> bool:
    camera.refresh_from_db()
    return camera.fov is None or not camera.fov.equals_exact(SENTINEL)


def test_an_import_recomputes_only_the_cameras_within_reach_of_its_area(town, tmp_path):
    edge = TESTVILLE_BBOX.max_lon
    near = make_camera(location=point(_east_of(edge, LAT, 40), LAT))
    beyond = make_camera(location=point(_east_of(edge, LAT, 120), LAT))
    elsewhere = make_camera(location=point(2.35, 48.85))
    _with_sentinel(near, beyond, elsewhere)

    summary = import_file(town.write(tmp_path / "town.osm.pbf"))

    assert summary.counts.cameras_new == 3
    assert ImportRun.objects.get(pk=summary.run_id).counts["derived_cameras"] == 4
    assert _recomputed(near)  # 40 m beyond the area: a field of view reaches 60 m
    assert not _recomputed(beyond)
    assert not _recomputed(elsewhere)
    town_cameras = Camera.objects.filter(osm_id__in=[101, 102, 103])
    assert town_cameras.filter(fov__isnull=False).count() == 3


def _imported_with_a_warehouse_across_the_edge(town, tmp_path) -> Camera:
    """Testville imported with building way 80 running from inside its area to 250 m
    beyond its east edge; returns a camera by that far end, out of the area's reach, its
    field of view set to the sentinel."""
    edge = TESTVILLE_BBOX.max_lon
    far_end = _east_of(edge, LAT, 250)
    town.node(801, (edge - 0.0005, LAT)).node(802, (far_end, LAT))
    town.node(803, (far_end, LAT + 0.0002)).node(804, (edge - 0.0005, LAT + 0.0002))
    town.way(80, [801, 802, 803, 804, 801], {"building": "warehouse"})
    by_the_far_end = make_camera(location=point(far_end, LAT + 0.0005))
    import_file(town.write(tmp_path / "before.osm.pbf"))
    _with_sentinel(by_the_far_end)
    return by_the_far_end


def test_the_cameras_near_a_deleted_building_outside_the_area_are_recomputed(town, tmp_path):
    """A building crossing the area's edge is deleted with the area's: the cameras by its
    far end, beyond the area's reach, see past where it stood."""
    by_the_far_end = _imported_with_a_warehouse_across_the_edge(town, tmp_path)

    del town.ways[80]
    summary = import_file(town.write(tmp_path / "without.osm.pbf"))

    assert summary.counts.buildings_removed == 1
    assert _recomputed(by_the_far_end)


def test_a_file_that_changes_nothing_recomputes_nothing(town, tmp_path):
    path = town.write(tmp_path / "town.osm.pbf")
    import_file(path)
    _with_sentinel(*Camera.objects.all())
    summary = import_file(path)
    assert summary.no_change
    assert "derived_cameras" not in ImportRun.objects.get(pk=summary.run_id).counts
    assert not any(_recomputed(camera) for camera in Camera.objects.all())


def test_an_unknown_area_or_one_holding_every_camera_recomputes_all():
    make_camera(location=point(*at(0, 0)))
    make_camera(location=point(*at(1, 1)))
    with transaction.atomic():
        assert cameras_to_refresh(None) is None
        assert cameras_to_refresh(TESTVILLE_BBOX) is None


@pytest.mark.parametrize("lat", [0.0, 45.0, 60.0, -70.0])
def test_the_margin_is_the_reach_in_metres_at_every_latitude(lat):
    area = BBox(10.0, lat - 0.001, 10.01, lat + 0.001)
    within = make_camera(location=point(_east_of(10.01, lat, reach_m() - 5), lat))
    out_of_reach = make_camera(location=point(_east_of(10.01, lat, reach_m() * 1.2), lat))
    inside = make_camera(location=point(10.005, lat))
    with transaction.atomic():
        ids = cameras_to_refresh(area)
    assert ids == sorted([within.pk, inside.pk])
    assert out_of_reach.pk not in ids


def _derived() -> tuple[dict, dict]:
    """Every camera's field of view (as WKB) and every segment's exposure."""
    fields = {c.pk: c.fov.wkb.hex() if c.fov else None for c in Camera.objects.all()}
    streets = {
        (s.way_id, s.source, s.target): (round(s.exposed_m, 6), sorted(s.camera_ids))
        for s in StreetSegment.objects.all()
    }
    return fields, streets


def test_a_regional_update_leaves_the_same_derived_data_as_recomputing_everything(town, tmp_path):
    """Cameras near the edge look into the area, a street crosses it; the update moves a
    camera, drops a building and reroutes a street: the scoped recompute must agree with
    the full one, camera by camera and street by street."""
    edge = TESTVILLE_BBOX.max_lon
    town.node(7, (at(2, 2)[0], TESTVILLE_BBOX.max_lat + 0.0003))
    town.way(13, [3, 7], {"highway": "footway", "name": "Rue B"})  # crosses the north edge
    # A shed on the edge, in the view of the camera 12 m outside it (it sees 18.7 m).
    town.way(
        90, town.square(900, (_east_of(edge, LAT, -5), at(0, 2)[1]), 0.0001), {"building": "yes"}
    )
    import_file(town.write(tmp_path / "before.osm.pbf"))
    for metres in (12, 45, 90, 300):
        make_camera(
            location=point(_east_of(edge, LAT, metres), at(0, 2)[1]), directions=[270.0], height=5.0
        )
    refresh_derived_data(None)

    town.camera(101, at(1.9, 2.05), version=2, tags={"camera:direction": "270"})
    del town.ways[50], town.ways[90]
    town.way(11, [2, 4], {"highway": "residential"}, version=2)
    summary = import_file(town.write(tmp_path / "after.osm.pbf"))
    assert summary.counts.cameras_updated == 1
    assert summary.counts.buildings_removed == 2
    assert summary.counts.segments_removed >= 1
    assert (
        ImportRun.objects.get(pk=summary.run_id).counts["derived_cameras"] == 5
    )  # its 3, those 12 and 45 m out
    scoped = _derived()

    refresh_derived_data(None)

    assert _derived() == scoped
    assert any(ids for _, ids in scoped[1].values())  # some street is really watched


def test_the_cameras_by_a_reshaped_building_s_former_outline_are_recomputed(town, tmp_path):
    """A building kept under its id but redrawn elsewhere, beyond the area's reach: the
    cameras where it stood see past it now."""
    by_the_far_end = _imported_with_a_warehouse_across_the_edge(town, tmp_path)

    # The same way, now a small square well inside the area.
    town.way(80, town.square(810, at(-3, 0), 0.0001), {"building": "warehouse"}, version=2)
    summary = import_file(town.write(tmp_path / "after.osm.pbf"))

    assert summary.counts.buildings_updated == 1
    assert _recomputed(by_the_far_end)
