"""Fixtures for submissions and moderation: clients for each kind of caller."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from mapping.signals import ensure_moderators_group


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    """Throttle counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def _token_client(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()


@pytest.fixture
def moderator(db):
    user = get_user_model().objects.create_user("moderator-1", password="not-used-here-42")
    user.groups.add(ensure_moderators_group())
    return user


@pytest.fixture
def moderator_client(moderator) -> APIClient:
    return _token_client(moderator)


@pytest.fixture
def plain_user(db):
    return get_user_model().objects.create_user("resident-1", password="not-used-here-42")


@pytest.fixture
def plain_client(plain_user) -> APIClient:
    return _token_client(plain_user)
