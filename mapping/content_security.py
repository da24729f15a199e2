"""Content-Security-Policy for every HTML page we serve, so that injected markup cannot run.

The map page writes its own policy (mapping/views.py). Every other HTML answer gets one
from ContentSecurityPolicyMiddleware:

- Admin pages (moderators' sessions are the prize there): scripts only from our origin or
  carrying this response's nonce, styles only from our origin, images from us, data: and
  the tile server (django-leaflet's map widget). Django 5.2's admin templates put no
  script or style inline; django-leaflet's widget renders two inline scripts a map,
  which carry the nonce: its admin reads ``request.csp_nonce`` (django-csp's name), set
  here. Leaflet positions its panes through element.style, which no policy governs.
- Other HTML (DRF's browsable API, the API docs, error pages): scripts from our origin
  only, but inline styles allowed, as DRF's templates and Swagger UI's carry style
  attributes and a <style> block that we would have to copy to change.

Non-HTML answers (JSON, GeoJSON, CSV, GPX, JavaScript) get none: a browser runs nothing
in them.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

HEADER = "Content-Security-Policy"
# The attribute django-leaflet (and django-csp) read the nonce from.
NONCE_ATTRIBUTE = "csp_nonce"


def tile_origin(tile_url: str) -> str:
    """The origin a Content-Security-Policy must allow for the tile template URL.

    A ``{s}`` sub-domain placeholder becomes a wildcard; a relative URL (a tile we
    serve ourselves, as in the tests) needs nothing beyond 'self'.
    """
    parts = urlsplit(tile_url)
    if not parts.scheme or not parts.netloc:
        return ""
    host = parts.netloc.replace("{s}", "*")
    return f"{parts.scheme}://{host}"


def policy(
    *,
    scripts: tuple[str, ...] = (),
    styles: tuple[str, ...] = (),
    images: tuple[str, ...] = (),
) -> str:
    """Same origin by default; each argument adds sources to one directive.

    Nothing may embed our pages, plugins are off, and forms post and <base> point only
    to us. Empty sources (a relative tile URL has no origin) are left out.
    """

    def directive(name: str, *parts: str) -> str:
        return " ".join([name, *(part for part in parts if part)])

    return "; ".join(
        [
            "default-src 'self'",
            directive("script-src", "'self'", *scripts),
            directive("style-src", "'self'", *styles),
            directive("img-src", "'self'", "data:", *images),
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def admin_policy(nonce: str, tiles: str) -> str:
    """The admin's: its inline scripts need this response's nonce, its maps the tiles."""
    return policy(scripts=(f"'nonce-{nonce}'",), images=(tiles,))


def page_policy() -> str:
    """Other HTML pages (browsable API, API docs, error pages): inline styles allowed."""
    return policy(styles=("'unsafe-inline'",))


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def is_html(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


class ContentSecurityPolicyMiddleware:
    """Gives each request a nonce (made only if a template or the header asks for it) and
    each HTML answer without a policy the admin's or the general one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        setattr(request, NONCE_ATTRIBUTE, SimpleLazyObject(new_nonce))
        response = self.get_response(request)
        if HEADER in response or not is_html(response):
            return response
        if request.path.startswith(reverse("admin:index")):
            nonce = str(getattr(request, NONCE_ATTRIBUTE))
            response[HEADER] = admin_policy(nonce, tile_origin(settings.TILE_URL))
        else:
            response[HEADER] = page_policy()
        return response
