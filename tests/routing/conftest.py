"""Fixtures of the routing tests."""

from __future__ import annotations

import pytest

from tests.routing.hand_graph import build_graph


@pytest.fixture
def graph():
    """The hand-made graph sketched at the top of test_routing.py, with camera C."""
    return build_graph()
