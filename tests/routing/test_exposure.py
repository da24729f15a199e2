"""Watched metres per street segment (mapping.exposure) and their upkeep (mapping.analysis).

A straight east-west street 200 m long through the Paris test area; cameras stand on it,
so each sees a 50 m stretch (its 25 m disc):

    x = -100 ........ -25 [=== A ===] 25 ............ 100     (A at x = 0)
    x = -100 ........ -25 [=== A ==[=]== B ===] 45 .. 100     (B at x = 20)
"""

from __future__ import annotations

import pytest

from mapping.analysis import refresh_derived_data
from mapping.models import StreetSegment
from tests.factories import make_camera, make_segment, point
from tests.routing.geo import lonlat_at

pytestmark = pytest.mark.django_db

DISC_CHORD_M = 50.0  # a 25 m disc centred on the street
TOLERANCE_M = 0.5  # the outline follows the circle with chords


@pytest.fixture
def street():
    return make_segment([lonlat_at(-100, 0), lonlat_at(100, 0)], 9_100_000_001, 9_100_000_002)


@pytest.fixture
def far_street():
    return make_segment([lonlat_at(-100, 300), lonlat_at(100, 300)], 9_100_000_003, 9_100_000_004)


def camera_at(east_m: float, north_m: float = 0.0, **fields):
    return make_camera(location=point(*lonlat_at(east_m, north_m)), **fields)


def reload(segment) -> StreetSegment:
    return StreetSegment.objects.get(pk=segment.pk)


def test_one_camera_watches_the_chord_of_its_disc(street):
    camera = camera_at(0)
    refresh_derived_data(None)
    segment = reload(street)
    assert segment.exposed_m == pytest.approx(DISC_CHORD_M, abs=TOLERANCE_M)
    assert segment.weighted_exposure == pytest.approx(segment.exposed_m)
    assert segment.camera_ids == [camera.pk]


def test_overlapping_cameras_are_not_counted_twice(street):
    a, b = camera_at(0), camera_at(20)
    refresh_derived_data(None)
    segment = reload(street)
    assert segment.exposed_m == pytest.approx(70.0, abs=TOLERANCE_M)  # not 100
    assert segment.camera_ids == sorted([a.pk, b.pk])


def test_each_watched_stretch_takes_the_highest_weight_of_its_cameras(street, settings):
    camera_at(0)  # plain, weight 1
    camera_at(20, capabilities=["face_recognition"])  # weight 3
    refresh_derived_data(None)
    segment = reload(street)
    weights = settings.EXPOSURE_WEIGHTS
    # B's 50 m at weight 3, the 20 m only A sees at weight 1.
    expected = 50.0 * weights["face_recognition"] + 20.0 * weights["plain"]
    assert segment.weighted_exposure == pytest.approx(expected, abs=3 * TOLERANCE_M)
    assert segment.exposed_m == pytest.approx(70.0, abs=TOLERANCE_M)


def test_an_alpr_camera_weighs_between_plain_and_face_recognition(street, settings):
    camera_at(0, surveillance_type="alpr")  # no direction: the conservative disc
    refresh_derived_data(None)
    segment = reload(street)
    assert segment.weighted_exposure == pytest.approx(
        segment.exposed_m * settings.EXPOSURE_WEIGHTS["alpr"]
    )


def test_exposure_never_exceeds_the_length(street):
    for x in range(-100, 101, 10):
        camera_at(x, capabilities=["vsa"])
    refresh_derived_data(None)
    segment = reload(street)
    assert segment.exposed_m == pytest.approx(segment.length_m, abs=0.01)
    assert segment.exposed_m <= segment.length_m + 0.01


def test_an_added_camera_updates_the_streets_it_sees(street, far_street):
    refresh_derived_data(None)
    assert reload(street).exposed_m == 0
    camera = camera_at(50)
    refresh_derived_data([camera.pk])
    assert reload(street).exposed_m == pytest.approx(DISC_CHORD_M, abs=TOLERANCE_M)
    assert reload(street).camera_ids == [camera.pk]
    assert reload(far_street).exposed_m == 0


def test_a_removed_camera_no_longer_counts(street):
    kept, removed = camera_at(-50), camera_at(50)
    refresh_derived_data(None)
    removed.status = "removed"
    removed.removed_at = removed.last_seen
    removed.save()
    refresh_derived_data([removed.pk])
    segment = reload(street)
    assert segment.camera_ids == [kept.pk]
    assert segment.exposed_m == pytest.approx(DISC_CHORD_M, abs=TOLERANCE_M)


def test_a_deleted_camera_is_cleared_through_the_ids_the_streets_list(street):
    camera = camera_at(0)
    refresh_derived_data(None)
    camera_id = camera.pk
    camera.delete()
    refresh_derived_data([camera_id])
    segment = reload(street)
    assert segment.exposed_m == 0
    assert segment.camera_ids == []


def test_a_moved_camera_is_cleared_from_the_street_it_left(street, far_street):
    camera = camera_at(0)
    refresh_derived_data(None)
    camera.location = point(*lonlat_at(0, 300))
    camera.save()
    refresh_derived_data([camera.pk])
    assert reload(street).exposed_m == 0
    assert reload(far_street).camera_ids == [camera.pk]


def test_a_camera_change_only_recomputes_streets_within_its_reach(street, far_street):
    camera = camera_at(0)
    # A stale figure on a street far from the camera: an incremental refresh leaves it,
    # a full one corrects it.
    StreetSegment.objects.filter(pk=far_street.pk).update(exposed_m=5.0, weighted_exposure=5.0)
    refresh_derived_data([camera.pk])
    assert reload(far_street).exposed_m == 5.0
    assert reload(street).camera_ids == [camera.pk]
    refresh_derived_data(None)
    assert reload(far_street).exposed_m == 0


def test_a_building_between_camera_and_street_hides_it(street):
    from tests.routing.geo import make_building_m

    make_building_m(0, 10, 30, 4)  # a 60 m long block between the camera and the street
    camera_at(0, 20)
    refresh_derived_data(None)
    assert reload(street).exposed_m == pytest.approx(0.0, abs=TOLERANCE_M)
