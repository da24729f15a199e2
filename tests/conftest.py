"""Shared fixtures. Tests run against the real PostGIS + pgRouting database."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("ANGLEMORT_TESTING", "1")


@pytest.fixture(autouse=True)
def _no_cached_answers():
    """Each test starts with an empty answer cache (api/response_cache.py): an answer stored
    by another test, under other settings, must never be served to this one."""
    from django.core.cache import caches

    caches["responses"].clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test ends in the default language: a request in French leaves French active in
    the test's thread (LocaleMiddleware activates a request's language and, in a server,
    the next request its own), and code called directly afterwards would speak it."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Every test writes photos to its own folder, so nothing leaks between tests."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def helsinki(django_db_setup, django_db_blocker):
    """The real central-Helsinki OSM data (221 cameras, walk graph, buildings), committed.

    Imported once per session and kept across tests' rollbacks; each use costs one COUNT
    query, and a flush by a transactional/live-server test triggers a re-import. Returns
    tests.helsinki.HelsinkiData (bbox, counts); scope queries with HELSINKI_BBOX.
    """
    from tests.helsinki import ensure_helsinki

    with django_db_blocker.unblock():
        return ensure_helsinki()
