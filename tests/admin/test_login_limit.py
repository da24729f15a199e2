"""Failed admin logins are limited per client and per username (mapping/admin_login.py),
counted under keyed hashes that never contain the address."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import caches

from mapping import admin_login
from tests.admin import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/admin/login/"
ADDRESS = "203.0.113.7"
OTHER_ADDRESS = "198.51.100.23"
THIRD_ADDRESS = "192.0.2.200"
WRONG = "Please enter the correct username and password"
REFUSED = "Too many failed login attempts"


def attempt(client, password="wrong", username="moderator-1", address=ADDRESS, **extra):
    return client.post(
        URL, {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def cache_keys() -> list[str]:
    return list(caches["default"]._cache.keys())  # LocMemCache internals: the only place


def test_failures_up_to_the_limit_get_the_form_then_429_even_with_the_right_password(
    client, moderator
):
    for _ in range(3):
        response = attempt(client)
        assert response.status_code == 200
        assert WRONG in response.content.decode()
    refused = attempt(client, password=PASSWORD)
    assert refused.status_code == 429
    assert REFUSED in refused.content.decode()
    assert "Try again in 10 minutes" in refused.content.decode()
    assert 0 < int(refused["Retry-After"]) <= 600
    assert 'id="login-form"' in refused.content.decode()  # the usual page, with the reason
    assert not logged_in(client)
    # Refused attempts are not counted: the wait does not grow with them.
    assert int(attempt(client)["Retry-After"]) <= int(refused["Retry-After"])


def test_another_client_is_not_blocked_but_the_username_limit_applies_across_clients(
    client, moderator, django_user_model
):
    django_user_model.objects.create_user("moderator-2", password=PASSWORD, is_staff=True)
    assert [attempt(client).status_code for _ in range(4)] == [200, 200, 200, 429]
    # Another address is another client: its attempts are judged on their own...
    assert attempt(client, address=OTHER_ADDRESS).status_code == 200
    assert attempt(client, address=OTHER_ADDRESS).status_code == 200
    # ...but moderator-1 has now failed 5 times, from two clients: from a third, even the
    # right password is refused.
    third = attempt(client, password=PASSWORD, address=THIRD_ADDRESS)
    assert third.status_code == 429 and not logged_in(client)
    # Other usernames are not locked, from a client under its own limit.
    ok = attempt(client, username="moderator-2", password=PASSWORD, address=OTHER_ADDRESS)
    assert ok.status_code == 302 and logged_in(client)


def test_a_success_below_the_limit_clears_the_clients_and_the_usernames_failures(client, moderator):
    assert [attempt(client).status_code for _ in range(2)] == [200, 200]
    success = attempt(client, password=PASSWORD)
    assert success.status_code == 302 and logged_in(client)
    assert cache_keys() == []
    client.logout()
    # Three failures again before the limit: the two before the success count no more.
    assert [attempt(client).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_the_username_is_counted_as_the_login_form_reads_it(client, moderator):
    usernames = ["moderator-1", " Moderator-1 ", "MODERATOR-1", "\uff4doderator-1", "moderator-1"]
    addresses = [f"192.0.2.{n}" for n in range(len(usernames))]  # one try per client
    statuses = [
        attempt(client, username=name, address=address).status_code
        for name, address in zip(usernames, addresses, strict=True)
    ]
    assert statuses == [200, 200, 200, 200, 200]
    assert attempt(client, password=PASSWORD, address=OTHER_ADDRESS).status_code == 429


def test_the_refusal_is_in_the_visitors_language(client, moderator):
    for _ in range(3):
        attempt(client, HTTP_ACCEPT_LANGUAGE="fr")
    refused = attempt(client, HTTP_ACCEPT_LANGUAGE="fr")
    assert refused.status_code == 429
    assert "Trop de tentatives de connexion échouées" in refused.content.decode()
    assert "Réessayez dans 10 minutes" in refused.content.decode()


def test_failures_are_forgotten_after_the_window(client, moderator, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(admin_login, "clock", lambda: now[0])
    for _ in range(3):
        attempt(client)
    # The entries expire with the window (the cache drops them by itself)...
    cache = caches["default"]
    for key in cache_keys():
        assert cache._expire_info[key] == pytest.approx(admin_login.time.time() + 600, abs=5)
    now[0] += 400
    refused = attempt(client, password=PASSWORD)
    assert refused.status_code == 429 and refused["Retry-After"] == "200"
    # ...and failures older than the window no longer count even while an entry lives on.
    now[0] += 200
    assert attempt(client, password=PASSWORD).status_code == 302


def test_no_address_is_kept_in_the_cache_keys_values_or_logs(client, moderator, caplog):
    with caplog.at_level(logging.DEBUG):
        statuses = [attempt(client).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    keys = cache_keys()
    assert len(keys) == 2  # one count for the client, one for the username
    assert any("admin_login_client_" in key for key in keys)
    for key in keys:
        assert ADDRESS not in key and "moderator" not in key
        assert all(isinstance(t, float) for t in caches["default"].get(key.split(":", 2)[2]))
    assert "3 failed attempts within 600 s for one client" in caplog.text
    assert ADDRESS not in caplog.text and "moderator-1" not in caplog.text


def test_clients_are_told_apart_as_the_submission_throttle_tells_them(client, moderator, settings):
    # Without trusted proxies a forged X-Forwarded-For does not make a new client...
    for n in range(3):
        attempt(client, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert attempt(client, HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429
    caches["default"].clear()
    # ...behind one, the address it saw is the client; one IPv6 /64 is one client.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = {"address": "10.0.0.1"}
    for n in range(3):
        attempt(client, HTTP_X_FORWARDED_FOR=f"2001:db8:5:6::{n}", **proxy)
    assert attempt(client, HTTP_X_FORWARDED_FOR="2001:db8:5:6::99", **proxy).status_code == 429
    other = attempt(client, HTTP_X_FORWARDED_FOR=f"192.0.2.1, {OTHER_ADDRESS}", **proxy)
    assert other.status_code == 200
    assert not any(OTHER_ADDRESS in key or "2001:db8" in key for key in cache_keys())


def test_a_limit_of_zero_turns_that_limit_off(client, moderator, settings):
    settings.ADMIN_LOGIN_FAILURES_PER_CLIENT = 0
    settings.ADMIN_LOGIN_FAILURES_PER_USERNAME = 0
    assert {attempt(client).status_code for _ in range(6)} == {200}
    assert attempt(client, password=PASSWORD).status_code == 302
    assert cache_keys() == []


def test_looking_at_the_login_page_counts_nothing(client, moderator):
    for _ in range(5):
        assert client.get(URL, REMOTE_ADDR=ADDRESS).status_code == 200
    assert cache_keys() == []


def test_a_lock_on_a_username_can_be_lifted_early(client, moderator):
    for n in range(5):
        attempt(client, address=f"192.0.2.{n}")
    assert attempt(client, password=PASSWORD, address=OTHER_ADDRESS).status_code == 429
    admin_login.forget_username("Moderator-1")
    assert attempt(client, password=PASSWORD, address=OTHER_ADDRESS).status_code == 302
