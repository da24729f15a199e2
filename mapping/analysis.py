"""Derived data kept in step with the cameras: fields of view, then street exposure.

Every writer of cameras (OSM import, moderation) calls refresh_derived_data
inside its transaction, so the derived columns never lag behind the cameras.
The computations live in mapping.fov and mapping.exposure; both are set-based
(a few statements whatever the number of cameras), so a whole city is recomputed
after an import and a single moderated camera touches only the streets near it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from mapping.exposure import refresh_exposure, segments_seen_by
from mapping.fov import compute_fields_of_view

ANALYZE_TABLES = "ANALYZE mapping_camera, mapping_streetsegment, mapping_building"


def refresh_derived_data(camera_ids: Iterable[int] | None = None) -> None:
    """Recompute fields of view and street exposure.

    camera_ids None means every camera (after a full import); otherwise only the
    given cameras' fields of view and the street segments within their reach
    (changed, added or removed cameras: pass the ids of removed ones too). Segments
    are found through the old field of view (read before it is replaced), the new
    one, and the camera ids each segment lists, so even a deleted camera's streets
    are cleared.
    """
    with transaction.atomic():
        if camera_ids is None:
            # After an import the planner's statistics may still describe the tables
            # before it (empty, or another city): refresh them, or a join estimated at
            # one row can turn into a loop over every segment.
            with connection.cursor() as cursor:
                cursor.execute(ANALYZE_TABLES)
            compute_fields_of_view()
            refresh_exposure()
            return
        ids = sorted({int(camera_id) for camera_id in camera_ids})
        if not ids:
            return
        seen_before = segments_seen_by(ids)
        compute_fields_of_view(ids)
        refresh_exposure(camera_ids=ids, segment_ids=seen_before)
