"""One-time tokens for the links Chatelly emails (password reset, invitations).

The raw token goes only into the email; the database keeps its SHA-256, so a
leaked table opens nothing. A token is found by its hash (one indexed lookup,
no comparison of secrets in Python)."""

import hashlib
import secrets
from urllib.parse import quote

from django.conf import settings


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> tuple[str, str]:
    """(raw token for the link, its hash for the database); 256 random bits."""
    raw = secrets.token_urlsafe(32)
    return raw, token_hash(raw)


def dashboard_link(route: str, raw: str) -> str:
    """`{CHATELLY_PUBLIC_URL}/app/#/<route>?token=<raw>`: the dashboard's hash route."""
    return f"{settings.CHATELLY_PUBLIC_URL}/app/#/{route}?token={quote(raw, safe='')}"
