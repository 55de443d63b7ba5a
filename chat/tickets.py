"""One-use, 30-second tickets that open an agent socket (no JWT in URLs)."""

import secrets

from django.core.cache import cache

TICKET_SECONDS = 30


def _key(ticket: str) -> str:
    return f"ticket:{ticket}"


def ticket_issue(*, user_id: int) -> str:
    ticket = secrets.token_urlsafe(32)
    cache.set(_key(ticket), user_id, TICKET_SECONDS)
    return ticket


def ticket_redeem(ticket) -> int | None:
    """The ticket's user id, once; None for a missing, bad, expired or used ticket."""
    if not isinstance(ticket, str) or not 20 <= len(ticket) <= 100:
        return None
    user_id = cache.get(_key(ticket))
    # delete() is true for exactly one caller, so a ticket opens one socket.
    if user_id is None or not cache.delete(_key(ticket)):
        return None
    return user_id
