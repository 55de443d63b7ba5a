"""One-use, 30-second tickets that open an agent socket (no JWT in URLs).

A ticket carries the user's token version at minting: a password change or a
deactivation between minting and connecting bumps it, and the ticket is refused.
"""

import secrets

from django.core.cache import cache

from accounts.models import User

TICKET_SECONDS = 30


def _key(ticket: str) -> str:
    return f"ticket:{ticket}"


def ticket_issue(*, user_id: int, token_version: int | None = None) -> str:
    """A ticket for the user; `token_version` is the one of the token that asked
    (read from the user when not given)."""
    if token_version is None:
        token_version = User.objects.filter(id=user_id).values_list("token_version", flat=True).first()
    ticket = secrets.token_urlsafe(32)
    cache.set(_key(ticket), (user_id, token_version), TICKET_SECONDS)
    return ticket


def ticket_redeem(ticket: object) -> tuple[int, int] | None:
    """(user id, token version) once; None for a missing, bad, expired or used ticket."""
    if not isinstance(ticket, str) or not 20 <= len(ticket) <= 100:
        return None
    held = cache.get(_key(ticket))
    # delete() is true for exactly one caller, so a ticket opens one socket.
    if not isinstance(held, tuple | list) or len(held) != 2 or not cache.delete(_key(ticket)):
        return None
    return int(held[0]), held[1]
