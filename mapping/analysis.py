"""Derived data kept in step with the cameras: fields of view, then street exposure.

Every writer of cameras (OSM import, moderation) calls refresh_derived_data
inside its transaction, so the derived columns never lag behind the cameras.
The real computations live in mapping.fov and mapping.exposure (issue #4);
until they exist this is a no-op that callers can already rely on.
"""

from __future__ import annotations

from collections.abc import Iterable


def refresh_derived_data(camera_ids: Iterable[int] | None = None) -> None:
    """Recompute fields of view and street exposure.

    camera_ids None means every camera (after a full import); otherwise only the
    given cameras' fields of view and the street segments within their reach
    (changed, added or removed cameras: pass the ids of removed ones too).
    """
    return None
