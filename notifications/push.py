"""Web Push (RFC 8030, encrypted per RFC 8291, VAPID per RFC 8292) to the
dashboard's browsers, straight to each browser's push service.

Subscription endpoints come from browsers, so the server would POST wherever a
client says: only https URLs whose host resolves to public addresses are
taken (CHATELLY_PUSH_ALLOW_PRIVATE lifts it for tests), checked again before
every send, and redirects are not followed. A send connects to the address that
check resolved, never to what DNS says a moment later (DNS rebinding); TLS still
verifies the certificate against the endpoint's host name.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
import socket
from urllib.parse import urlsplit, urlunsplit

import requests
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush
from requests.adapters import HTTPAdapter

from chatelly.errors import InvalidInput

MAX_ENDPOINT = 2048
P256DH_BYTES, AUTH_BYTES = 65, 16
TTL_SECONDS = 12 * 3600  # a push service keeps an undelivered notification this long
TIMEOUT_SECONDS = 10
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")
_URL_CHARS = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no space


def configured() -> bool:
    return bool(settings.CHATELLY_VAPID_PUBLIC_KEY and settings.CHATELLY_VAPID_PRIVATE_KEY)


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


# --- what a browser sends ----------------------------------------------------------


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one leads to on the way (mapped, 6to4, NAT64)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in network for network in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _public(address: str) -> bool:
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None and not _public(str(embedded)):
            return False  # a gateway would carry it to a private IPv4 address
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _addresses(host: str, port: int) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return [str(info[4][0]) for info in infos]


def check_endpoint(value: object) -> str:
    """The endpoint when the server may POST to it; InvalidInput naming `endpoint` otherwise."""
    return _checked(value)[0]


def _checked(value: object) -> tuple[str, list[str]]:
    """(endpoint, the addresses its host resolved to, all public) or InvalidInput."""
    if not isinstance(value, str) or not value:
        raise InvalidInput("Must be a URL.", field="endpoint")
    if len(value) > MAX_ENDPOINT:
        raise InvalidInput(f"At most {MAX_ENDPOINT} characters.", field="endpoint")
    try:
        parts = urlsplit(value)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidInput("Must be a URL.", field="endpoint") from None
    allow_private = settings.CHATELLY_PUSH_ALLOW_PRIVATE
    schemes = ("https", "http") if allow_private else ("https",)
    if not _URL_CHARS.fullmatch(value) or not parts.hostname or parts.username or parts.password:
        raise InvalidInput("Must be a URL.", field="endpoint")
    if parts.scheme not in schemes:
        raise InvalidInput("Must be an https URL.", field="endpoint")
    addresses = _addresses(parts.hostname, port)
    if allow_private:
        return value, addresses  # tests: whatever it resolves to, even nothing
    if not addresses:
        raise InvalidInput("The host does not resolve.", field="endpoint")
    if not all(_public(address) for address in addresses):
        raise InvalidInput("The host is not a public address.", field="endpoint")
    return value, addresses


def _key(value: object, field: str, size: int) -> str:
    if not isinstance(value, str) or not _BASE64URL.fullmatch(value) or len(value) > 200:
        raise InvalidInput("Must be base64url.", field=field)
    try:
        raw = b64url_decode(value.rstrip("="))
    except (binascii.Error, ValueError):
        raise InvalidInput("Must be base64url.", field=field) from None
    if len(raw) != size:
        raise InvalidInput(f"Must be {size} bytes, base64url encoded.", field=field)
    return value.rstrip("=")


def check_keys(value: object) -> tuple[str, str]:
    """(p256dh, auth), unpadded; p256dh must be a point on P-256 (else every send would fail)."""
    if not isinstance(value, dict):
        raise InvalidInput("Must be an object with p256dh and auth.", field="keys")
    p256dh = _key(value.get("p256dh"), "keys.p256dh", P256DH_BYTES)
    auth = _key(value.get("auth"), "keys.auth", AUTH_BYTES)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(p256dh))
    except ValueError:
        raise InvalidInput("Not a P-256 public key.", field="keys.p256dh") from None
    return p256dh, auth


# --- sending -------------------------------------------------------------------------


class _PinnedAddress(HTTPAdapter):
    """Sends a request for `host` to `address`, the one that was checked: the URL
    names the address, the Host header and TLS (SNI, certificate name) the host."""

    def __init__(self, host: str, address: str) -> None:
        self.host, self.address = host, address
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        # Kept by https pools only (urllib3 drops TLS keywords for http ones).
        kwargs.update(server_hostname=self.host, assert_hostname=self.host)
        super().init_poolmanager(*args, **kwargs)

    def send(self, request, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        parts = urlsplit(request.url)
        if parts.hostname != self.host:
            raise requests.ConnectionError(f"not the checked host: {parts.hostname}")
        address = f"[{self.address}]" if ":" in self.address else self.address
        request.headers["Host"] = parts.netloc
        request.url = urlunsplit(parts._replace(netloc=f"{address}:{parts.port}" if parts.port else address))
        return super().send(request, *args, **kwargs)


class _NoRedirects(requests.Session):
    """A push service answers; it never sends us elsewhere (that would bypass the checks)."""

    def __init__(self, host: str | None = None, address: str | None = None) -> None:
        super().__init__()
        self.trust_env = False  # no proxy or .netrc credentials from the environment
        if host and address and host != address:
            for prefix in ("https://", "http://"):
                self.mount(prefix, _PinnedAddress(host, address))

    def request(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        kwargs["allow_redirects"] = False
        return super().request(method, url, *args, **kwargs)


class PushFailed(Exception):
    """The push service answered above 202 (`status`), or could not be reached (`status` None)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def send(*, endpoint: str, p256dh: str, auth: str, payload: dict) -> None:
    """POST one encrypted notification (aes128gcm) signed with the VAPID key.
    PushFailed when the push service refuses it or cannot be reached,
    InvalidInput when the endpoint is no longer acceptable."""
    _, addresses = _checked(endpoint)
    vapid = Vapid02.from_raw(settings.CHATELLY_VAPID_PRIVATE_KEY.encode("ascii"))
    try:
        _post(vapid, endpoint, addresses[0] if addresses else None, p256dh, auth, payload)
    except WebPushException as exc:
        raise PushFailed(f"push service answered {exc.status_code}", exc.status_code) from None
    except requests.RequestException as exc:
        raise PushFailed(f"{type(exc).__name__}: {exc}") from None


def _post(vapid: Vapid02, endpoint: str, address: str | None, p256dh: str, auth: str, payload: dict) -> None:
    with _NoRedirects(urlsplit(endpoint).hostname, address) as session:
        webpush(
            subscription_info={"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
            data=json.dumps(payload, ensure_ascii=False),
            vapid_private_key=vapid,
            vapid_claims={"sub": settings.CHATELLY_VAPID_SUBJECT},
            content_encoding="aes128gcm",
            ttl=TTL_SECONDS,
            timeout=TIMEOUT_SECONDS,
            requests_session=session,
        )


def new_key_pair() -> tuple[str, str]:
    """(public, private) VAPID keys as raw base64url: the 65-byte uncompressed
    point and the 32-byte private scalar (what the settings take)."""
    from cryptography.hazmat.primitives import serialization

    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url_encode(public), b64url_encode(private.private_numbers().private_value.to_bytes(32, "big"))
