"""Which cameras a reader asked for, and their GeoJSON features built by PostgreSQL.

The list endpoint, the density cells and the exports share one notion of a
filter (``CameraFilters``) so the same query string means the same cameras
everywhere. Features are written by PostgreSQL (mapping/geojson_sql.py) because serialising
model instances one by one in Python costs about ten times more per camera;
api.serializers.CameraFeatureSerializer describes the same shape for the schema
and a test checks that both produce identical features.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import BooleanField, QuerySet, TextField
from django.db.models.expressions import RawSQL

from mapping.bbox import BBox
from mapping.geojson_sql import feature_sql
from mapping.models import Camera, CameraStatus
from mapping.prepared import fetch_prepared

ACTIVE_CONDITION = RawSQL('"mapping_camera"."status" = \'active\'', (), output_field=BooleanField())


@dataclass(frozen=True)
class CameraFilters:
    """A reader's selection of cameras; an empty tuple means "any value".

    ``capabilities`` matches cameras having at least one of the listed capabilities;
    ``operator`` is a case-insensitive substring; ``updated_since`` is inclusive.
    """

    bbox: BBox | None = None
    sources: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    surveillances: tuple[str, ...] = ()
    surveillance_types: tuple[str, ...] = ()
    camera_types: tuple[str, ...] = ()
    capabilities: tuple[str, ...] = ()
    operator: str = ""
    updated_since: datetime | None = None

    def described(self) -> dict[str, object]:
        """The filters in force, as query-string values (export metadata, docs)."""
        described: dict[str, object] = {}
        if self.bbox is not None:
            # Every digit given: str(BBox) keeps six significant ones, and a researcher
            # re-running an export from its metadata got another box (24.9109 for 24.910941).
            described["in_bbox"] = ",".join(repr(value) for value in self.bbox.as_tuple())
        for name, values in (
            ("source", self.sources),
            ("status", self.statuses),
            ("surveillance", self.surveillances),
            ("surveillance_type", self.surveillance_types),
            ("camera_type", self.camera_types),
            ("capability", self.capabilities),
        ):
            if values:
                described[name] = ",".join(values)
        if self.operator:
            described["operator"] = self.operator
        if self.updated_since is not None:
            described["updated_since"] = self.updated_since.isoformat()
        return described


def _active_only(filters: CameraFilters) -> bool:
    return set(filters.statuses) == {CameraStatus.ACTIVE}


def filter_cameras(filters: CameraFilters, cameras: QuerySet | None = None) -> QuerySet:
    """The cameras matching ``filters``, without any ordering (callers choose one)."""
    cameras = Camera.objects.all() if cameras is None else cameras
    if filters.bbox is not None:
        # Exact, edges included (mapping/plane_point.py). For active cameras, what the map
        # and the API ask by default, the camera_active_position index alone answers: no
        # row is read to count the box or rank its ids.
        cameras = cameras.filter(position__inside=filters.bbox)
        if not _active_only(filters):
            # Other statuses are not in that index: the geometry's GiST index finds the
            # box's candidates (its float4 boxes round outwards, so it never misses one)
            # and the exact test above keeps those inside.
            cameras = cameras.filter(location__bboverlaps=filters.bbox.polygon())
    if _active_only(filters):
        # A constant, not a parameter: a prepared page statement's generic plan (a pooler may
        # force those) can then still be proven to match the partial position index.
        cameras = cameras.filter(ACTIVE_CONDITION)
    for lookup, values in (
        ("source__in", filters.sources),
        ("status__in", () if _active_only(filters) else filters.statuses),
        ("surveillance__in", filters.surveillances),
        ("surveillance_type__in", filters.surveillance_types),
        ("camera_type__in", filters.camera_types),
        ("capabilities__overlap", filters.capabilities),
    ):
        if values:
            cameras = cameras.filter(**{lookup: list(values)})
    if filters.operator:
        cameras = cameras.filter(operator__icontains=filters.operator)
    if filters.updated_since is not None:
        cameras = cameras.filter(updated_at__gte=filters.updated_since)
    return cameras.order_by()


# --- Features built by PostgreSQL (mapping/geojson_sql.py) --------------------------------


def with_features(
    cameras: QuerySet,
    with_fov: bool = False,
    extra_properties: tuple[tuple[str, str], ...] = (),
    only: frozenset[str] | None = None,
):
    """The cameras as a values list of GeoJSON Feature texts, one per camera."""
    annotated = _with_feature(cameras, with_fov, extra_properties, only)
    return annotated.values_list("feature", flat=True)


def _with_feature(cameras: QuerySet, with_fov: bool, extra_properties, only) -> QuerySet:
    """The cameras annotated with ``feature``, their GeoJSON Feature text."""
    # Constant SQL from this module's own fragments: no request data reaches it (``only``
    # selects among them, by name).
    sql = feature_sql(with_fov, extra_properties, only)
    return cameras.annotate(feature=RawSQL(sql, (), output_field=TextField()))  # noqa: S611


@dataclass(frozen=True)
class FeaturePage:
    """One page of features and the total number of matching cameras."""

    features: list[str]
    count: int


# Inside a box, one index-only pass over the position index (mapping/plane_point.py) both
# counts the matching cameras and keeps the page's ids (a sorted array of every matching
# id, sliced): faster than a materialised list read twice or a window over every row. Only
# the page's rows are then read from the table, to write their features. Always one row at
# least: (count, NULL) when the page is empty.
PAGE_IN_BOX = """
WITH matching AS (
    SELECT count(*) AS total, (array_agg(m.id ORDER BY m.id))[%s::int:%s::int] AS page_ids
    FROM ({ids}) AS m
)
SELECT matching.total, {feature}
FROM matching LEFT JOIN "mapping_camera" ON "mapping_camera"."id" = ANY(matching.page_ids)
ORDER BY "mapping_camera"."id"
"""


# Pages of at least this many cameras (the map asks for 5,000) start with FIRST_PAGE_IN_BOX;
# smaller ones (the API's default of 500) go straight to PAGE_IN_BOX. Measured on the
# benchmark sets: at 500 a page, the probe and the second copy of the feature expression
# cost more than reading the page's rows by id (city viewports 1.2 ms and the Helsinki box
# 0.7 ms faster without them); at 5,000 a page, a box of 500-5,000 cameras read by id took
# 16.5 ms instead of 10.6.
PROBED_PAGE_SIZE = 1000

# The first page of a box, in one statement (one snapshot, one round trip). A probe stops
# at the first page_size + 1 matching ids (an index-only scan, under a millisecond on a
# 14,000-camera viewport) and decides, once and before any row is read, which branch runs:
# - a box whose cameras all fit in the page gets its features in the same pass that finds
#   them (half the time of finding the ids, then reading their rows again; OFFSET 0 keeps
#   PostgreSQL from walking the primary key in id order, which would read the whole table
#   when the box holds few cameras);
# - a larger box is counted and paged as PAGE_IN_BOX does.
# Columns: the count, the feature, the id; no row at all for an empty box.
FIRST_PAGE_IN_BOX = """
WITH probe AS MATERIALIZED (
    SELECT count(*) AS n FROM ({ids} LIMIT %s::int) AS p
), matching AS MATERIALIZED (
    SELECT count(*) AS total, (array_agg(m.id ORDER BY m.id))[1:%s::int] AS page_ids
    FROM ({ids}) AS m
    WHERE (SELECT n FROM probe) > %s::int
)
SELECT (SELECT n FROM probe), page.feature, page.id
FROM ({features} OFFSET 0) AS page
WHERE (SELECT n FROM probe) <= %s::int
UNION ALL
SELECT matching.total, {feature}, "mapping_camera"."id"
FROM matching JOIN "mapping_camera" ON "mapping_camera"."id" = ANY(matching.page_ids)
ORDER BY 3
"""


# Array subscripts are PostgreSQL integers; a page further than that is past any real box.
LAST_SUBSCRIPT = 2**31 - 1


def _slice_bounds(offset: int, page_size: int) -> tuple[int, int]:
    """The page's first and last positions in the box's sorted ids (1-based, inclusive)."""
    return min(offset + 1, LAST_SUBSCRIPT), min(offset + page_size, LAST_SUBSCRIPT)


def _first_page_in_box(
    cameras: QuerySet, ids: tuple[str, tuple], page_size: int, with_fov: bool, only
) -> FeaturePage:
    """Page 1 of the cameras of a box (``ids``: the SQL and params of their ids)."""
    ids_sql, params = ids
    features = _with_feature(cameras, with_fov, (), only).values("id", "feature")
    features_sql, features_params = features.query.sql_with_params()
    sql = FIRST_PAGE_IN_BOX.format(
        ids=ids_sql, features=features_sql, feature=feature_sql(with_fov, only=only)
    )
    arguments = [*params, page_size + 1, page_size, *params, page_size]
    arguments += [*features_params, page_size]
    # Prepared to skip parsing the long feature SQL; PostgreSQL still plans it for each
    # request's values (custom plans), as the partial position index requires.
    rows = fetch_prepared(sql, arguments)
    return FeaturePage([feature for _, feature, _ in rows], rows[0][0] if rows else 0)


def feature_page(
    filters: CameraFilters,
    page_number: int,
    page_size: int,
    with_fov: bool = False,
    only: frozenset[str] | None = None,
) -> FeaturePage:
    """Features of page ``page_number`` (1-based) of the filtered cameras, ordered by id;
    ``only`` names the properties to write (None: all).

    Ordered by id because pages are cut with OFFSET/LIMIT: without a total order the
    database may return rows in any order and a camera could appear on two pages or
    on none.
    """
    cameras = filter_cameras(filters)
    offset = (page_number - 1) * page_size
    if filters.bbox is not None:
        ids_sql, params = cameras.values("id").query.sql_with_params()
        if page_number == 1 and page_size >= PROBED_PAGE_SIZE:
            return _first_page_in_box(cameras, (ids_sql, params), page_size, with_fov, only)
        sql = PAGE_IN_BOX.format(ids=ids_sql, feature=feature_sql(with_fov, only=only))
        rows = fetch_prepared(sql, [*_slice_bounds(offset, page_size), *params])
        return FeaturePage([feature for _, feature in rows if feature is not None], rows[0][0])
    # Without a box (a whole-table walk), the primary key index gives the page directly;
    # one extra row says whether another page follows, so COUNT runs only when it does.
    features = with_features(cameras.order_by("id"), with_fov, only=only)
    rows = list(features[offset : offset + page_size + 1])
    if page_number == 1 and len(rows) <= page_size:
        return FeaturePage(rows, len(rows))
    return FeaturePage(rows[:page_size], cameras.count())


def features_json(features: list[str]) -> str:
    """A JSON array from feature texts PostgreSQL already encoded."""
    return "[" + ",".join(features) + "]"
