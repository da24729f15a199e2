"""Device cookies (mapping/admin_device.py): a browser that logged in to the admin as a
username before is not locked out by that username's failures elsewhere; its own failures
count against its cookie, and every other attempt meets the limits as before."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import caches
from django.test import Client

from mapping import admin_device, admin_login
from tests.admin import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/admin/login/"
COOKIE = "anglemort_admin_device"
HOME = "203.0.113.7"
ELSEWHERE = "198.51.100.23"
REFUSED = "Too many failed login attempts"
WRONG = "Please enter the correct username and password"
DAYS = 180


@pytest.fixture(autouse=True)
def _device_cookies_on(settings):
    settings.ADMIN_DEVICE_COOKIE_DAYS = DAYS


@pytest.fixture
def now(monkeypatch):
    """The login limit's clock, which the test moves by hand."""
    clock = [1_700_000_000.0]
    monkeypatch.setattr(admin_login, "clock", lambda: clock[0])
    return clock


def attempt(password="wrong", username="moderator-1", address=ELSEWHERE, device=None, **extra):
    """One login from a fresh browser, carrying a device cookie or none."""
    client = Client()
    if device is not None:
        client.cookies[COOKIE] = device
    response = client.post(
        URL, {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )
    response.logged_in = "_auth_user_id" in client.session
    return response


def device_of(username="moderator-1", address=HOME) -> str:
    """The device cookie a browser gets by logging in as username."""
    response = attempt(PASSWORD, username=username, address=address)
    assert response.status_code == 302
    return response.cookies[COOKIE].value


def lock_username(username="moderator-1"):
    """Five failures from five addresses, as someone who knows the username can make."""
    statuses = [attempt(username=username, address=f"192.0.2.{n}").status_code for n in range(5)]
    assert statuses == [200] * 5
    assert attempt(PASSWORD, username=username, address="192.0.2.99").status_code == 429


def cache_keys() -> list[str]:
    return list(caches["default"]._cache.keys())  # LocMemCache internals: the only place


def test_a_locked_username_logs_in_from_a_device_that_did_before(moderator):
    device = device_of()
    lock_username()
    without = attempt(PASSWORD)
    assert without.status_code == 429 and not without.logged_in
    assert REFUSED in without.content.decode()
    with_cookie = attempt(PASSWORD, device=device)
    assert with_cookie.status_code == 302 and with_cookie.logged_in
    # The login gives a new cookie; the lock stays for browsers without one.
    assert with_cookie.cookies[COOKIE].value != device
    assert attempt(PASSWORD).status_code == 429


def test_a_successful_login_sets_the_cookie_with_its_attributes_and_nothing_readable(moderator):
    response = attempt(PASSWORD)
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/admin/"
    assert cookie["max-age"] == DAYS * 86400
    assert cookie["secure"] == ""  # plain HTTP: a Secure cookie would not come back
    assert "moderator" not in cookie.value.lower()
    assert attempt(PASSWORD, secure=True).cookies[COOKIE]["secure"] is True
    # Two logins, two tokens: a device cookie is no lasting name for the moderator.
    assert attempt(PASSWORD).cookies[COOKIE].value.split(":")[0] != cookie.value.split(":")[0]


def test_failed_and_refused_logins_set_no_device_cookie(moderator):
    statuses = []
    for _ in range(4):
        response = attempt(address=HOME)
        statuses.append(response.status_code)
        assert COOKIE not in response.cookies
    assert statuses == [200, 200, 200, 429]
    refused = attempt(PASSWORD, address=HOME)
    assert refused.status_code == 429 and COOKIE not in refused.cookies


def test_another_usernames_cookie_counts_as_none(moderator, django_user_model):
    django_user_model.objects.create_user("moderator-2", password=PASSWORD, is_staff=True)
    other = device_of("moderator-2")
    lock_username()
    assert attempt(PASSWORD, device=other).status_code == 429
    # It is valid, for its own username.
    assert attempt(PASSWORD, username="moderator-2", device=other).status_code == 302


def test_the_username_in_the_cookie_is_read_as_the_login_form_reads_it(moderator):
    device = device_of()
    lock_username()
    assert attempt(PASSWORD, username=" moderator-1 ", device=device).status_code == 302
    # One count for "Moderator-1" and "moderator-1": the cookie lets its password be checked
    # (Django's usernames are case-sensitive, so it is wrong), not refused.
    checked = attempt(PASSWORD, username="MODERATOR-1", device=device)
    assert checked.status_code == 200 and WRONG in checked.content.decode()


def test_a_tampered_or_forged_cookie_counts_as_none(moderator, settings):
    device = device_of()
    key = settings.SECRET_KEY
    settings.SECRET_KEY = "another-site's-key"
    forged = device_of()
    settings.SECRET_KEY = key
    lock_username()
    i = len(device) // 3  # inside the token and username parts, before the signature
    tampered = device[:i] + ("A" if device[i] != "A" else "B") + device[i + 1 :]
    for value in (tampered, forged, device + "x", "", "not-a-cookie"):
        refused = attempt(PASSWORD, device=value)
        assert refused.status_code == 429 and not refused.logged_in
        assert COOKIE not in refused.cookies
    assert attempt(PASSWORD, device=device).status_code == 302


def test_an_old_cookie_counts_as_none(moderator, now):
    device = device_of()
    now[0] += DAYS * 86400 - 60
    lock_username()
    assert attempt(PASSWORD, device=device).status_code == 302
    fresh = attempt(PASSWORD, device=device).cookies[COOKIE].value
    now[0] += 120  # the username's failures are two minutes old: still locked
    assert attempt(PASSWORD).status_code == 429
    assert attempt(PASSWORD, device=device).status_code == 429
    assert attempt(PASSWORD, device=fresh).status_code == 302


def test_failures_with_a_cookie_count_against_that_device_not_the_username(moderator):
    device = device_of()
    # One failure per address, so only the device's count can reach its limit.
    for n in range(3):
        failed = attempt(device=device, address=f"198.51.100.{n}")
        assert failed.status_code == 200 and WRONG in failed.content.decode()
    refused = attempt(PASSWORD, device=device, address="198.51.100.50")
    assert refused.status_code == 429 and not refused.logged_in
    assert REFUSED in refused.content.decode()
    assert 0 < int(refused["Retry-After"]) <= 600
    # The username was not charged: browsers without the cookie have their five failures.
    statuses = [attempt(address=f"192.0.2.{n}").status_code for n in range(6)]
    assert statuses == [200] * 5 + [429]


def test_a_device_that_fails_too_often_is_locked_alone_until_the_window_ends(moderator, now):
    device = device_of()
    other_device = device_of(address="203.0.113.8")
    lock_username()
    for n in range(3):
        assert attempt(device=device, address=f"198.51.100.{n}").status_code == 200
    refused = attempt(PASSWORD, device=device, address="198.51.100.50")
    assert refused.status_code == 429 and refused["Retry-After"] == "600"
    # The moderator's other browser still logs in; browsers without a cookie still do not.
    assert attempt(PASSWORD, device=other_device, address="198.51.100.60").status_code == 302
    assert attempt(PASSWORD, address="198.51.100.61").status_code == 429
    now[0] += 600
    lock_username()
    assert attempt(PASSWORD, device=device, address="198.51.100.70").status_code == 302


def test_the_per_client_limit_applies_with_a_cookie_too(moderator):
    device = device_of()
    assert [attempt(address=ELSEWHERE).status_code for _ in range(3)] == [200, 200, 200]
    refused = attempt(PASSWORD, device=device, address=ELSEWHERE)
    assert refused.status_code == 429 and not refused.logged_in


def test_a_success_with_a_cookie_clears_the_devices_count_not_the_usernames(moderator):
    device = device_of()
    for n in range(2):
        attempt(address=f"192.0.2.{n}")  # two failures of the username, without a cookie
    for n in range(2):
        attempt(device=device, address=f"198.51.100.{n}")
    assert attempt(PASSWORD, device=device, address="198.51.100.9").status_code == 302
    # The device has its three failures again...
    assert [attempt(device=device, address=f"198.51.100.{n}").status_code for n in range(4)] == [
        200,
        200,
        200,
        429,
    ]
    # ...and the username still has its two from browsers without the cookie.
    statuses = [attempt(address=f"192.0.2.{n}").status_code for n in range(10, 14)]
    assert statuses == [200, 200, 200, 429]


@pytest.mark.parametrize(
    "setting",
    ["ADMIN_DEVICE_COOKIE_DAYS", "ADMIN_LOGIN_FAILURES_PER_CLIENT"],
    ids=["off", "no-client-limit"],
)
def test_no_device_cookie_when_turned_off(moderator, settings, setting):
    device = device_of()
    setattr(settings, setting, 0)
    success = attempt(PASSWORD)
    assert success.status_code == 302 and COOKIE not in success.cookies
    lock_username()
    assert attempt(PASSWORD, device=device).status_code == 429


def test_no_username_address_or_token_is_kept_in_the_cache_or_logs(moderator, caplog):
    device = device_of()
    with caplog.at_level(logging.DEBUG):
        for n in range(3):
            attempt(device=device, address=f"198.51.100.{n}")
    keys = cache_keys()
    assert len(keys) == 4  # three clients, one device
    assert sum("admin_login_device_" in key for key in keys) == 1
    for key in keys:
        assert "moderator" not in key and "198.51.100" not in key
        assert not any(part in key for part in device.split(":"))
    assert "3 failed attempts within 600 s for one device" in caplog.text
    assert "moderator-1" not in caplog.text and device not in caplog.text


# The cookie's value, as pure functions.

NOW = 1_700_000_000.0
LIFETIME = DAYS * 86400


def test_a_value_gives_back_its_token_for_its_username_only():
    value = admin_device.make_value("moderator-1", NOW)
    token = admin_device.token_from(value, "moderator-1", NOW + 1, LIFETIME)
    assert token and len(token) >= 20 and token in value
    assert admin_device.token_from(value, "moderator-2", NOW + 1, LIFETIME) is None
    assert "moderator" not in value
    assert admin_device.make_value("moderator-1", NOW) != value


def test_a_value_expires_with_its_lifetime():
    value = admin_device.make_value("moderator-1", NOW)
    assert admin_device.token_from(value, "moderator-1", NOW + LIFETIME - 1, LIFETIME)
    assert admin_device.token_from(value, "moderator-1", NOW + LIFETIME, LIFETIME) is None
    assert admin_device.token_from(value, "moderator-1", NOW, 0) is None


@pytest.mark.parametrize(
    "value", ["", "x", "a:b:c:d", "a:b:c:d:e", "::::", "é" * 50, "a" * 1000], ids=repr
)
def test_values_we_did_not_sign_give_no_token(value):
    assert admin_device.token_from(value, "moderator-1", NOW, LIFETIME) is None


def test_a_new_secret_key_ends_every_cookie_even_with_the_old_one_as_a_fallback(settings):
    settings.SECRET_KEY = "the-old-key"
    value = admin_device.make_value("moderator-1", NOW)
    assert admin_device.token_from(value, "moderator-1", NOW, LIFETIME)
    settings.SECRET_KEY = "the-new-key"
    settings.SECRET_KEY_FALLBACKS = ["the-old-key"]
    assert admin_device.token_from(value, "moderator-1", NOW, LIFETIME) is None
