"""What every test of the admin's limits starts from: small limits, a fast hasher, empty
counters, and one moderator."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from tests.admin import PASSWORD


@pytest.fixture(autouse=True)
def _small_limits_and_a_fast_hasher(settings):
    settings.ADMIN_LOGIN_FAILURES_PER_CLIENT = 3
    settings.ADMIN_LOGIN_FAILURES_PER_USERNAME = 5
    settings.ADMIN_LOGIN_WINDOW_S = 600
    # Each login checks a password; Django's real hasher would take most of the test's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_counters():
    """The counters live in the "default" cache, which outlives a test."""
    caches["default"].clear()
    yield
    caches["default"].clear()


@pytest.fixture
def moderator(django_user_model):
    return django_user_model.objects.create_user("moderator-1", password=PASSWORD, is_staff=True)
