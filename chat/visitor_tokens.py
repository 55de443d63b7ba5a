"""Visitor tokens: a visitor id signed for one website (kept in localStorage)."""

from django.core import signing

SALT = "chatelly.visitor-token"


def visitor_token_make(*, website_id: int, visitor_id: str) -> str:
    return signing.dumps({"w": website_id, "v": visitor_id}, salt=SALT)


def visitor_token_read(token, *, website_id: int) -> str | None:
    """The visitor id, or None for a bad token or one of another website."""
    if not isinstance(token, str) or not token or len(token) > 500:
        return None
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("w") != website_id or not isinstance(data.get("v"), str):
        return None
    return data["v"]
