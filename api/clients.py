"""Who a request comes from, as the rate limits count it, without ever keeping an address.

Shared by the API's throttles (api/submissions.py) and the admin login limit
(mapping/admin_login.py), so that both see the same client behind the same proxies.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from django.conf import settings
from rest_framework.throttling import BaseThrottle


def client_bucket(address: str | None) -> str:
    """The unit a client is counted by: one IPv4 address, or one IPv6 /64 (what a single
    household or phone usually gets, and could otherwise rotate through). Without an
    address (a Unix socket) all such clients share one counter."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(getattr(ip, "ipv4_mapped", None) or ip)


def client_address(request) -> str | None:
    """The client's address as REST framework's throttles read it: REMOTE_ADDR, or the
    X-Forwarded-For entry the nearest of TRUSTED_PROXY_COUNT trusted proxies added
    (REST_FRAMEWORK["NUM_PROXIES"]). Works on a Django request as on a DRF one."""
    return BaseThrottle().get_ident(request)


def keyed_hash(ident: str) -> str:
    """An HMAC of ident keyed with the secret key, shortened to 32 hex digits: stable for
    a client, and no way back to the address (or name) without the key."""
    digest = hmac.new(settings.SECRET_KEY.encode(), ident.encode(), hashlib.sha256)
    return digest.hexdigest()[:32]
