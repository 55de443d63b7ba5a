"""The one place events leave the process: after commit, over the channel layer.

Group names live only here. The channel layer is a doorbell, never the source
of truth: a failed send is logged and counted, and clients catch up from the
database with `resume`, `sync` or `?after=` (docs/protocol.md, Delivery).

Services call the `*_on_commit` helpers inside their transaction. Inside a
`deferred()` block (consumers use one around each service call) the events
are collected at commit instead of sent, so the consumer sends them from its
event loop after answering the sender, without holding the database thread.
"""

import contextvars
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from chatelly import metrics
from chatelly.channel_layer import RedisPubSubChannelLayer
from chatelly.events import (
    AgentsPresenceEvent,
    ChatStartedFrame,
    ChatStatusFrame,
    Event,
    ForwardEvent,
    ForwardManyEvent,
    Frame,
    GroupEvent,
    MembershipEvent,
    MessageFrame,
    ReadFrame,
    SocketCloseEvent,
    TypingFrame,
    VisitorPresenceFrame,
    WidgetOffEvent,
)

logger = logging.getLogger("chatelly.realtime")

CLOSE_SERVER_ERROR = 1011
CLOSE_RESTART = 1012
CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_OVER_LIMIT = 4429

# Channels dispatches on "type": these name the consumer handlers.
FORWARD: Final = "chat.forward"  # {"frame", "exclude"?}: send the frame as is
FORWARD_MANY: Final = "chat.forward_many"  # {"items": [[frame, exclude], ...]}: several, in order
SOCKET_CLOSE: Final = "socket.close"  # {"code"}
WIDGET_OFF: Final = "widget.off"
MEMBERSHIP_REMOVED: Final = "membership.removed"  # {"website_id"}
MEMBERSHIP_ADDED: Final = "membership.added"  # {"website_id"}: open agent sockets take it on
AGENTS_PRESENCE: Final = "presence.agents"  # {"at"}: re-check agents_online with a read made after `at`

_deferred: contextvars.ContextVar[list[GroupEvent] | None] = contextvars.ContextVar(
    "chatelly_deferred_events", default=None
)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def agents_group(website_id: int) -> str:
    return f"agents.{website_id}"


def visitors_group(website_id: int) -> str:
    return f"visitors.{website_id}"


def visitor_group(website_id: int, visitor_id: str) -> str:
    return f"visitor.{website_id}.{visitor_id}"


def _count_failure(group: str) -> None:
    metrics.CHANNEL_LAYER_ERRORS.inc()
    logger.warning("channel layer send to %s failed", group, exc_info=True)


def _send_now(group: str, event: Event) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # the doorbell failed; the data is safe in the database
        _count_failure(group)


async def send(group: str, event: Event) -> None:
    """Send from async code (consumers); never raises."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await layer.group_send(group, event)
    except Exception:
        _count_failure(group)


async def dispatch(events: list[GroupEvent]) -> None:
    """Send events collected by `deferred()`: the frames for one group in one
    event, and on the Redis pub/sub layer all groups in one pipelined round trip
    (chatelly.channel_layer; its own `group_send` takes a lock and a round trip
    per event)."""
    events = coalesce(events)
    layer = get_channel_layer()
    if layer is None or not events:
        return
    if isinstance(layer, RedisPubSubChannelLayer):
        try:
            await layer.group_send_many(events)
            return
        except Exception:
            _count_failure("(pipeline)")
            return
    for group, event in events:
        await send(group, event)


def coalesce(events: list[GroupEvent]) -> list[GroupEvent]:
    """Consecutive frames for the same group become one FORWARD_MANY event; the
    order of events within each group is kept."""
    out: list[GroupEvent] = []
    open_entry: dict[str, ForwardManyEvent] = {}  # group -> its FORWARD_MANY still taking frames
    for group, event in events:
        if event["type"] != FORWARD:
            open_entry.pop(group, None)
            out.append((group, event))
            continue
        item = [event["frame"], event.get("exclude")]
        entry = open_entry.get(group)
        if entry is None:
            entry = open_entry[group] = {"type": FORWARD_MANY, "items": []}
            out.append((group, entry))
        entry["items"].append(item)
    return [
        (group, _forward(event["items"][0][0], event["items"][0][1]))
        if event["type"] == FORWARD_MANY and len(event["items"]) == 1
        else (group, event)
        for group, event in out
    ]


@contextmanager
def deferred() -> Iterator[list[GroupEvent]]:
    """Collect events committed inside this block instead of sending them."""
    events: list[GroupEvent] = []
    token = _deferred.set(events)
    try:
        yield events
    finally:
        _deferred.reset(token)


def _on_commit(group: str, event: Event) -> None:
    collector = _deferred.get()
    if collector is not None:
        transaction.on_commit(lambda: collector.append((group, event)))
    else:
        transaction.on_commit(lambda: _send_now(group, event))


def on_commit_all(events: list[GroupEvent]) -> None:
    """Many events, in order, after commit, with one commit hook (the batched writer)."""
    if not events:
        return
    collector = _deferred.get()
    if collector is not None:
        transaction.on_commit(lambda: collector.extend(events))
    else:
        transaction.on_commit(lambda: _send_all(events))


def _send_all(events: list[GroupEvent]) -> None:
    for group, event in events:
        _send_now(group, event)


def without_lone_echoes(events: list[GroupEvent], lone: set[tuple[int, str]]) -> list[GroupEvent]:
    """Drop the frames for a visitor's own group that only the socket they exclude
    (the sender) would hear: the visitor has no other tab. Asked after commit, so a
    tab that opens later reads the message with its history."""
    groups = {visitor_group(website_id, visitor_id) for website_id, visitor_id in lone}
    return [
        (group, event)
        for group, event in events
        if not (group in groups and event.get("type") == FORWARD and event.get("exclude"))
    ]


def _forward(frame: Frame, exclude: str | None = None) -> ForwardEvent:
    return {"type": FORWARD, "frame": frame, "exclude": exclude}


# --- chat events (after commit) ----------------------------------------------


def chat_started_event(*, website_id: int, chat: dict[str, Any]) -> GroupEvent:
    frame: ChatStartedFrame = {"type": "chat_started", "chat": chat}
    return agents_group(website_id), _forward(frame)


def message_events(
    *, website_id: int, visitor_id: str, message: dict[str, Any], exclude: str | None = None
) -> list[GroupEvent]:
    frame: MessageFrame = {"type": "message", "message": message}
    return [
        (agents_group(website_id), _forward(frame, exclude)),
        (visitor_group(website_id, visitor_id), _forward(frame, exclude)),
    ]


def chat_status_on_commit(
    *, website_id: int, visitor_id: str, chat_id: int, status: str, assigned_to: int | None
) -> None:
    frame: ChatStatusFrame = {
        "type": "chat_status",
        "chat_id": chat_id,
        "status": status,
        "assigned_to": assigned_to,
    }
    _on_commit(agents_group(website_id), _forward(frame))
    _on_commit(visitor_group(website_id, visitor_id), _forward(frame))


def read_on_commit(
    *, website_id: int, visitor_id: str, chat_id: int, by: str, seq: int, exclude: str | None = None
) -> None:
    frame: ReadFrame = {"type": "read", "chat_id": chat_id, "by": by, "seq": seq}
    target = agents_group(website_id) if by == "visitor" else visitor_group(website_id, visitor_id)
    _on_commit(target, _forward(frame, exclude))


# --- events without a transaction (sent at once, from consumers) ----------------


async def typing(
    *,
    website_id: int,
    visitor_id: str,
    chat_id: int,
    sender: str,
    is_typing: bool,
    exclude: str | None = None,
) -> None:
    frame: TypingFrame = {"type": "typing", "chat_id": chat_id, "from": sender, "is_typing": is_typing}
    target = agents_group(website_id) if sender == "visitor" else visitor_group(website_id, visitor_id)
    await send(target, _forward(frame, exclude))


async def visitor_presence(*, website_id: int, chat_id: int, visitor_id: str, online: bool) -> None:
    frame: VisitorPresenceFrame = {
        "type": "visitor_presence",
        "chat_id": chat_id,
        "visitor_id": visitor_id,
        "online": online,
    }
    await send(agents_group(website_id), _forward(frame))


async def agents_presence_changed(*, website_ids: list[int]) -> None:
    for website_id in website_ids:
        event: AgentsPresenceEvent = {"type": AGENTS_PRESENCE, "at": time.time()}
        await send(visitors_group(website_id), event)


# --- access changes (after commit) ----------------------------------------------


def user_sockets_close(*, user_id: int, code: int) -> None:
    """Close every agent socket of a user (password changed, deactivated)."""
    event: SocketCloseEvent = {"type": SOCKET_CLOSE, "code": code}
    _on_commit(user_group(user_id), event)


def website_widget_off(*, website_id: int) -> None:
    """The key was rotated, or the widget switched off or deleted: visitors go."""
    event: WidgetOffEvent = {"type": WIDGET_OFF}
    _on_commit(visitors_group(website_id), event)


def member_added(*, website_id: int, user_id: int) -> None:
    """A new website of the user's (created, or joined as a member): their open
    agent sockets start receiving its events without a reconnect."""
    event: MembershipEvent = {"type": MEMBERSHIP_ADDED, "website_id": website_id}
    _on_commit(user_group(user_id), event)


def member_removed(*, website_id: int, user_id: int) -> None:
    """A member lost access: their agent sockets close with 4403."""
    event: MembershipEvent = {"type": MEMBERSHIP_REMOVED, "website_id": website_id}
    _on_commit(user_group(user_id), event)
