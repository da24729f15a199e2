"""Cached camera pages and density answers: reused while the data are unchanged, never after."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from mapping.data_version import camera_data_token
from mapping.density.queries import rebuild_density_cells
from mapping.models import Camera
from tests.api.conftest import body, inside
from tests.factories import make_camera, point

CAMERAS = "/api/cameras/"
DENSITY = "/api/density/"


@pytest.mark.django_db
class TestDataToken:
    def test_every_camera_write_changes_the_token(self):
        before = camera_data_token()
        camera = make_camera()
        after_insert = camera_data_token()
        Camera.objects.filter(pk=camera.pk).update(operator="SNCF")
        after_update = camera_data_token()
        Camera.objects.filter(pk=camera.pk).delete()
        after_delete = camera_data_token()
        assert len({before, after_insert, after_update, after_delete}) == 4

    def test_rebuilding_the_density_aggregate_changes_the_token(self):
        make_camera()
        before = camera_data_token()
        rebuild_density_cells()
        assert camera_data_token() != before

    def test_a_rolled_back_write_leaves_the_token_as_it_was(self):
        before = camera_data_token()
        with connection.cursor() as cursor:
            cursor.execute("SAVEPOINT probe")
            make_camera()
            assert camera_data_token() != before
            cursor.execute("ROLLBACK TO SAVEPOINT probe")
        assert camera_data_token() == before


@pytest.fixture(autouse=True)
def store_every_answer(settings):
    """The tests' answers take a few milliseconds at most: store them all, however fast."""
    settings.API_RESPONSE_CACHE_MIN_MS = 0


@pytest.mark.django_db
class TestCachedEndpoints:
    def test_the_same_question_is_answered_from_memory_with_the_same_body(self, client, box):
        make_camera(location=point(*inside(box)))
        url = f"{CAMERAS}?in_bbox={box}&page_size=10"
        first = client.get(url)
        second = client.get(url)
        assert first["X-Cache"] == "miss"
        assert second["X-Cache"] == "hit"
        assert second.content == first.content
        assert second["Content-Type"] == first["Content-Type"]
        assert second["ETag"] == first["ETag"]
        assert body(second)["count"] == 1

    def test_an_answer_made_under_other_settings_is_not_reused(self, client, box, settings):
        make_camera(location=point(*inside(box)))
        url = f"{CAMERAS}?in_bbox={box}"
        assert client.get(url)["X-Cache"] == "miss"
        settings.API_MAX_BBOX_AREA_DEG2 = box.area_deg2 / 2
        refused = client.get(url)
        assert refused.status_code == 400
        assert "in_bbox" in refused.json()["errors"]

    def test_parameter_order_does_not_matter(self, client, box):
        make_camera(location=point(*inside(box)))
        client.get(f"{CAMERAS}?in_bbox={box}&status=active")
        reordered = client.get(f"{CAMERAS}?status=active&in_bbox={box}")
        assert reordered["X-Cache"] == "hit"

    def test_a_new_camera_is_seen_at_once(self, client, box):
        make_camera(location=point(*inside(box, 0.2, 0.2)))
        url = f"{CAMERAS}?in_bbox={box}"
        before = client.get(url)
        added = make_camera(location=point(*inside(box, 0.8, 0.8)))
        after = client.get(url)
        assert after["X-Cache"] == "miss"
        assert body(before)["count"] == 1
        assert body(after)["count"] == 2
        assert added.pk in [feature["id"] for feature in body(after)["features"]]
        assert after["ETag"] != before["ETag"]

    def test_a_changed_camera_is_seen_at_once_in_density(self, client, box):
        camera = make_camera(location=point(*inside(box)))
        url = f"{DENSITY}?in_bbox={box}&zoom=12"
        assert body(client.get(url))["total"] == 1
        assert client.get(url)["X-Cache"] == "hit"
        Camera.objects.filter(pk=camera.pk).update(status="removed", removed_at=timezone.now())
        after = client.get(url)
        assert after["X-Cache"] == "miss"
        assert body(after)["total"] == 0

    def test_a_matching_etag_gets_304_without_a_body(self, client, box):
        make_camera(location=point(*inside(box)))
        url = f"{DENSITY}?in_bbox={box}&zoom=14"
        etag = client.get(url)["ETag"]
        revalidated = client.get(url, headers={"If-None-Match": etag})
        assert revalidated.status_code == 304
        assert revalidated.content == b""
        assert revalidated["ETag"] == etag

    def test_an_outdated_etag_gets_the_new_answer(self, client, box):
        make_camera(location=point(*inside(box, 0.3, 0.3)))
        url = f"{CAMERAS}?in_bbox={box}"
        etag = client.get(url)["ETag"]
        make_camera(location=point(*inside(box, 0.6, 0.6)))
        fresh = client.get(url, headers={"If-None-Match": etag})
        assert fresh.status_code == 200
        assert body(fresh)["count"] == 2

    def test_formats_are_cached_apart(self, client, box):
        make_camera(location=point(*inside(box)))
        url = f"{CAMERAS}?in_bbox={box}"
        geojson = client.get(url, headers={"Accept": "application/geo+json"})
        plain = client.get(url, headers={"Accept": "application/json"})
        assert geojson["Content-Type"].startswith("application/geo+json")
        assert plain["Content-Type"].startswith("application/json")
        assert plain["X-Cache"] == "miss"
        assert "Accept" in plain["Vary"]

    def test_errors_are_not_cached(self, client):
        url = f"{CAMERAS}?in_bbox=3,2,1,0"
        first = client.get(url)
        second = client.get(url)
        assert first.status_code == second.status_code == 400
        assert "in_bbox" in body(second)["errors"]
        assert "X-Cache" not in second
        assert "ETag" not in second

    def test_links_to_other_pages_name_the_host_asked(self, client, box, settings):
        settings.ALLOWED_HOSTS = ["one.example", "two.example"]
        for fx in (0.2, 0.4, 0.6):
            make_camera(location=point(*inside(box, fx, 0.5)))
        url = f"{CAMERAS}?in_bbox={box}&page_size=2"
        one = client.get(url, HTTP_HOST="one.example")
        two = client.get(url, HTTP_HOST="two.example")
        assert two["X-Cache"] == "miss"
        assert body(one)["next"].startswith("http://one.example/")
        assert body(two)["next"].startswith("http://two.example/")

    def test_with_the_cache_off_every_answer_is_computed_and_still_revalidatable(
        self, client, box, settings
    ):
        settings.API_RESPONSE_CACHE = False
        make_camera(location=point(*inside(box)))
        url = f"{CAMERAS}?in_bbox={box}"
        first = client.get(url)
        second = client.get(url)
        assert first["X-Cache"] == second["X-Cache"] == "off"
        assert second.content == first.content
        assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 304

    def test_answers_over_the_size_limit_are_not_stored(self, client, box, settings):
        settings.API_RESPONSE_CACHE_MAX_KB = 1
        for fx in (0.1, 0.3, 0.5, 0.7, 0.9):
            make_camera(location=point(*inside(box, fx, 0.5)), name="x" * 250)
        url = f"{CAMERAS}?in_bbox={box}"
        first = client.get(url)
        assert len(first.content) > 1024
        assert (first["X-Cache"], client.get(url)["X-Cache"]) == ("pass", "pass")
        small = f"{CAMERAS}?in_bbox={box}&page_size=1&operator=nobody"
        client.get(small)
        assert client.get(small)["X-Cache"] == "hit"

    def test_answers_computed_faster_than_storing_them_would_cost_are_not_stored(
        self, client, box, settings
    ):
        make_camera(location=point(*inside(box)))
        url = f"{DENSITY}?in_bbox={box}&zoom=14"
        settings.API_RESPONSE_CACHE_MIN_MS = 60_000
        first, second = client.get(url), client.get(url)
        assert (first["X-Cache"], second["X-Cache"]) == ("pass", "pass")
        assert second.content == first.content
        assert second["ETag"] == first["ETag"], "still revalidatable"
        assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
        settings.API_RESPONSE_CACHE_MIN_MS = 0
        assert client.get(url)["X-Cache"] == "miss"
        assert client.get(url)["X-Cache"] == "hit"
