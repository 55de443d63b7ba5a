"""The client's IP address, for HTTP requests and WebSocket scopes alike.

`X-Forwarded-For` is trusted only through `CHATELLY_TRUSTED_PROXY_COUNT` hops:
each trusted proxy appends the address it saw, so the client is the N-th entry
from the right. With 0 (the default) the header is ignored, so a spoofed one
changes nothing.
"""

import ipaddress

from django.conf import settings

UNKNOWN_IP = "0.0.0.0"  # noqa: S104 (what resolve_client_ip answers when it cannot tell)


def _valid_ip(value: str) -> str | None:
    value = value.strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def resolve_client_ip(remote_addr: str | None, forwarded_for: str | None) -> str:
    trusted = settings.CHATELLY_TRUSTED_PROXY_COUNT
    fallback = _valid_ip(remote_addr or "") or UNKNOWN_IP
    if trusted <= 0 or not forwarded_for:
        return fallback
    hops = [hop for hop in (part.strip() for part in forwarded_for.split(",")) if hop]
    if not hops:
        return fallback
    candidate = hops[-trusted] if len(hops) >= trusted else hops[0]
    return _valid_ip(candidate) or fallback


def is_internal_ip(value: str | None) -> bool:
    """Loopback or a private network. An unknown address (none, unparsable, or
    unspecified like 0.0.0.0 and ::, as behind a unix socket) is not: it might
    be anyone, so it gets what the public gets."""
    try:
        ip = ipaddress.ip_address((value or "").strip())
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_unspecified:
        return False
    return ip.is_loopback or ip.is_private


def client_ip_for_request(request) -> str:
    return resolve_client_ip(request.META.get("REMOTE_ADDR"), request.META.get("HTTP_X_FORWARDED_FOR"))


def client_ip_for_scope(scope) -> str:
    remote = (scope.get("client") or [None])[0]
    forwarded = None
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-for":
            forwarded = value.decode("latin-1")
    return resolve_client_ip(remote, forwarded)
