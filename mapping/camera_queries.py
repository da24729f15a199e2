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

from django.db import connection
from django.db.models import QuerySet, TextField
from django.db.models.expressions import RawSQL

from mapping.bbox import BBox
from mapping.geojson_sql import feature_sql
from mapping.models import Camera, CameraStatus

ACTIVE_ONLY = (CameraStatus.ACTIVE,)


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
            described["in_bbox"] = str(self.bbox)
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


def filter_cameras(filters: CameraFilters, cameras: QuerySet | None = None) -> QuerySet:
    """The cameras matching ``filters``, without any ordering (callers choose one)."""
    cameras = Camera.objects.all() if cameras is None else cameras
    if filters.bbox is not None:
        # Exact, edges included (mapping/plane_point.py). For active cameras, what the map
        # and the API ask by default, the camera_active_position index alone answers: no
        # row is read to count the box or rank its ids.
        cameras = cameras.filter(position__inside=filters.bbox)
        if filters.statuses != ACTIVE_ONLY:
            # Other statuses are not in that index: the geometry's GiST index finds the
            # box's candidates (its float4 boxes round outwards, so it never misses one)
            # and the exact test above keeps those inside.
            cameras = cameras.filter(location__bboverlaps=filters.bbox.polygon())
    for lookup, values in (
        ("source__in", filters.sources),
        ("status__in", filters.statuses),
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
    SELECT count(*) AS total, (array_agg(m.id ORDER BY m.id))[%s + 1:%s + %s] AS page_ids
    FROM ({ids}) AS m
)
SELECT matching.total, {feature}
FROM matching LEFT JOIN "mapping_camera" ON "mapping_camera"."id" = ANY(matching.page_ids)
ORDER BY "mapping_camera"."id"
"""


# Whether a box holds at most %s cameras: a GiST index scan that stops at the first
# page_size + 1 matches (under a millisecond on a 14,000-camera viewport).
AT_MOST = "SELECT count(*) FROM ({ids} LIMIT %s) AS probe"

# A box whose cameras all fit in the first page: its features are written in the same pass
# that finds them (half the time of finding the ids, then reading their rows again). OFFSET
# 0 keeps PostgreSQL from walking the primary key in id order to serve the LIMIT, which
# would read the whole table when the box holds few cameras; the LIMIT only guards
# against cameras added since the probe.
WHOLE_BOX_PAGE = """
SELECT page.feature
FROM ({features} OFFSET 0) AS page
ORDER BY page.id
LIMIT %s
"""


def _whole_box_page(
    cameras: QuerySet, ids: tuple[str, tuple], page_size: int, with_fov: bool, only
) -> list[str] | None:
    """The features of every camera of the box when there are at most page_size, else None.

    ``ids`` is the SQL and params of the box's camera ids, compiled once by the caller.
    """
    ids_sql, params = ids
    with connection.cursor() as cursor:
        cursor.execute(AT_MOST.format(ids=ids_sql), [*params, page_size + 1])
        if cursor.fetchone()[0] > page_size:
            return None
        features = _with_feature(cameras, with_fov, (), only).values("id", "feature")
        features_sql, features_params = features.query.sql_with_params()
        cursor.execute(
            WHOLE_BOX_PAGE.format(features=features_sql), [*features_params, page_size + 1]
        )
        rows = [feature for (feature,) in cursor.fetchall()]
    return rows if len(rows) <= page_size else None


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
        if page_number == 1:
            whole = _whole_box_page(cameras, (ids_sql, params), page_size, with_fov, only)
            if whole is not None:
                return FeaturePage(whole, len(whole))
        sql = PAGE_IN_BOX.format(ids=ids_sql, feature=feature_sql(with_fov, only=only))
        with connection.cursor() as cursor:
            cursor.execute(sql, [offset, offset, page_size, *params])
            rows = cursor.fetchall()
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
