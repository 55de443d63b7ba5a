"""The signed links in visitor email: resume a chat in the widget, unsubscribe.

Resume: `https://<website domain>/#chatelly-resume=<token>`, the token a
TimestampSigner's over (website id, chat id, visitor id), good for
CHATELLY_RESUME_LINK_DAYS. It sits in the fragment, so the host page's server,
its logs and Referer headers never see it; the widget takes it out of the
address bar at once.

Unsubscribe: `<CHATELLY_PUBLIC_URL>/email/unsubscribe?token=<token>`, signed
over (email, website id) without an expiry: an unsubscribe link in an old
email must still work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core import signing

RESUME_SALT = "chatelly.visitor-mail.resume"
UNSUBSCRIBE_SALT = "chatelly.visitor-mail.unsubscribe"
FRAGMENT = "chatelly-resume"
MAX_TOKEN = 500  # longer than any token made here


@dataclass(frozen=True)
class Resume:
    website_id: int
    chat_id: int
    visitor_id: str


def resume_token_make(*, website_id: int, chat_id: int, visitor_id: str) -> str:
    return signing.TimestampSigner(salt=RESUME_SALT).sign_object(
        {"w": website_id, "c": chat_id, "v": visitor_id}
    )


def resume_token_read(token: object) -> Resume | None:
    """What a resume token names, or None when it is bad, tampered or expired."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
        return None
    try:
        data = signing.TimestampSigner(salt=RESUME_SALT).unsign_object(
            token, max_age=timedelta(days=settings.CHATELLY_RESUME_LINK_DAYS)
        )
    except (signing.BadSignature, ValueError):  # SignatureExpired included
        return None
    if not isinstance(data, dict):
        return None
    website_id, chat_id, visitor_id = data.get("w"), data.get("c"), data.get("v")
    if not (_is_id(website_id) and _is_id(chat_id) and isinstance(visitor_id, str)):
        return None
    return Resume(website_id, chat_id, visitor_id)


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def site_home(domain: str) -> str:
    """The website's home page from its `domain`: a bare host gets https://; a
    value with a scheme keeps it (and its port) but not its path; a wildcard
    (`*.example.com`) means the apex domain."""
    value = domain.strip()
    if value.count(":") > 1 and "://" not in value and not value.startswith("["):
        value = f"[{value}]"  # a bare IPv6 address
    parts = urlsplit(value if "://" in value else f"https://{value}")
    scheme = parts.scheme.lower() if parts.scheme.lower() in ("http", "https") else "https"
    host = parts.netloc.rsplit("@", 1)[-1].lower()
    if host.startswith("*."):
        host = host[2:]
    return f"{scheme}://{host}/"


def resume_url(*, domain: str, token: str) -> str:
    return f"{site_home(domain)}#{FRAGMENT}={token}"


def unsubscribe_token_make(*, email: str, website_id: int) -> str:
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object({"e": email.strip().lower(), "w": website_id})


def unsubscribe_token_read(token: object) -> tuple[str, int] | None:
    """(email, website id) of an unsubscribe token, or None for a bad or forged one."""
    if not isinstance(token, str) or not token or len(token) > 2 * MAX_TOKEN:
        return None
    try:
        data = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("e"), str) or not _is_id(data.get("w")):
        return None
    return data["e"], data["w"]


def unsubscribe_url(*, email: str, website_id: int) -> str:
    token = unsubscribe_token_make(email=email, website_id=website_id)
    return f"{settings.CHATELLY_PUBLIC_URL}/email/unsubscribe?{urlencode({'token': token})}"
