"""Shared fixtures. Tests run against the real PostGIS + pgRouting database."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("ANGLEMORT_TESTING", "1")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Every test writes photos to its own folder, so nothing leaks between tests."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
