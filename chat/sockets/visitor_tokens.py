"""Visitor tokens: a visitor id signed for one website (kept in localStorage).

A token is good for CHATELLY_VISITOR_TOKEN_DAYS from when it was signed; the
visitor socket signs a fresh one into every `session` frame, so a visitor who
comes back within that time keeps their id, and a leaked token stops working.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing

SALT = "chatelly.visitor-token"


def visitor_token_make(*, website_id: int, visitor_id: str) -> str:
    return signing.dumps({"w": website_id, "v": visitor_id}, salt=SALT)


def visitor_token_read(token: object, *, website_id: int) -> str | None:
    """The visitor id, or None for a bad or expired token or one of another website."""
    if not isinstance(token, str) or not token or len(token) > 500:
        return None
    try:
        data = signing.loads(token, salt=SALT, max_age=timedelta(days=settings.CHATELLY_VISITOR_TOKEN_DAYS))
    except signing.BadSignature:  # SignatureExpired included
        return None
    if not isinstance(data, dict) or data.get("w") != website_id or not isinstance(data.get("v"), str):
        return None
    return data["v"]
