"""POST /api/submissions/: residents report cameras; nothing about them is kept."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.core.cache import cache
from django.db import connection
from PIL import Image

from mapping.models import CameraPhoto, Submission
from tests.factories import make_building, make_camera, make_segment, point
from tests.submissions import images

pytestmark = pytest.mark.django_db

URL = "/api/submissions/"
LON, LAT = 2.3522, 48.8566  # the factories' empty test area (Paris)
CLIENT_ADDRESS = "203.0.113.77"  # TEST-NET-3: must never be stored or logged


def post(client, **fields):
    return client.post(URL, fields, format="multipart", REMOTE_ADDR=CLIENT_ADDRESS)


def new_camera(client, lon=LON, lat=LAT, attributes=None, **fields):
    fields.setdefault("kind", "new")
    fields.setdefault("location", f"{lon},{lat}")
    if attributes is not None:
        fields["attributes"] = json.dumps(attributes)
    return post(client, **fields)


def counts() -> tuple[int, int]:
    return Submission.objects.count(), CameraPhoto.objects.count()


def test_a_resident_posts_a_camera_with_a_photo_and_sees_it_pending(anonymous_client, settings):
    response = new_camera(
        anonymous_client,
        attributes={"camera:type": "dome", "camera:mount": "wall", "height": "4 m"},
        note="Above the bakery door",
        pseudonym="Mouette",
        photos=[images.upload(images.phone_jpeg())],
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending"
    assert body["kind"] == "new"
    assert body["location"] == {"type": "Point", "coordinates": [LON, LAT]}
    assert body["attributes"] == {"camera_type": "dome", "mount": "wall", "height": 4.0}
    assert body["pseudonym"] == "Mouette"
    assert len(body["photos"]) == 1
    photo = body["photos"][0]
    assert photo["url"].startswith("http://testserver/media/photos/")
    assert photo["thumbnail_url"].startswith("http://testserver/media/thumbnails/")
    assert (photo["width"], photo["height"]) == (80, 120)

    stored = Submission.objects.get(pk=body["id"])
    assert stored.status == "pending" and stored.note == "Above the bakery door"
    row = stored.photos.get()
    assert_stored_file_is_clean(settings.MEDIA_ROOT / row.image.name)
    assert_stored_file_is_clean(settings.MEDIA_ROOT / row.thumbnail.name)


def assert_stored_file_is_clean(path) -> None:
    data = path.read_bytes()
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert not [key for key in images.METADATA_INFO_KEYS if key in image.info]
    assert dict(image.getexif()) == {}
    assert b"SpyPhone" not in data and b"Exif" not in data and images.COMMENT not in data


def test_stored_photo_names_are_random_and_reveal_nothing(anonymous_client):
    response = new_camera(
        anonymous_client,
        photos=[images.upload(images.phone_jpeg(), name="alice-home.jpg") for _ in range(2)],
    )
    assert response.status_code == 201, response.json()
    urls = [p["url"] for p in response.json()["photos"]] + [
        p["thumbnail_url"] for p in response.json()["photos"]
    ]
    names = [url.rsplit("/", 1)[1] for url in urls]
    assert len(set(names)) == 4
    assert all(len(name) == len("0" * 32 + ".jpg") and "alice" not in name for name in names)


def test_the_photo_gps_is_suggested_but_never_stored(anonymous_client):
    response = new_camera(anonymous_client, photos=[images.upload(images.phone_jpeg())])
    assert response.status_code == 201, response.json()
    suggested = response.json()["suggested_location"]
    assert suggested["type"] == "Point"
    assert suggested["coordinates"] == pytest.approx(images.GPS_LON_LAT, abs=1e-6)

    stored = Submission.objects.get(pk=response.json()["id"])
    assert (stored.location.x, stored.location.y) == (LON, LAT)  # what the resident chose
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT row_to_json(s)::text FROM mapping_submission s WHERE id = %s", [stored.pk]
        )
        (row_text,) = cursor.fetchone()
    assert "24.95" not in row_text and "60.169" not in row_text


def test_the_client_address_is_kept_nowhere(anonymous_client, caplog):
    with caplog.at_level(logging.DEBUG):
        ok = new_camera(anonymous_client, photos=[images.upload(images.phone_jpeg())])
        refused = new_camera(anonymous_client, location="nowhere")
    assert ok.status_code == 201 and refused.status_code == 400
    with connection.cursor() as cursor:
        for table in ("mapping_submission", "mapping_cameraphoto"):
            cursor.execute(
                f"SELECT coalesce(string_agg(row_to_json(t)::text, ''), '') FROM {table} t"
            )
            assert CLIENT_ADDRESS not in cursor.fetchone()[0]
    assert CLIENT_ADDRESS not in caplog.text
    # The throttle counter exists, under a hashed key that does not contain the address.
    keys = list(cache._cache.keys())  # LocMemCache internals: the only place to look
    assert any("throttle_submissions_" in key for key in keys)
    assert not any(CLIENT_ADDRESS in key for key in keys)


def test_json_bodies_are_accepted_too(anonymous_client):
    response = anonymous_client.post(
        URL,
        {
            "kind": "new",
            "location": {"type": "Point", "coordinates": [LON, LAT]},
            "attributes": {"directions": [90, "SW"], "surveillance:type": "ANPR"},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["attributes"] == {
        "surveillance_type": "alpr",
        "directions": [90.0, 225.0],
    }
    assert response.json()["suggested_location"] is None


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"kind": "new"}, "location", "a new camera needs a location"),
        ({"kind": "new", "location": "48.85"}, "location", "LON,LAT"),
        ({"kind": "new", "location": "200,48"}, "location", "within -180..180"),
        ({"kind": "new", "location": "nan,48"}, "location", "within -180..180"),
        ({"kind": "sighting", "location": "2.35,48.85"}, "kind", "not a valid choice"),
        ({"kind": "confirm"}, "camera", "needs a camera id"),
        ({"kind": "removed", "camera": "999999999"}, "camera", "does not exist"),
        (
            {"kind": "new", "location": "2.35,48.85", "attributes": "{not json"},
            "attributes",
            "valid JSON",
        ),
        (
            {"kind": "new", "location": "2.35,48.85", "attributes": '{"camera:type": "round"}'},
            "attributes",
            "camera:type: 'round' is not accepted: one of fixed, dome, panning",
        ),
        (
            {"kind": "new", "location": "2.35,48.85", "attributes": '{"colour": "grey"}'},
            "attributes",
            "colour: unknown attribute",
        ),
        (
            {"kind": "new", "location": "2.35,48.85", "attributes": '["dome"]'},
            "attributes",
            "must be an object",
        ),
        ({"kind": "new", "location": "2.35,48.85", "pseudonym": "x" * 65}, "pseudonym", "64"),
        (  # PostgreSQL's JSONB cannot hold NUL: refused, not a server error
            {"kind": "new", "location": "2.35,48.85", "attributes": '{"operator": "a\\u0000b"}'},
            "attributes",
            "operator: must not contain NUL characters",
        ),
        ({"kind": "new", "location": "2.35,48.85", "photos": "not-a-file"}, "photos", "photo 1: "),
    ],
)
def test_bad_submissions_get_a_field_level_json_error(anonymous_client, fields, field, message):
    before = counts()
    response = post(anonymous_client, **fields)
    assert response.status_code == 400
    body = response.json()
    assert field in body["errors"], body
    assert message in " ".join(body["errors"][field]), body
    assert body["detail"].startswith(f"{field}: ")
    assert counts() == before


def test_change_confirm_and_removed_need_an_active_camera(anonymous_client):
    camera = make_camera(status="removed", removed_at="2024-01-01T00:00:00Z")
    response = post(anonymous_client, kind="confirm", camera=camera.pk)
    assert response.status_code == 400
    assert "already marked removed" in response.json()["errors"]["camera"][0]
    active = make_camera()
    nothing = post(anonymous_client, kind="change", camera=active.pk)
    assert nothing.status_code == 400
    assert "needs new attributes or a new location" in nothing.json()["errors"]["attributes"][0]
    confirm_with_data = post(
        anonymous_client, kind="confirm", camera=active.pk, attributes='{"height": 3}'
    )
    assert confirm_with_data.status_code == 400
    assert "kind=change" in confirm_with_data.json()["errors"]["attributes"][0]


def test_a_confirmation_with_a_photo_is_stored(anonymous_client):
    camera = make_camera()
    response = post(
        anonymous_client,
        kind="confirm",
        camera=camera.pk,
        photos=[images.upload(images.phone_png(), "still.png", "image/png")],
    )
    assert response.status_code == 201, response.json()
    assert response.json()["camera"] == camera.pk
    assert Submission.objects.get(pk=response.json()["id"]).photos.count() == 1


HOSTILE_UPLOADS = {
    "text named .jpg": (b"I am not a photo\n" * 20, "not a JPEG, PNG"),
    "svg named .jpg": (images.SVG, "not a JPEG, PNG"),
    "truncated jpeg": (images.truncated_jpeg(), "damaged or incomplete"),
    "decompression bomb": (images.decompression_bomb(), "more than 40 million pixels"),
}


@pytest.mark.parametrize(("data", "message"), HOSTILE_UPLOADS.values(), ids=HOSTILE_UPLOADS.keys())
def test_a_hostile_photo_refuses_the_whole_submission_and_leaves_nothing(
    anonymous_client, settings, data, message
):
    before = counts()
    response = new_camera(
        anonymous_client,
        photos=[images.upload(images.phone_jpeg(), "good.jpg"), images.upload(data, "evil.jpg")],
    )
    assert response.status_code == 400
    body = response.json()
    assert len(body["errors"]["photos"]) == 1
    assert body["errors"]["photos"][0].startswith("photo 2 (evil.jpg): ")
    assert message in body["errors"]["photos"][0]
    assert counts() == before
    assert images.files_under(settings.MEDIA_ROOT) == []


def test_a_polyglot_is_stored_neutralised(anonymous_client, settings):
    response = new_camera(anonymous_client, photos=[images.upload(images.polyglot_jpeg())])
    assert response.status_code == 201, response.json()
    for path in images.files_under(settings.MEDIA_ROOT):
        data = path.read_bytes()
        assert b"POLYGLOT" not in data and b"PK\x03\x04" not in data
        assert data.endswith(b"\xff\xd9")


def test_too_many_photos_are_refused(anonymous_client, settings):
    settings.PHOTO_MAX_COUNT = 2
    response = new_camera(
        anonymous_client, photos=[images.upload(images.phone_jpeg()) for _ in range(3)]
    )
    assert response.status_code == 400
    assert response.json()["errors"]["photos"] == ["at most 2 photos per submission"]
    assert images.files_under(settings.MEDIA_ROOT) == []


def test_a_database_failure_while_storing_deletes_the_written_files(
    anonymous_client, settings, monkeypatch
):
    """If the transaction fails after photo files were written, they are removed again."""
    from mapping import photos as photo_module

    real_store = photo_module.store_photos

    def store_then_fail(photos, written, **owner):
        real_store(photos, written, **owner)
        assert len(images.files_under(settings.MEDIA_ROOT)) == 2  # written, not yet committed
        raise RuntimeError("disk full while writing the row")

    monkeypatch.setattr("mapping.submissions.store_photos", store_then_fail)
    before = counts()
    with pytest.raises(RuntimeError):
        new_camera(anonymous_client, photos=[images.upload(images.phone_jpeg())])
    assert counts() == before
    assert images.files_under(settings.MEDIA_ROOT) == []


# --- Quality: duplicates and plausibility -----------------------------------------------------


def warning_codes(response) -> list[str]:
    return [warning["code"] for warning in response.json()["warnings"]]


def test_a_new_camera_near_existing_ones_is_flagged_with_the_candidates(anonymous_client):
    # 0.0001 degree of latitude is about 11 m; 0.0003 is about 33 m.
    near = make_camera(location=f"SRID=4326;POINT({LON} {LAT + 0.0001})")
    nearest = make_camera(location=f"SRID=4326;POINT({LON} {LAT + 0.00002})")
    make_camera(location=f"SRID=4326;POINT({LON} {LAT + 0.0003})")  # too far
    make_camera(
        location=f"SRID=4326;POINT({LON} {LAT})", status="removed", removed_at="2024-01-01T00:00Z"
    )
    response = new_camera(anonymous_client)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["duplicate_candidates"] == [nearest.pk, near.pk]
    duplicate = next(w for w in body["warnings"] if w["code"] == "possible_duplicate")
    assert duplicate["cameras"] == [nearest.pk, near.pk]
    assert "15 m" in duplicate["message"]
    assert Submission.objects.get(pk=body["id"]).duplicate_candidates == [nearest.pk, near.pk]


def test_the_duplicate_radius_is_a_setting(anonymous_client, settings):
    make_camera(location=f"SRID=4326;POINT({LON} {LAT + 0.0003})")  # about 33 m away
    assert "possible_duplicate" not in warning_codes(new_camera(anonymous_client))
    settings.SUBMISSION_DUPLICATE_RADIUS_M = 40
    assert "possible_duplicate" in warning_codes(new_camera(anonymous_client))


def test_a_lone_new_camera_has_no_duplicate_warning(anonymous_client):
    response = new_camera(anonymous_client, lon=LON + 0.01)
    assert response.status_code == 201
    assert response.json()["duplicate_candidates"] == []
    assert warning_codes(response) == []


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"camera:type": "fixed"}, ["fixed_without_direction"]),
        ({"camera:type": "fixed", "camera:direction": "90"}, []),
        ({"camera:type": "dome"}, []),
        ({"height": "0.5"}, ["height_out_of_range"]),
        ({"height": "45"}, ["height_out_of_range"]),
        ({"height": "6"}, []),
    ],
)
def test_plausibility_warnings(anonymous_client, attributes, expected):
    response = new_camera(anonymous_client, lon=LON + 0.02, attributes=attributes)
    assert response.status_code == 201, response.json()
    assert warning_codes(response) == expected


def test_a_height_beyond_the_database_limit_is_an_error_not_a_warning(anonymous_client):
    response = new_camera(anonymous_client, attributes={"height": "400"})
    assert response.status_code == 400
    assert "height" in response.json()["errors"]["attributes"][0]


def test_an_indoor_camera_on_a_street_is_questioned(anonymous_client):
    lon, lat = LON + 0.03, LAT
    make_segment(
        [(lon - 0.001, lat), (lon + 0.001, lat)], source=1, target=2, highway="residential"
    )
    on_street = new_camera(
        anonymous_client, lon=lon, lat=lat, attributes={"surveillance": "indoor"}
    )
    assert warning_codes(on_street) == ["indoor_on_street"]
    # About 20 m from the street: no warning.
    away = new_camera(
        anonymous_client, lon=lon, lat=lat + 0.0002, attributes={"surveillance": "indoor"}
    )
    assert warning_codes(away) == []
    # Outdoor on the street is what streets are for.
    outdoor = new_camera(anonymous_client, lon=lon, lat=lat, attributes={"surveillance": "outdoor"})
    assert warning_codes(outdoor) == []


def test_an_indoor_camera_inside_a_building_by_a_street_is_fine(anonymous_client):
    lon, lat = LON + 0.04, LAT
    make_segment([(lon - 0.001, lat), (lon + 0.001, lat)], source=3, target=4)
    make_building(lon, lat, half_side_deg=0.00005)
    response = new_camera(anonymous_client, lon=lon, lat=lat, attributes={"surveillance": "indoor"})
    assert warning_codes(response) == []


def test_a_change_is_checked_against_the_camera_it_would_produce(anonymous_client):
    camera = make_camera(camera_type="dome", location=f"SRID=4326;POINT({LON + 0.05} {LAT})")
    response = post(
        anonymous_client, kind="change", camera=camera.pk, attributes='{"camera:type": "fixed"}'
    )
    assert response.status_code == 201, response.json()
    assert warning_codes(response) == ["fixed_without_direction"]
    assert response.json()["duplicate_candidates"] == []  # a change is not a duplicate


# --- Throttling -------------------------------------------------------------------------------


def limit_submissions(settings, rate: str) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "submissions": rate,
        },
    }


def test_anonymous_submissions_are_throttled_per_client(anonymous_client, settings):
    limit_submissions(settings, "2/hour")
    before = Submission.objects.count()
    statuses = [new_camera(anonymous_client, lon=LON + 0.06).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    refused = new_camera(anonymous_client, lon=LON + 0.06)
    assert refused.status_code == 429
    assert "throttled" in refused.json()["detail"].lower()
    assert "Retry-After" in refused.headers
    # Another client is not affected, and a forged X-Forwarded-For does not make a new client.
    other = anonymous_client.post(
        URL, {"kind": "new", "location": f"{LON},{LAT}"}, REMOTE_ADDR="198.51.100.9"
    )
    assert other.status_code == 201
    forged = anonymous_client.post(
        URL,
        {"kind": "new", "location": f"{LON},{LAT}"},
        REMOTE_ADDR=CLIENT_ADDRESS,
        HTTP_X_FORWARDED_FOR="192.0.2.1",
    )
    assert forged.status_code == 429
    assert Submission.objects.count() == before + 3  # refused requests store nothing


def test_signed_in_residents_are_throttled_by_account(plain_client, settings):
    limit_submissions(settings, "1/hour")
    first = new_camera(plain_client, lon=LON + 0.07)
    second = new_camera(plain_client, lon=LON + 0.07)
    assert (first.status_code, second.status_code) == (201, 429)


@pytest.mark.parametrize(
    ("address", "bucket"),
    [
        ("203.0.113.77", "203.0.113.77"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.77", "203.0.113.77"),
        ("not an address", "not an address"),
        ("", "unknown"),
        (None, "unknown"),
    ],
)
def test_clients_are_counted_by_address_or_ipv6_64(address, bucket):
    from api.submissions import client_bucket

    assert client_bucket(address) == bucket


def test_one_ipv6_household_cannot_rotate_addresses_past_the_throttle(anonymous_client, settings):
    limit_submissions(settings, "1/hour")
    first = anonymous_client.post(
        URL, {"kind": "new", "location": f"{LON},{LAT}"}, REMOTE_ADDR="2001:db8:5:6::1"
    )
    second = anonymous_client.post(
        URL, {"kind": "new", "location": f"{LON},{LAT}"}, REMOTE_ADDR="2001:db8:5:6::2"
    )
    assert (first.status_code, second.status_code) == (201, 429)


def test_a_request_bigger_than_its_photos_may_be_is_refused_unread(anonymous_client, settings):
    settings.PHOTO_MAX_COUNT = 1
    settings.PHOTO_MAX_BYTES = 1024
    big = images.encode(Image.effect_noise((1500, 1000), 80).convert("RGB"), "PNG")
    assert len(big) > 1024 * 1024 + 1024
    before = counts()
    response = new_camera(anonymous_client, photos=[images.upload(big, "big.png", "image/png")])
    assert response.status_code == 413
    assert response.json()["detail"].startswith("the request is larger than 1 MB")
    assert counts() == before
    assert images.files_under(settings.MEDIA_ROOT) == []


@pytest.mark.parametrize(("dlat", "flagged"), [(0.0003, False), (0.01, True)])
def test_a_change_moving_a_camera_far_is_flagged_for_the_moderators(
    anonymous_client, dlat, flagged
):
    """Moving a camera across town went through with no warning at all (about 33 m is a
    correction; 1.1 km is another camera or a mistake)."""
    camera = make_camera(location=point(LON, LAT - 0.03))
    response = post(
        anonymous_client, kind="change", camera=camera.pk, location=f"{LON},{LAT - 0.03 + dlat}"
    )
    assert response.status_code == 201, response.json()
    moved = [w for w in response.json()["warnings"] if w["code"] == "moved_far"]
    assert bool(moved) is flagged
    if flagged:
        assert 1100 <= moved[0]["metres"] <= 1125
        assert "1,11" in moved[0]["message"]
