"""Wrong old passwords on the admin's password change form count as failed logins of the
user's username (mapping/admin_password.py): a stolen session cannot guess without end.
From a browser holding a device cookie for that username they count against the device."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import caches
from django.test import Client

from mapping import admin_login
from tests.admin import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/admin/password_change/"
LOGIN_URL = "/admin/login/"
NEW_PASSWORD = "another-long-passphrase-77"
WRONG = "Your old password was entered incorrectly"
REFUSED = "Too many wrong passwords"


@pytest.fixture
def session(client, moderator):
    """The moderator's session, as whoever holds its cookie has it."""
    client.force_login(moderator)
    return client


def change(client, old="wrong", new=NEW_PASSWORD, confirm=None, **extra):
    data = {"old_password": old, "new_password1": new, "new_password2": confirm or new}
    return client.post(URL, data, **extra)


def password_is(user, password: str) -> bool:
    user.refresh_from_db()
    return user.check_password(password)


def test_wrong_old_passwords_up_to_the_limit_then_429_even_with_the_right_one(session, moderator):
    for _ in range(5):
        response = change(session)
        assert response.status_code == 200
        assert WRONG in response.content.decode()
    refused = change(session, old=PASSWORD)
    assert refused.status_code == 429
    html = refused.content.decode()
    assert "Too many wrong passwords. Try again in 10 minutes." in html
    assert WRONG not in html  # the old password was not checked
    assert 0 < int(refused["Retry-After"]) <= 600
    assert 'name="old_password"' in html  # the usual page, with the reason
    assert password_is(moderator, PASSWORD)
    # Refused attempts are not counted: the wait does not grow with them.
    assert int(change(session)["Retry-After"]) <= int(refused["Retry-After"])


def test_the_login_and_the_password_change_form_share_one_count_per_username(session):
    elsewhere = Client()
    for n in range(3):
        failed = elsewhere.post(
            LOGIN_URL, {"username": "Moderator-1", "password": "wrong"}, REMOTE_ADDR=f"192.0.2.{n}"
        )
        assert failed.status_code == 200
    assert [change(session).status_code for _ in range(3)] == [200, 200, 429]
    # And the guesses on the form lock that username's login, from any client.
    login = elsewhere.post(
        LOGIN_URL, {"username": "moderator-1", "password": PASSWORD}, REMOTE_ADDR="198.51.100.9"
    )
    assert login.status_code == 429


def test_a_right_old_password_clears_the_count_even_if_the_new_ones_differ(session, moderator):
    assert [change(session).status_code for _ in range(4)] == [200, 200, 200, 200]
    mismatch = change(session, old=PASSWORD, confirm="not-the-same-passphrase-1")
    assert mismatch.status_code == 200
    assert "didn\u2019t match" in mismatch.content.decode()
    assert list(caches["default"]._cache) == []
    # Five wrong ones again before the limit: the four before count no more.
    assert [change(session).status_code for _ in range(6)] == [200] * 5 + [429]


def test_a_change_with_the_right_old_password_succeeds_and_clears_the_count(session, moderator):
    assert [change(session).status_code for _ in range(2)] == [200, 200]
    done = change(session, old=PASSWORD)
    assert done.status_code == 302 and done["Location"] == "/admin/password_change/done/"
    assert password_is(moderator, NEW_PASSWORD)
    assert list(caches["default"]._cache) == []


def test_the_refusal_is_in_the_users_language(session):
    for _ in range(5):
        change(session, HTTP_ACCEPT_LANGUAGE="fr")
    refused = change(session, HTTP_ACCEPT_LANGUAGE="fr")
    assert refused.status_code == 429
    assert "Trop de mots de passe erronés. Réessayez dans 10 minutes." in refused.content.decode()


def test_failures_are_forgotten_after_the_window(session, moderator, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(admin_login, "clock", lambda: now[0])
    for _ in range(5):
        change(session)
    now[0] += 400
    refused = change(session, old=PASSWORD)
    assert refused.status_code == 429 and refused["Retry-After"] == "200"
    now[0] += 200
    assert change(session, old=PASSWORD).status_code == 302


def test_no_username_is_kept_and_the_limit_is_logged_naming_the_form(session, caplog):
    with caplog.at_level(logging.DEBUG):
        statuses = [change(session).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    (key,) = caches["default"]._cache
    assert "admin_login_username_" in key and "moderator" not in key
    assert "5 failed attempts within 600 s for one username (password change form)" in caplog.text
    assert "moderator-1" not in caplog.text


def test_a_limit_of_zero_turns_the_count_off(session, moderator, settings):
    settings.ADMIN_LOGIN_FAILURES_PER_USERNAME = 0
    assert {change(session).status_code for _ in range(8)} == {200}
    assert list(caches["default"]._cache) == []
    assert change(session, old=PASSWORD).status_code == 302


def test_looking_at_the_form_counts_nothing(session):
    for _ in range(6):
        assert session.get(URL).status_code == 200
    assert list(caches["default"]._cache) == []


def test_a_lock_can_be_lifted_early(session):
    for _ in range(5):
        change(session)
    assert change(session, old=PASSWORD).status_code == 429
    admin_login.forget_username("moderator-1")
    assert change(session, old=PASSWORD).status_code == 302


@pytest.fixture
def session_on_a_known_device(client, moderator):
    """The moderator's session in a browser that logged in with the password, so that it
    holds a device cookie for that username (mapping/admin_device.py)."""
    login = client.post(LOGIN_URL, {"username": "moderator-1", "password": PASSWORD})
    assert login.status_code == 302 and "anglemort_admin_device" in client.cookies
    return client


def lock_username_from_elsewhere():
    elsewhere = Client()
    for n in range(5):
        failed = elsewhere.post(
            LOGIN_URL, {"username": "moderator-1", "password": "wrong"}, REMOTE_ADDR=f"192.0.2.{n}"
        )
        assert failed.status_code == 200


def test_a_locked_username_still_changes_its_password_from_a_known_device(
    session_on_a_known_device, moderator
):
    lock_username_from_elsewhere()
    done = change(session_on_a_known_device, old=PASSWORD)
    assert done.status_code == 302 and password_is(moderator, NEW_PASSWORD)


def test_a_session_without_the_device_cookie_meets_the_usernames_lock(session, moderator):
    lock_username_from_elsewhere()
    refused = change(session, old=PASSWORD)
    assert refused.status_code == 429 and password_is(moderator, PASSWORD)


def test_wrong_old_passwords_on_a_known_device_count_against_that_device(
    session_on_a_known_device, caplog
):
    with caplog.at_level(logging.WARNING):
        statuses = [change(session_on_a_known_device).status_code for _ in range(4)]
    # The device may fail as often as a client (3 here), fewer than the username (5)...
    assert statuses == [200, 200, 200, 429]
    assert "for one device (password change form)" in caplog.text
    # ...and the username was not charged: the login elsewhere has its five failures.
    elsewhere = Client()
    statuses = [
        elsewhere.post(
            LOGIN_URL, {"username": "moderator-1", "password": "wrong"}, REMOTE_ADDR=f"192.0.2.{n}"
        ).status_code
        for n in range(6)
    ]
    assert statuses == [200] * 5 + [429]
