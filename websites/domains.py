"""Website domains and browser origins: parsing, normalising and matching.

A website's `domain` is a bare host (`shop.example.com`, `localhost`, an IP)
or a wildcard `*.example.com`, which matches `example.com` and every
sub-domain. An origin matches it with any scheme and port. `allowed_origins`
are full origins, matched exactly (scheme, host and port).
"""

import ipaddress
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings

if TYPE_CHECKING:
    from .widget_cache import SiteSnapshot

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


class InvalidDomain(ValueError):
    pass


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_hostname(host: str) -> bool:
    if len(host) > 253:
        return False
    return all(_LABEL.match(label) for label in host.split("."))


def normalize_domain(value: str) -> str:
    """Lower-case, drop a trailing dot; refuse schemes, paths, ports and spaces."""
    if not isinstance(value, str):
        raise InvalidDomain("Must be a string.")
    domain = value.lower()
    if domain.endswith(".") and not domain.endswith(".."):
        domain = domain[:-1]
    if not domain:
        raise InvalidDomain("This field may not be blank.")
    if any(ch in domain for ch in " \t\r\n/:@?#\\") and not _is_ip(domain):
        raise InvalidDomain("A bare host name or IP address, without scheme, port, path or spaces.")
    if _is_ip(domain):
        return str(ipaddress.ip_address(domain))
    host = domain[2:] if domain.startswith("*.") else domain
    try:
        host = host.encode("idna").decode("ascii")  # IDN to punycode
    except UnicodeError as exc:
        raise InvalidDomain("Not a valid host name.") from exc
    if not _is_hostname(host) or (domain.startswith("*.") and "." not in host and host != "localhost"):
        raise InvalidDomain("Not a valid host name.")
    return f"*.{host}" if domain.startswith("*.") else host


def parse_origin(origin: str | None) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of an Origin header value, or None when unusable."""
    if not origin or origin == "null":
        return None
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname or parts.path not in ("", "/") or parts.query or parts.username:
        return None
    return parts.scheme.lower(), parts.hostname.lower().rstrip("."), port


def normalize_origin(value: str) -> str | None:
    """`scheme://host[:port]`, lower-cased, default port dropped; None if not an origin."""
    parsed = parse_origin(value)
    if parsed is None:
        return None
    scheme, host, port = parsed
    if not (_is_ip(host) or _is_hostname(host)):
        return None
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


def host_matches(host: str, domain: str) -> bool:
    if domain.startswith("*."):
        base = domain[2:]
        return host == base or host.endswith("." + base)
    return host == domain


DEV_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def origin_allowed(origin: str | None, *, domain: str, allowed_origins: list[str], dev: bool = False) -> bool:
    parsed = parse_origin(origin)
    if parsed is None:
        return False
    _scheme, host, _port = parsed
    if host_matches(host, domain) or (dev and host in DEV_HOSTS):
        return True
    normalized = normalize_origin(origin)
    return normalized is not None and normalized in allowed_origins


def site_allows_origin(site: "SiteSnapshot", origin: str | None) -> bool:
    """Whether a page on `origin` may use this website's widget (a site snapshot)."""
    return origin_allowed(
        origin,
        domain=site["domain"],
        allowed_origins=site["settings"].get("allowed_origins", []),
        dev=not settings.PRODUCTION,
    )
