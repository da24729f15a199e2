"""Cached, revalidatable answers for the map's read endpoints (camera pages, density).

A map is read far more than it is written, and many readers look at the same places:
the front end asks for areas snapped to the tile grid (static/js/geo.js), so two people
looking at the same district send the same request. Those answers are stored in the
"responses" cache (Django's cache framework: files shared by the workers of one host by
default, Redis or Memcached across hosts), keyed by the camera data token
(mapping/data_version.py) and the request, so an answer is reused only while the data
it came from is unchanged. They carry an ETag made of the same two things, so browsers
and reverse proxies revalidate with a conditional request that costs one primary-key
lookup and no body.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from functools import wraps
from importlib import metadata

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers

from mapping.data_version import camera_data_token


def _package_version() -> str:
    try:
        return metadata.version("angle-mort")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unversioned"


# Browsers and proxies may store the answer but must revalidate it before each use.
CACHE_CONTROL = "public, no-cache"
CACHE_STATUS_HEADER = "X-Cache"
CACHE_ALIAS = "responses"
CODE_VERSION = _package_version()


def request_key(request: HttpRequest) -> str:
    """What makes two requests the same question: which database, where, what, which format.

    Query parameters are sorted (their order means nothing to the API); the host and
    scheme are part of it because pages link to their neighbours with absolute URLs.
    """
    query = sorted((name, value) for name in request.GET for value in request.GET.getlist(name))
    database = connection.settings_dict
    return "|".join(
        (
            f"{database['HOST']}:{database['PORT']}/{database['NAME']}",
            _answer_shape(),
            request.scheme or "",
            request.get_host(),
            request.path,
            repr(query),
            request.headers.get("Accept", ""),
        )
    )


def _answer_shape() -> str:
    """The code version and the settings that shape an answer: after an upgrade or a change
    of page size or box limit, answers stored before are not those of the same question."""
    return "|".join(
        (
            CODE_VERSION,
            str(settings.API_PAGE_SIZE),
            str(settings.API_MAX_PAGE_SIZE),
            str(settings.API_MAX_BBOX_AREA_DEG2),
        )
    )


def answer_digest(token: str, key: str) -> str:
    """Names one answer to one question about one state of the data: the ETag's value and
    the cache key."""
    return hashlib.sha256(f"{token}|{key}".encode()).hexdigest()[:32]


def _matches(if_none_match: str, etag: str) -> bool:
    """Whether the client holds this answer. Not for "*" ("any answer you have"): the tag is
    made before the view runs, so a request the view refuses (a bad filter, a page past the
    last) would get a 304 as though it had an answer; it is computed, and refused, instead."""
    candidates = {value.strip().removeprefix("W/") for value in if_none_match.split(",")}
    return etag in candidates


def cached_by_camera_data(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a read-only view: answer from the cache while the data are unchanged.

    The token is read before the view runs, so a stored answer is never older than the
    token it is filed under. Only 200 answers are stored, up to API_RESPONSE_CACHE_MAX_KB;
    errors are always computed afresh. X-Cache says how the answer was made: "hit" (from
    the store), "miss" (computed and stored), "pass" (computed and not stored, see
    _worth_storing), "revalidated" (304) or "off" (no store configured).
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        digest = answer_digest(camera_data_token(), request_key(request))
        etag = f'"{digest}"'
        if _matches(request.headers.get("If-None-Match", ""), etag):
            response = HttpResponseNotModified()
            _label(response, etag, "revalidated")
            return response
        store = caches[CACHE_ALIAS] if settings.API_RESPONSE_CACHE else None
        cache_key = f"answer:{digest}"
        stored = store.get(cache_key) if store is not None else None
        if stored is not None:
            content_type, body = stored
            response = HttpResponse(body, content_type=content_type)
            _label(response, etag, "hit")
            return response
        started = time.perf_counter()
        response = view(request, *args, **kwargs)
        if response.status_code != 200 or response.streaming:
            return response
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
        computed_ms = (time.perf_counter() - started) * 1000
        if store is None:
            status = "off"
        elif _worth_storing(computed_ms, len(response.content)):
            store.set(cache_key, (response["Content-Type"], response.content))
            status = "miss"
        else:
            status = "pass"  # computed, not kept: an operator sees why it never hits
        _label(response, etag, status)
        return response

    return wrapped


def _worth_storing(computed_ms: float, size: int) -> bool:
    """Whether keeping an answer can save more than it costs.

    Storing costs about a millisecond (a file created, or a round trip to Redis) and its
    compression more; an answer computed in less than API_RESPONSE_CACHE_MIN_MS (a
    street-level count read from the stored per-cell sums, about 1 ms) would cost more to
    store than a later hit saves, and most such answers are never asked for again. Under
    the load test of readers each looking somewhere else, storing every answer took a
    fifth of the workers' time. Answers over API_RESPONSE_CACHE_MAX_KB are not kept either.
    """
    return (
        computed_ms >= settings.API_RESPONSE_CACHE_MIN_MS
        and size <= settings.API_RESPONSE_CACHE_MAX_KB * 1024
    )


def _label(response: HttpResponse, etag: str, status: str) -> None:
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    response[CACHE_STATUS_HEADER] = status
    patch_vary_headers(response, ("Accept",))
