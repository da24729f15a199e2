"""Helpers for the API tests: small test areas in the empty Paris region, JSON bodies."""

from __future__ import annotations

import itertools
import json

import pytest

from mapping.bbox import BBox

# Each test draws its own 0.01-degree box near Paris, so its cameras are alone in it.
_boxes = itertools.count()


def fresh_box() -> BBox:
    """A box nobody else's cameras are in (factories build in Paris, rows roll back)."""
    index = next(_boxes)
    lon = round(2.20 + (index % 20) * 0.02, 2)
    lat = round(48.70 + (index // 20) * 0.02, 2)
    # Rounded so that str(box), as sent in a query string, is exactly this box.
    return BBox(lon, lat, round(lon + 0.01, 2), round(lat + 0.01, 2))


def inside(box: BBox, fx: float = 0.5, fy: float = 0.5) -> tuple[float, float]:
    """A point at fractions (fx, fy) of the box's width and height."""
    return (
        box.min_lon + (box.max_lon - box.min_lon) * fx,
        box.min_lat + (box.max_lat - box.min_lat) * fy,
    )


def body(response) -> dict:
    """The JSON body of a response, streamed or not."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return json.loads(content)


@pytest.fixture
def box() -> BBox:
    return fresh_box()
