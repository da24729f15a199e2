"""Fields of view of cameras, stored in Camera.fov, computed set-based in PostGIS.

Python decides what each camera's lenses cover before occlusion (the pure rules of
mapping.fov_geometry) and sends every lens of every camera as a few arrays; one SQL
statement then does the geometry for all of them at once:

1. each camera gets a local metric frame: metres east/north of it, a linear scaling
   of longitude/latitude (ST_Affine), so bearings stay true and no PROJ call is needed;
2. the buildings within reach are merged into one "walls" geometry per camera;
3. a camera on or just inside a wall (within FOV_WALL_TOLERANCE_M) looks from the
   nearest point of the wall, so it sees away from its own facade; one deeper inside
   a building sees nothing outdoors;
4. each wall edge is solved, with plain arithmetic, against just the rays whose bearings
   it spans; the nearest crossing stops a ray (no geometry call per ray);
5. the ray ends make a star-shaped polygon per lens (the viewpoint is the apex of a
   sector), minus the walls, so a camera on a wall does not see into its own building;
6. the lenses are merged, simplified within FOV_SIMPLIFY_M and scaled back to
   longitude/latitude.

Occlusion is exact along rays and interpolated between neighbours, which are at most
FOV_RAY_SPACING_M apart at full reach.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction

from mapping.fov_geometry import (
    CameraSpec,
    FovParameters,
    metres_per_degree,
    outline_ray_count,
    ray_count,
    views_for,
)

COMPUTE_FIELDS_OF_VIEW = """
WITH lens AS (
    SELECT *, sweep_deg / rays AS step_deg,
           CASE WHEN is_disc THEN rays - 1 ELSE rays END AS last_ray
    FROM unnest(%(lens_camera)s::bigint[], %(lens_no)s::int[], %(lens_start)s::float8[],
                %(lens_sweep)s::float8[], %(lens_rays)s::int[], %(lens_open_rays)s::int[],
                %(lens_reach)s::float8[], %(lens_disc)s::bool[])
         AS l(camera_id, view_no, start_deg, sweep_deg, rays, open_rays, reach_m, is_disc)
),
framed AS (
    -- The camera's position comes with its lenses (read once by build_lens_batch): joining
    -- the camera table again cost an index probe per camera.
    SELECT l.camera_id, l.max_reach_m, k.lon0, k.lat0, k.k_lon, k.k_lat,
           ST_SetSRID(ST_MakePoint(k.lon0, k.lat0), 4326) AS location
    FROM (SELECT camera_id, max(reach_m) AS max_reach_m FROM lens GROUP BY camera_id) AS l
    JOIN unnest(%(frame_camera)s::bigint[], %(frame_lon)s::float8[], %(frame_lat)s::float8[],
                %(frame_k_lon)s::float8[], %(frame_k_lat)s::float8[])
         AS k(camera_id, lon0, lat0, k_lon, k_lat) USING (camera_id)
),
walls AS (
    SELECT fr.camera_id,
           ST_CollectionExtract(ST_Union(ST_Intersection(
               ST_Affine(ST_SetSRID(b.geom, 0), fr.k_lon, 0, 0, fr.k_lat,
                         -fr.lon0 * fr.k_lon, -fr.lat0 * fr.k_lat),
               ST_MakeEnvelope(-fr.max_reach_m - 1, -fr.max_reach_m - 1,
                               fr.max_reach_m + 1, fr.max_reach_m + 1))), 3) AS geom
    FROM framed fr
    JOIN mapping_building b
      ON b.geom && ST_Expand(fr.location, (fr.max_reach_m + 1) / fr.k_lon,
                             (fr.max_reach_m + 1) / fr.k_lat)
    GROUP BY fr.camera_id
),
placed AS (
    SELECT fr.camera_id, w.geom AS walls,
           COALESCE(ST_Intersects(w.geom, ST_MakePoint(0, 0)), false) AS inside,
           ST_Distance(ST_Boundary(w.geom), ST_MakePoint(0, 0)) AS wall_distance_m
    FROM framed fr LEFT JOIN walls w USING (camera_id)
),
viewpoint AS MATERIALIZED (
    -- On (or just inside) a wall: look from the wall. Deep inside: no outdoor view.
    SELECT camera_id, walls, ST_X(vp) AS vx, ST_Y(vp) AS vy
    FROM (
        SELECT camera_id, walls, inside, wall_distance_m,
               CASE WHEN wall_distance_m <= %(wall_tolerance_m)s
                    THEN ST_ClosestPoint(ST_Boundary(walls), ST_MakePoint(0, 0))
                    ELSE ST_MakePoint(0, 0) END AS vp
        FROM placed
    ) AS moved
    WHERE NOT (inside AND wall_distance_m > %(wall_tolerance_m)s)
),
edge AS MATERIALIZED (
    -- Wall edges relative to the viewpoint, with the bearings of their two ends.
    SELECT camera_id, x1, y1, x2 - x1 AS ex, y2 - y1 AS ey,
           degrees(atan2(x1, y1)) AS b1, degrees(atan2(x2, y2)) AS b2
    FROM (
        SELECT v.camera_id,
               ST_X(ST_StartPoint(d.geom)) - v.vx AS x1, ST_Y(ST_StartPoint(d.geom)) - v.vy AS y1,
               ST_X(ST_EndPoint(d.geom)) - v.vx AS x2, ST_Y(ST_EndPoint(d.geom)) - v.vy AS y2
        FROM viewpoint v CROSS JOIN LATERAL ST_DumpSegments(v.walls) AS d
        WHERE v.walls IS NOT NULL
    ) AS segment
),
arc AS MATERIALIZED (
    -- The arc of bearings an edge covers: clockwise from lo over span (< 180 degrees).
    SELECT e.*, CASE WHEN cw <= 180 THEN b1 ELSE b2 END AS lo, LEAST(cw, 360 - cw) AS span
    FROM (SELECT edge.*, (b2 - b1) - 360 * floor((b2 - b1) / 360) AS cw FROM edge) AS e
),
hit AS MATERIALIZED (
    -- Every ray an edge may cross, solved exactly; the nearest crossing stops the ray.
    SELECT a.camera_id, l.view_no, k.ray_no, min(t.t) AS seen_m
    FROM arc a
    JOIN lens l USING (camera_id)
    CROSS JOIN LATERAL (SELECT (a.lo - l.start_deg) - 360 * floor((a.lo - l.start_deg) / 360)
                        AS rel) AS r
    CROSS JOIN LATERAL (
        SELECT generate_series(floor(r.rel / l.step_deg)::int,
                               ceil((r.rel + a.span) / l.step_deg)::int) AS ray_no
        UNION ALL
        SELECT generate_series(floor((r.rel - 360) / l.step_deg)::int,
                               ceil((r.rel + a.span - 360) / l.step_deg)::int)
    ) AS k
    CROSS JOIN LATERAL (SELECT sin(radians(l.start_deg + k.ray_no * l.step_deg)) AS ux,
                               cos(radians(l.start_deg + k.ray_no * l.step_deg)) AS uy) AS u
    CROSS JOIN LATERAL (SELECT u.ux * a.ey - u.uy * a.ex AS denom) AS dn
    CROSS JOIN LATERAL (
        SELECT (a.x1 * a.ey - a.y1 * a.ex) / dn.denom AS t,
               (a.x1 * u.uy - a.y1 * u.ux) / dn.denom AS s
        WHERE abs(dn.denom) > 1e-12
    ) AS t
    WHERE k.ray_no BETWEEN 0 AND l.last_ray
      AND t.s BETWEEN 0 AND 1 AND t.t >= %(ray_start_m)s AND t.t < l.reach_m
    GROUP BY a.camera_id, l.view_no, k.ray_no
),
ray_end AS (
    -- With no wall in reach, the few rays that draw the arc within FOV_SIMPLIFY_M do.
    SELECT l.camera_id, l.view_no, k.ray_no, l.is_disc, v.vx, v.vy,
           ST_MakePoint(v.vx + sin(radians(l.start_deg + k.ray_no * g.step_deg)) * d.seen_m,
                        v.vy + cos(radians(l.start_deg + k.ray_no * g.step_deg)) * d.seen_m)
               AS pt
    FROM lens l
    JOIN viewpoint v USING (camera_id)
    CROSS JOIN LATERAL (SELECT CASE WHEN v.walls IS NULL THEN l.open_rays ELSE l.rays END AS n)
         AS c
    CROSS JOIN LATERAL (SELECT l.sweep_deg / c.n AS step_deg,
                               CASE WHEN l.is_disc THEN c.n - 1 ELSE c.n END AS last_ray) AS g
    CROSS JOIN LATERAL generate_series(0, g.last_ray) AS k(ray_no)
    LEFT JOIN hit h ON h.camera_id = l.camera_id AND h.view_no = l.view_no
                   AND h.ray_no = k.ray_no
    CROSS JOIN LATERAL (SELECT COALESCE(h.seen_m, l.reach_m) AS seen_m) AS d
    WHERE v.walls IS NOT NULL OR NOT l.is_disc
),
outline AS (
    -- A disc is the ring of its ray ends; a sector has the viewpoint as apex.
    SELECT camera_id, view_no,
           CASE WHEN bool_or(is_disc)
                THEN array_agg(pt ORDER BY ray_no) || (array_agg(pt ORDER BY ray_no))[1]
                ELSE ARRAY[ST_MakePoint(min(vx), min(vy))] || array_agg(pt ORDER BY ray_no)
                     || ST_MakePoint(min(vx), min(vy))
           END AS ring
    FROM ray_end
    GROUP BY camera_id, view_no
),
lens_shape AS (
    SELECT o.camera_id, v.walls, ST_MakePolygon(ST_MakeLine(o.ring)) AS shape
    FROM outline o JOIN viewpoint v USING (camera_id)
    UNION ALL
    -- A disc with no wall in reach (most cameras): the same vertices, drawn in C.
    SELECT l.camera_id, NULL,
           ST_Buffer(ST_MakePoint(v.vx, v.vy), l.reach_m,
                     'quad_segs=' || ceil(l.open_rays / 4.0)::int)
    FROM lens l JOIN viewpoint v USING (camera_id)
    WHERE v.walls IS NULL AND l.is_disc
),
seen AS (
    -- Minus the walls: a camera on a wall does not see into its own building. A lens with
    -- no wall in reach is a star around its viewpoint, valid as drawn.
    SELECT camera_id, bool_or(walls IS NOT NULL) AS walled,
           CASE WHEN count(*) = 1 AND bool_and(walls IS NULL) THEN (array_agg(valid_shape))[1]
                ELSE ST_Union(CASE WHEN walls IS NULL THEN valid_shape
                                   ELSE ST_Difference(valid_shape, walls) END) END AS local_fov
    FROM (
        SELECT camera_id, walls,
               CASE WHEN walls IS NULL OR ST_IsValid(shape) THEN shape
                    ELSE ST_MakeValid(shape) END AS valid_shape
        FROM lens_shape
    ) AS checked
    GROUP BY camera_id
),
fov AS (
    -- Simplified within FOV_SIMPLIFY_M (arcs need far fewer points than rays); scaling
    -- back to degrees can fold a sliver along a wall, so validate once more there.
    SELECT camera_id,
           ST_Multi(CASE WHEN walled THEN ST_CollectionExtract(ST_MakeValid(geom), 3)
                         ELSE geom END) AS geom
    FROM (
        SELECT fr.camera_id, s.walled,
               ST_SetSRID(ST_Affine(ST_SimplifyPreserveTopology(s.local_fov, %(simplify_m)s),
                                    1 / fr.k_lon, 0, 0, 1 / fr.k_lat, fr.lon0, fr.lat0),
                          4326) AS geom
        FROM seen s JOIN framed fr USING (camera_id)
        WHERE NOT ST_IsEmpty(s.local_fov)
    ) AS scaled
)
UPDATE mapping_camera AS c
SET fov = fov.geom
FROM unnest(%(camera_ids)s::bigint[]) AS target(id)
LEFT JOIN fov ON fov.camera_id = target.id
WHERE c.id = target.id AND c.fov IS DISTINCT FROM fov.geom
"""

# What the rules of mapping.fov_geometry read, latitude for the local frame. Read as plain
# values: building a GEOS point per camera would cost more than the rest.
CAMERA_SPECS = """
SELECT id, ST_X(location), ST_Y(location), status, surveillance, surveillance_type,
       camera_type, directions, height, tilt
FROM mapping_camera
WHERE %(every_camera)s OR id = ANY(%(camera_ids)s::bigint[])
ORDER BY id
"""


def fov_parameters() -> FovParameters:
    """The model's parameters from settings (docs/routing.md has the table)."""
    return FovParameters(
        default_height_m=settings.FOV_DEFAULT_HEIGHT_M,
        default_tilt_deg=settings.FOV_DEFAULT_TILT_DEG,
        default_angle_deg=settings.FOV_DEFAULT_ANGLE_DEG,
        min_reach_m=settings.FOV_MIN_REACH_M,
        max_reach_m=settings.FOV_MAX_REACH_M,
        unknown_radius_m=settings.FOV_UNKNOWN_RADIUS_M,
        dome_radius_m=settings.FOV_DOME_RADIUS_M,
        alpr_angle_deg=settings.FOV_ALPR_ANGLE_DEG,
        alpr_reach_m=settings.FOV_ALPR_REACH_M,
        ray_spacing_m=settings.FOV_RAY_SPACING_M,
        ray_step_deg=settings.FOV_RAY_STEP_DEG,
        simplify_m=settings.FOV_SIMPLIFY_M,
    )


def _columns(*names: str) -> dict[str, list]:
    return {name: [] for name in names}


@dataclass
class LensBatch:
    """Every camera frame and lens of one computation, as columns for unnest()."""

    camera_ids: list[int] = field(default_factory=list)
    frame: dict[str, list] = field(
        default_factory=lambda: _columns("camera", "lon", "lat", "k_lon", "k_lat")
    )
    lenses: dict[str, list] = field(
        default_factory=lambda: _columns(
            "camera", "no", "start", "sweep", "rays", "open_rays", "reach", "disc"
        )
    )

    def add_camera(
        self,
        camera_id: int,
        position: tuple[float, float],
        spec: CameraSpec,
        params: FovParameters,
    ) -> None:
        """position: (longitude, latitude) of the camera, as stored."""
        self.camera_ids.append(camera_id)
        views = views_for(spec, params)
        if not views:
            return
        longitude, latitude = position
        k_lon, k_lat = metres_per_degree(latitude)
        self.frame["camera"].append(camera_id)
        self.frame["lon"].append(longitude)
        self.frame["lat"].append(latitude)
        self.frame["k_lon"].append(k_lon)
        self.frame["k_lat"].append(k_lat)
        for view_no, view in enumerate(views):
            self.lenses["camera"].append(camera_id)
            self.lenses["no"].append(view_no)
            self.lenses["start"].append(view.start_deg)
            self.lenses["sweep"].append(view.sweep_deg)
            self.lenses["rays"].append(ray_count(view, params))
            self.lenses["open_rays"].append(outline_ray_count(view, params))
            self.lenses["reach"].append(view.reach_m)
            self.lenses["disc"].append(view.is_disc)

    def sql_parameters(self) -> dict:
        return {
            "camera_ids": self.camera_ids,
            **{f"frame_{name}": column for name, column in self.frame.items()},
            **{f"lens_{name}": column for name, column in self.lenses.items()},
            "wall_tolerance_m": settings.FOV_WALL_TOLERANCE_M,
            "ray_start_m": settings.FOV_RAY_START_M,
            "simplify_m": settings.FOV_SIMPLIFY_M,
        }


def build_lens_batch(camera_ids: Iterable[int] | None = None) -> LensBatch:
    """Read the cameras (one query) and describe all their lenses."""
    params = fov_parameters()
    batch = LensBatch()
    query = {"every_camera": camera_ids is None, "camera_ids": list(camera_ids or ())}
    with connection.cursor() as cursor:
        cursor.execute(CAMERA_SPECS, query)
        for (
            pk,
            longitude,
            latitude,
            status,
            surveillance,
            kind,
            camera_type,
            directions,
            height,
            tilt,
        ) in cursor.fetchall():
            spec = CameraSpec(
                surveillance=surveillance,
                surveillance_type=kind,
                camera_type=camera_type,
                directions=directions or (),
                height=height,
                tilt=tilt,
                status=status,
            )
            batch.add_camera(pk, (longitude, latitude), spec, params)
    return batch


def compute_fields_of_view(camera_ids: Iterable[int] | None = None) -> int:
    """Recompute Camera.fov for the given cameras (None: all); return how many changed.

    Cameras that see nothing (removed, indoor, deep inside a building) get NULL.
    """
    batch = build_lens_batch(camera_ids)
    if not batch.camera_ids:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        # The planner's huge cost estimates would switch JIT on, which costs more than
        # the query itself.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(COMPUTE_FIELDS_OF_VIEW, batch.sql_parameters())
        return cursor.rowcount
