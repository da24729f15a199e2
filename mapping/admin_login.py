"""A limit on failed logins to the admin, per client and per username, that keeps nobody's address.

Within ADMIN_LOGIN_WINDOW_S, a client may fail ADMIN_LOGIN_FAILURES_PER_CLIENT times and a
username ADMIN_LOGIN_FAILURES_PER_USERNAME times (from any number of clients); the next
attempt is answered 429 with Retry-After, and its password is not even checked, so a right
one is refused too. A login that succeeds clears both counts. Wrong old passwords on the
admin's password change form count as failures of the user's username
(mapping/admin_password.py).

The client is counted as the submission throttle counts it (api/clients.py): its address
(or IPv6 /64) as REMOTE_ADDR or the trusted proxies give it. Each count is kept in the
throttle cache (the "default" cache) under an HMAC of the client or of the username, keyed
with the secret key, as the times of its failures within the window, and expires with it.
No address, and no typed username (people type their password there by mistake), is
stored or logged.

An attempt counts as failed from the moment it is made, before the password is checked
(which takes a while on purpose), so that concurrent attempts cannot all slip under the
limit; it is taken back if the login succeeds.

A browser that logged in as a username before carries a device cookie for it
(mapping/admin_device.py): its attempts at that username are charged to the cookie's
token, which may fail as often as a client, instead of to the username, so that failing
from many addresses cannot lock a moderator out of their own browser.
"""

from __future__ import annotations

import logging
import math
import time
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import ngettext

from api.clients import client_address, client_bucket, keyed_hash
from mapping import admin_device

logger = logging.getLogger(__name__)

# Read through this name so that tests can move time forward.
clock = time.time

# Longer input is refused by the login form anyway; normalising it could take long.
USERNAME_MAX_CHARS = 256
# The request attribute through which the site tells its form to refuse.
WAIT_ATTRIBUTE = "admin_login_retry_after"


@dataclass(frozen=True)
class Counter:
    """One count of recent failures: a client's, a username's or a device's."""

    kind: str
    key: str
    limit: int


def normalized_username(raw: str) -> str:
    """The username as the login form reads it (NFKC, trimmed), in one case: "Admin " and
    its full-width letters (U+FF41...) are counted with "admin"."""
    return unicodedata.normalize("NFKC", raw[:USERNAME_MAX_CHARS]).strip().casefold()


def window_seconds() -> int:
    return max(1, int(settings.ADMIN_LOGIN_WINDOW_S))


def _client_key(bucket: str) -> str:
    return f"admin_login_client_{keyed_hash(f'admin-login:address:{bucket}')}"


def _username_key(username: str) -> str:
    return f"admin_login_username_{keyed_hash(f'admin-login:username:{username}')}"


def _device_key(token: str) -> str:
    return f"admin_login_device_{keyed_hash(f'admin-login:device:{token}')}"


def counters(request, now: float) -> list[Counter]:
    """The counts a login attempt (a POST to the admin login) is charged to."""
    found = []
    if settings.ADMIN_LOGIN_FAILURES_PER_CLIENT > 0:
        bucket = client_bucket(client_address(request))
        found.append(
            Counter("client", _client_key(bucket), settings.ADMIN_LOGIN_FAILURES_PER_CLIENT)
        )
    found.extend(account_counters(request, request.POST.get("username", ""), now))
    return found


def account_counters(
    request, raw_username: str, now: float, kind: str = "username"
) -> list[Counter]:
    """The count of the request's device when it carries a valid device cookie for this
    username, else the username's: the one the guess at that password is charged to."""
    username = normalized_username(raw_username)
    token = admin_device.request_token(request, username, now) if username else None
    if token is None:
        return username_counters(raw_username, kind)
    device_kind = kind.replace("username", "device", 1)  # the log line names the form
    limit = settings.ADMIN_LOGIN_FAILURES_PER_CLIENT
    return [Counter(device_kind, _device_key(token), limit)]


def username_counters(raw_username: str, kind: str = "username") -> list[Counter]:
    """A username's count, shared by the login and the password change form
    (mapping/admin_password.py): both are guesses at one password."""
    username = normalized_username(raw_username)
    if not username or settings.ADMIN_LOGIN_FAILURES_PER_USERNAME <= 0:
        return []
    limit = settings.ADMIN_LOGIN_FAILURES_PER_USERNAME
    return [Counter(kind, _username_key(username), limit)]


def _recent_failures(counter: Counter, now: float) -> list[float]:
    times = caches["default"].get(counter.key) or []
    return [t for t in times if now - window_seconds() < t <= now]


def seconds_to_wait(limited: list[Counter], now: float) -> int | None:
    """None while every count is under its limit; else how long until all are again."""
    waits = []
    for counter in limited:
        recent = _recent_failures(counter, now)
        if len(recent) >= counter.limit:
            # Free again when the limit-th most recent failure leaves the window.
            waits.append(recent[-counter.limit] + window_seconds() - now)
    if not waits:
        return None
    return max(1, math.ceil(max(waits)))


def record_failure(limited: list[Counter], now: float) -> None:
    """Count one failed attempt on each counter; the entries expire with the window."""
    cache = caches["default"]
    for counter in limited:
        recent = [*_recent_failures(counter, now), now]
        cache.set(counter.key, recent[-counter.limit :], timeout=window_seconds())
        if len(recent) == counter.limit:
            logger.warning(
                "admin login: %d failed attempts within %d s for one %s; "
                "its next attempts are refused until older ones leave that window",
                counter.limit,
                window_seconds(),
                counter.kind,
            )


def forget(limited: list[Counter]) -> None:
    caches["default"].delete_many([counter.key for counter in limited])


def forget_username(username: str) -> None:
    """Lift a username's lock early (`manage.py shell -c`; docs/moderation.md)."""
    caches["default"].delete(_username_key(normalized_username(username)))


def wait_minutes(seconds: int) -> int:
    """The wait a refusal names, in whole minutes (never "0 minutes")."""
    return max(1, math.ceil(seconds / 60))


def too_many_attempts_message(seconds: int) -> str:
    minutes = wait_minutes(seconds)
    return ngettext(
        "Too many failed login attempts. Try again in %(minutes)d minute.",
        "Too many failed login attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class LimitedAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's login form, refusing without checking the password when the site has
    found the limit reached (the page is then the usual one, with the reason)."""

    def clean(self):
        wait = getattr(self.request, WAIT_ATTRIBUTE, None)
        if wait is not None:
            raise ValidationError(too_many_attempts_message(wait), code="too_many_attempts")
        return super().clean()


class LoginLimitedAdminSite(admin.AdminSite):
    """Django's admin site, whose login counts failures, as its password change form counts
    wrong old passwords (mapping.admin_apps installs it)."""

    login_form = LimitedAdminAuthenticationForm

    def login(self, request, extra_context=None):
        if request.method != "POST":
            return super().login(request, extra_context)
        now = clock()
        limited = counters(request, now)
        wait = seconds_to_wait(limited, now)
        if wait is not None:
            setattr(request, WAIT_ATTRIBUTE, wait)
            response = super().login(request, extra_context)
            response.status_code = 429
            response["Retry-After"] = str(wait)
            return response
        record_failure(limited, now)
        response = super().login(request, extra_context)
        # Django's LoginView redirects after a POST only once it has logged the user in.
        if response.status_code == 302:
            forget(limited)
            admin_path = reverse("admin:index", current_app=self.name)
            username = normalized_username(request.user.get_username())
            admin_device.give_cookie(response, request, username, now, admin_path)
        return response

    def password_change(self, request, extra_context=None):
        """Django's own, with the view that counts wrong old passwords."""
        # Imported here: mapping.admin_password imports this module.
        from mapping.admin_password import LimitedPasswordChangeView

        defaults = {
            "success_url": reverse("admin:password_change_done", current_app=self.name),
            "extra_context": {**self.each_context(request), **(extra_context or {})},
        }
        if self.password_change_template is not None:
            defaults["template_name"] = self.password_change_template
        request.current_app = self.name
        return LimitedPasswordChangeView.as_view(**defaults)(request)
