"""Fields of view, exposure and routes on the real central-Helsinki demo data.

Twenty origin-destination pairs are drawn with a fixed seed from the midpoints of the
segments of the main street network (the largest connected component, stairs and
platforms left out), 400 m to 2 km apart.
"""

from __future__ import annotations

import random
import statistics

import pytest
from django.db import connection
from django.db.models import F

from mapping.analysis import refresh_derived_data
from mapping.exposure import refresh_exposure
from mapping.fov import compute_fields_of_view
from mapping.models import Camera, StreetSegment
from mapping.routing import STRICT_FALLBACK_NOTICE, geodesic_distance_m, plan_routes
from tests.factories import make_camera, point
from tests.helsinki import HELSINKI_BBOX
from tests.routing.geo import assert_continuous_on_the_graph

pytestmark = pytest.mark.django_db

SEED = 20240604
PAIRS = 20

MAIN_NETWORK_MIDPOINTS = """
WITH component AS (
    SELECT * FROM pgr_connectedComponents(
        'SELECT id, source, target, length_m AS cost, length_m AS reverse_cost
         FROM mapping_streetsegment
         WHERE geom && ST_MakeEnvelope(' || %s || ',' || %s || ',' || %s || ',' || %s || ', 4326)')
),
largest AS (
    SELECT component FROM component GROUP BY component ORDER BY count(*) DESC LIMIT 1
)
SELECT s.id, ST_X(ST_LineInterpolatePoint(s.geom, 0.5)), ST_Y(ST_LineInterpolatePoint(s.geom, 0.5))
FROM mapping_streetsegment s
JOIN component c ON c.node = s.source
JOIN largest USING (component)
WHERE s.highway NOT IN ('steps', 'platform', 'corridor', 'elevator')
ORDER BY s.id
"""


def main_network_points() -> list[tuple[float, float]]:
    # The numbers come from the constant HELSINKI_BBOX, passed as parameters.
    with connection.cursor() as cursor:
        cursor.execute(MAIN_NETWORK_MIDPOINTS, [str(v) for v in HELSINKI_BBOX.as_tuple()])
        return [(lon, lat) for _, lon, lat in cursor.fetchall()]


def seeded_pairs() -> list[tuple[tuple[float, float], tuple[float, float]]]:
    points = main_network_points()
    rng = random.Random(SEED)
    pairs = []
    while len(pairs) < PAIRS:
        a, b = rng.sample(points, 2)
        if 400 <= geodesic_distance_m(a, b) <= 2000:
            pairs.append((a, b))
    return pairs


def test_the_import_computed_every_field_of_view_and_exposure(helsinki):
    cameras = Camera.objects.filter(location__within=HELSINKI_BBOX.polygon(), status="active")
    assert cameras.filter(fov__isnull=False).count() >= 0.9 * helsinki.cameras
    assert StreetSegment.objects.filter(exposed_m__gt=0).count() > 500
    # Recomputing changes nothing: what the import stored is already up to date.
    assert compute_fields_of_view() == 0
    assert refresh_exposure() == 0


def test_avoiding_routes_are_watched_far_less_than_the_shortest(helsinki):
    shares = []
    for origin, destination in seeded_pairs():
        shortest, avoiding = plan_routes(origin, destination, 0.5).routes
        assert avoiding.exposed_m <= shortest.exposed_m + 0.01
        assert avoiding.length_m >= shortest.length_m - 0.01
        if shortest.exposed_m > 0:
            shares.append(avoiding.exposed_m / shortest.exposed_m)
    assert len(shares) >= PAIRS * 3 // 4  # most walks in the centre do pass cameras
    assert statistics.median(shares) <= 0.6  # at least 40% fewer watched metres


def test_every_route_is_one_continuous_line_between_the_snapped_points(helsinki):
    for origin, destination in seeded_pairs()[:8]:
        for avoid in (0.5, "strict"):
            plan = plan_routes(origin, destination, avoid)
            for route in plan.routes:
                assert route.coordinates[0] == pytest.approx(
                    (plan.origin.lon, plan.origin.lat), abs=1e-7
                )
                assert route.coordinates[-1] == pytest.approx(
                    (plan.destination.lon, plan.destination.lat), abs=1e-7
                )
                assert_continuous_on_the_graph(route)


def test_strict_mode_falls_back_when_the_walk_starts_in_view(helsinki):
    # A start on a street that a camera watches end to end cannot be out of sight.
    watched = (
        StreetSegment.objects.filter(geom__intersects=HELSINKI_BBOX.polygon(), length_m__gt=20)
        .exclude(highway__in=["steps", "platform", "corridor", "elevator"])
        .filter(exposed_m__gte=F("length_m") - 0.01)
        .order_by("id")
        .first()
    )
    start = watched.geom.interpolate_normalized(0.5)
    destination = seeded_pairs()[0][1]
    shortest, avoiding = plan_routes((start.x, start.y), destination, "strict").routes
    assert avoiding.notice == STRICT_FALLBACK_NOTICE
    assert avoiding.exposed_m <= shortest.exposed_m + 0.01


def exposure_snapshot() -> dict[int, tuple[float, float, list[int]]]:
    return {
        pk: (round(exposed, 3), round(weighted, 3), ids)
        for pk, exposed, weighted, ids in StreetSegment.objects.filter(
            geom__intersects=HELSINKI_BBOX.polygon()
        ).values_list("id", "exposed_m", "weighted_exposure", "camera_ids")
    }


def test_exposure_follows_a_camera_added_then_removed(helsinki):
    unwatched = (
        StreetSegment.objects.filter(
            geom__intersects=HELSINKI_BBOX.polygon(), exposed_m=0, length_m__gt=60
        )
        .exclude(highway__in=["steps", "platform", "corridor", "elevator"])
        .order_by("id")
        .first()
    )
    before = exposure_snapshot()
    middle = unwatched.geom.interpolate_normalized(0.5)
    camera = make_camera(
        source="community", location=point(middle.x, middle.y), capabilities=["face_recognition"]
    )
    refresh_derived_data([camera.pk])
    after_adding = exposure_snapshot()
    seen = StreetSegment.objects.get(pk=unwatched.pk)
    assert camera.pk in seen.camera_ids
    assert seen.exposed_m > 20
    assert seen.weighted_exposure == pytest.approx(3 * seen.exposed_m, abs=0.01)  # both mm-rounded
    changed = {pk for pk in before if before[pk] != after_adding[pk]}
    assert unwatched.pk in changed
    assert all(camera.pk in after_adding[pk][2] for pk in changed)  # only its streets moved

    camera.status = "removed"
    camera.removed_at = camera.last_seen
    camera.save()
    refresh_derived_data([camera.pk])
    assert exposure_snapshot() == before


def test_prepared_statements_plan_the_same_routes_as_plain_ones(helsinki, settings):
    walks = seeded_pairs()[:6]
    for avoid in (0.5, "strict"):
        prepared = [plan_routes(a, b, avoid) for a, b in walks]
        settings.PREPARED_STATEMENTS = False
        assert [plan_routes(a, b, avoid) for a, b in walks] == prepared
        settings.PREPARED_STATEMENTS = True
