"""The one place events leave the process: after commit, over the channel layer.

Group names live only here. The channel layer is a doorbell, never the source
of truth: a failed send is logged and counted, and clients catch up from the
database (PROTOCOL.md, Delivery).
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger("chatelly.realtime")

CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def _send_now(group: str, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # the doorbell failed; the data is safe in the database
        logger.warning("channel layer send to %s failed", group, exc_info=True)


def send_on_commit(group: str, event: dict) -> None:
    transaction.on_commit(lambda: _send_now(group, event))


def user_sockets_close(*, user_id: int, code: int) -> None:
    """Close every agent socket of a user (password changed, deactivated)."""
    send_on_commit(user_group(user_id), {"type": "socket.close", "code": code})


def website_group(website_id: int) -> str:
    """Every socket of a website: its agents' and its visitors'."""
    return f"website.{website_id}"


def website_widget_off(*, website_id: int) -> None:
    """The key was rotated, or the widget switched off or deleted: visitors go."""
    send_on_commit(website_group(website_id), {"type": "widget.off", "website_id": website_id})


def member_removed(*, website_id: int, user_id: int) -> None:
    """A member lost access: their agent sockets close with 4403."""
    send_on_commit(user_group(user_id), {"type": "membership.removed", "website_id": website_id})
