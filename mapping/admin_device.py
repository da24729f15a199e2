"""Device cookies: a browser that has logged in to the admin as a username before is not
locked out by failures of that username elsewhere (OWASP's "device cookies").

The per-username limit (mapping/admin_login.py) stops guessing one password from many
addresses, but it also lets anyone who knows a moderator's username keep that account
locked by failing from two or more addresses: a way to stop moderation on a tool that
documents surveillance. So, after a successful login, the browser gets a device cookie
bound to that username; an attempt presenting a valid one for the username it names is
not refused by the username's lock, and its failures count against the cookie's token
(as many as a client may fail), not against the username. A guesser without the cookie
still meets the username's lock; one who steals a cookie gets no more guesses than a
client. The per-client limit keeps applying to everyone.

The cookie holds a random token, an HMAC of the normalised username and the time it was
issued, signed with the secret key (Django's Signer): nothing in it names the moderator.
One whose signature, username or age does not fit is ignored, as if there were none. Only
the current secret key counts, not SECRET_KEY_FALLBACKS: a key is rotated because it may
have leaked, and whoever holds it could make cookies; moderators then log in once more.
The server keeps nothing of a cookie but its token's failure counts, under a keyed hash,
in the cache.

make_value and token_from are pure given the settings and a time, and take the username
already normalised (admin_login.normalized_username); the rest reads the request.
"""

from __future__ import annotations

import hmac
import secrets

from django.conf import settings
from django.core.signing import BadSignature, Signer, b62_decode, b62_encode

from api.clients import keyed_hash

COOKIE_NAME = "anglemort_admin_device"
SALT = "mapping.admin_device"
# A value we issue is about 110 characters; longer ones are not even checked.
MAX_VALUE_CHARS = 300
DAY_S = 86400


def lifetime_seconds() -> int:
    """How long a device cookie is honoured (and kept by the browser); 0: not at all.

    The cookies are off as well when the per-client limit is: a device is allowed as many
    failures as a client, and without that limit a stolen cookie would allow guesses
    without end."""
    if settings.ADMIN_LOGIN_FAILURES_PER_CLIENT <= 0:
        return 0
    return max(0, int(settings.ADMIN_DEVICE_COOKIE_DAYS)) * DAY_S


def _username_mac(username: str) -> str:
    return keyed_hash(f"admin-device:username:{username}")


def _signer() -> Signer:
    return Signer(key=settings.SECRET_KEY, salt=SALT, fallback_keys=[])


def make_value(username: str, now: float) -> str:
    """A new device cookie's value for this (normalised) username, with a new token."""
    token = secrets.token_urlsafe(16)
    return _signer().sign(f"{token}:{_username_mac(username)}:{b62_encode(int(now))}")


def token_from(value: str, username: str, now: float, lifetime_s: int) -> str | None:
    """The token of a device cookie we issued for this (normalised) username less than
    lifetime_s ago; None for any other value (forged, altered, another username's, too
    old), which then counts as no cookie."""
    if not value or len(value) > MAX_VALUE_CHARS or lifetime_s <= 0:
        return None
    try:
        token, mac, issued = _signer().unsign(value).split(":")
        issued_at = b62_decode(issued)
    except (BadSignature, ValueError, IndexError):
        return None
    if not hmac.compare_digest(mac, _username_mac(username)):
        return None
    if now - issued_at >= lifetime_s:
        return None
    return token


def request_token(request, username: str, now: float) -> str | None:
    """The token of the request's device cookie, if valid for this username."""
    value = request.COOKIES.get(COOKIE_NAME, "")
    return token_from(value, username, now, lifetime_seconds())


def give_cookie(response, request, username: str, now: float, path: str) -> None:
    """Set a new device cookie for this username on a successful login's response.

    HttpOnly (no script reads it), SameSite=Strict (no other site's page makes the
    browser send it), only to the admin's path, and Secure behind HTTPS."""
    lifetime_s = lifetime_seconds()
    if lifetime_s <= 0 or not username:
        return
    response.set_cookie(
        COOKIE_NAME,
        make_value(username, now),
        max_age=lifetime_s,
        path=path,
        secure=request.is_secure() or settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )
