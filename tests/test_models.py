"""Database constraints reject bad rows whatever code writes them."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from mapping.models import Camera, CameraPhoto, Submission
from tests.factories import make_camera, make_segment, point

pytestmark = pytest.mark.django_db


def assert_rejected(**fields) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make_camera(**fields)


def test_a_valid_camera_is_stored_with_its_location():
    camera = make_camera(directions=[0.0, 359.5], height=6.0, tilt=20.0, capabilities=["vsa"])
    stored = Camera.objects.get(pk=camera.pk)
    assert stored.location.srid == 4326
    assert stored.directions == [0.0, 359.5]
    assert stored.capabilities == ["vsa"]


def test_same_osm_identity_twice_is_rejected():
    make_camera(osm_type="node", osm_id=42)
    assert_rejected(osm_type="node", osm_id=42)


def test_same_osm_id_with_another_type_is_allowed():
    make_camera(osm_type="node", osm_id=43)
    make_camera(osm_type="way", osm_id=43)
    assert Camera.objects.filter(osm_id=43).count() == 2


def test_community_cameras_need_no_osm_identity():
    camera = make_camera(source="community")
    assert camera.osm_id is None


def test_osm_camera_without_identity_is_rejected():
    assert_rejected(source="osm", osm_type=None, osm_id=None)


@pytest.mark.parametrize("directions", [[360.0], [-1.0], [90.0, 400.0]])
def test_direction_outside_0_360_is_rejected(directions):
    assert_rejected(directions=directions)


@pytest.mark.parametrize("height", [0.0, -3.0, 301.0])
def test_implausible_height_is_rejected(height):
    assert_rejected(height=height)


@pytest.mark.parametrize("tilt", [-91.0, 95.0])
def test_tilt_beyond_vertical_is_rejected(tilt):
    assert_rejected(tilt=tilt)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "gone"),
        ("source", "twitter"),
        ("surveillance", "everywhere"),
        ("surveillance_type", "drone"),
        ("camera_type", "spherical"),
    ],
)
def test_unknown_choice_is_rejected(field, value):
    assert_rejected(**{field: value})


def test_unknown_capability_is_rejected():
    assert_rejected(capabilities=["mind_reading"])


def test_removed_camera_needs_a_removal_date():
    assert_rejected(status="removed", removed_at=None)
    camera = make_camera(status="removed", removed_at=timezone.now())
    assert camera.status == "removed"


def test_new_submission_without_location_is_rejected():
    with pytest.raises(IntegrityError), transaction.atomic():
        Submission.objects.create(kind="new", location=None)
    assert Submission.objects.create(kind="new", location=point()).pk


def test_photo_must_belong_to_a_camera_or_submission():
    from django.db import connection

    table = CameraPhoto._meta.db_table
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"insert into {table} (image, thumbnail, width, height, created_at)"
            " values ('photos/a.jpg', 'thumbnails/a.jpg', 1, 1, now())"
        )


def test_segment_exposure_cannot_exceed_its_length():
    coords = [(2.3500, 48.8500), (2.3510, 48.8500)]  # 0.001 degree east at 48.85 N: ~73 m
    segment = make_segment(coords, 1, 2)
    assert 70 < segment.length_m < 76
    with pytest.raises(IntegrityError), transaction.atomic():
        make_segment(coords, 1, 2, exposed_m=segment.length_m + 10)


def test_every_geometry_column_has_a_gist_index(django_db_setup):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            select c.relname, a.attname
            from pg_attribute a
            join pg_class c on c.oid = a.attrelid
            join pg_namespace n on n.oid = c.relnamespace
            where a.atttypid = 'geometry'::regtype and c.relkind = 'r'
              and n.nspname = 'public' and c.relname like 'mapping_%%'
              and not exists (
                select 1 from pg_index i join pg_class ic on ic.oid = i.indexrelid
                join pg_am am on am.oid = ic.relam
                where i.indrelid = c.oid and a.attnum = any(i.indkey) and am.amname = 'gist')
            """
        )
        assert cursor.fetchall() == []


def test_test_database_has_postgis_and_pgrouting():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("select extname from pg_extension order by extname")
        names = {row[0] for row in cursor.fetchall()}
    assert {"postgis", "pgrouting"} <= names


def test_the_position_is_generated_from_the_geometry_exactly(db):
    from django.contrib.gis.geos import Point

    from mapping.models import Camera
    from tests.factories import make_camera

    camera = make_camera(location=Point(179.99999987, -84.12345678901, srid=4326))
    assert Camera.objects.get(pk=camera.pk).position == (179.99999987, -84.12345678901)
    Camera.objects.filter(pk=camera.pk).update(location=Point(2.35, 48.85, srid=4326))
    assert Camera.objects.get(pk=camera.pk).position == (2.35, 48.85)


def test_boxes_of_active_cameras_are_counted_and_paged_from_the_position_index_alone(db):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'camera_active_position'")
        (definition,) = cursor.fetchone()
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT count(*), array_agg(id ORDER BY id) FROM mapping_camera"
            " WHERE status IN ('active') AND position <@ box(point(2.3, 48.8), point(2.4, 48.9))"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert 'gist ("position") INCLUDE (id) WHERE' in definition
    assert "'active'" in definition
    assert "Index Only Scan using camera_active_position" in plan
    # The partial index's condition is the query's: nothing is left to test per entry.
    assert "Filter" not in plan


def test_only_the_fields_of_view_there_are_get_indexed():
    # GeoDjango drops the condition of an index on a geometry named in fields: the model
    # names it as an expression. Should that change, this index would cover every camera.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index AS i"
            " JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
            " WHERE i.indrelid = 'mapping_camera'::regclass AND a.attname = 'fov'"
        )
        definitions = [definition for (definition,) in cursor.fetchall()]

    assert definitions == [
        "CREATE INDEX camera_fov ON public.mapping_camera USING gist (fov) WHERE (fov IS NOT NULL)"
    ]
