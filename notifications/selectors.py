"""Reads for agent notifications: preferences (with their defaults), the chats
the unread sweep looks at, who gets told, and the push subscriptions."""

from __future__ import annotations

import logging
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cache

from django.conf import settings
from django.db.models import QuerySet, Subquery

from accounts.models import User
from chat import presence
from chat.models import LAST_ACTIVITY, Chat, ChatStatus, Message, SenderType
from chat.selectors import unread_in_chat
from mail.models import EmailDelivery
from websites.models import Membership, Website

from .models import NotificationPreference, PushDelivery, PushSubscription

logger = logging.getLogger("chatelly.notifications")

MIN_MINUTES, MAX_MINUTES = 1, 1440
# Chats whose last activity is older than this are not looked at (the sweep's
# bound): the longest wait a user can choose, plus quiet hours that may hold the
# notice for up to a day more, plus slack for a sweep that ran late.
LOOKBACK = timedelta(minutes=MAX_MINUTES) + timedelta(hours=24) + timedelta(hours=1)
WEBSITE_CHUNK = 500  # website ids per query of the sweep
MESSAGES_SHOWN = 10


@cache
def time_zones() -> frozenset[str]:
    """The IANA zones this host knows (the API's enum, so the schema says exactly what is taken)."""
    names = set()
    for name in zoneinfo.available_timezones():
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # listed but unloadable: not offered
            continue
        names.add(name)
    return frozenset(names)


def _zone(name: str) -> zoneinfo.ZoneInfo:
    """The user's zone; UTC if this host's time zone data no longer has it (a
    stored name must not stop the sweep for everybody)."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        logger.warning("unknown time zone %r in notification preferences: read as UTC", name)
        return zoneinfo.ZoneInfo("UTC")


@dataclass(frozen=True)
class Preferences:
    email_enabled: bool = True
    push_enabled: bool = True
    unread_minutes: int | None = None  # None: the server's default
    quiet_start: time | None = None
    quiet_end: time | None = None
    time_zone: str = "UTC"

    @property
    def minutes(self) -> int:
        return self.unread_minutes or settings.CHATELLY_NOTIFY_DEFAULT_MINUTES

    def quiet_at(self, now: datetime) -> bool:
        """Whether `now` falls in the quiet hours, read on the user's clock; start
        after end spans midnight (22:00-07:00)."""
        if self.quiet_start is None or self.quiet_end is None:
            return False
        local = now.astimezone(_zone(self.time_zone)).time().replace(tzinfo=None)
        if self.quiet_start < self.quiet_end:
            return self.quiet_start <= local < self.quiet_end
        return local >= self.quiet_start or local < self.quiet_end

    def as_dict(self) -> dict:
        quiet = None
        if self.quiet_start is not None and self.quiet_end is not None:
            quiet = {"start": self.quiet_start.strftime("%H:%M"), "end": self.quiet_end.strftime("%H:%M")}
        return {
            "email_enabled": self.email_enabled,
            "push_enabled": self.push_enabled,
            "unread_minutes": self.minutes,
            "quiet_hours": quiet,
            "time_zone": self.time_zone,
        }


def _from_row(row: NotificationPreference) -> Preferences:
    return Preferences(
        email_enabled=row.email_enabled,
        push_enabled=row.push_enabled,
        unread_minutes=row.unread_minutes,
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        time_zone=row.time_zone,
    )


def preferences_for(*, user: User) -> Preferences:
    row = NotificationPreference.objects.filter(user=user).first()
    return Preferences() if row is None else _from_row(row)


def preferences_many(*, user_ids: list[int]) -> dict[int, Preferences]:
    """{user id: preferences} for every id given (the defaults where no row exists)."""
    rows = {
        row.user_id: _from_row(row) for row in NotificationPreference.objects.filter(user_id__in=user_ids)
    }
    return {user_id: rows.get(user_id, Preferences()) for user_id in user_ids}


# --- the unread sweep --------------------------------------------------------------


@dataclass(frozen=True)
class UnreadChat:
    id: int
    website_id: int
    assigned_to_id: int | None
    first_unread_seq: int
    first_unread_at: datetime


def unread_chats_query(
    *, website_ids: list[int], now: datetime
) -> QuerySet[Chat, tuple[int, int, int | None, int, datetime]]:
    """These websites' active chats active in the last 24 h whose first visitor
    message no agent has read is at least MIN_MINUTES old.

    The chat_activity index (website, last activity) gives the recent chats; the
    first unread message comes from one subquery per chat walking (chat, seq),
    as chat.selectors counts unread ones (no index on read_at: see there)."""
    first_unread = unread_in_chat(SenderType.VISITOR)
    return (
        Chat.objects.filter(website_id__in=website_ids, status=ChatStatus.ACTIVE)
        .alias(activity=LAST_ACTIVITY)
        .filter(activity__gte=now - LOOKBACK)
        .annotate(
            first_seq=Subquery(first_unread.values("seq")[:1]),
            first_at=Subquery(first_unread.values("created_at")[:1]),
        )
        .filter(first_at__lte=now - timedelta(minutes=MIN_MINUTES))
        .values_list("id", "website_id", "assigned_to_id", "first_seq", "first_at")
    )


def unread_chats(*, now: datetime) -> list[UnreadChat]:
    """unread_chats_query over every active website, a chunk of websites per query."""
    website_ids = list(Website.objects.filter(is_active=True).order_by("id").values_list("id", flat=True))
    found: list[UnreadChat] = []
    for start in range(0, len(website_ids), WEBSITE_CHUNK):
        rows = unread_chats_query(website_ids=website_ids[start : start + WEBSITE_CHUNK], now=now)
        found.extend(UnreadChat(*row) for row in rows)
    return found


@dataclass(frozen=True)
class Member:
    id: int
    email: str
    name: str


def members_of(*, website_ids: list[int]) -> dict[int, list[Member]]:
    """{website id: its active members}, in one query."""
    rows = (
        Membership.objects.filter(website_id__in=website_ids, user__is_active=True)
        .order_by("website_id", "user_id")
        .values_list("website_id", "user_id", "user__email", "user__name")
    )
    members: dict[int, list[Member]] = {}
    for website_id, user_id, email, name in rows:
        members.setdefault(website_id, []).append(Member(user_id, email, name))
    return members


def online_users(*, user_ids: list[int]) -> set[int]:
    """Those of these users with an agent socket connected now; nobody when
    presence cannot be read (then every member is told, rather than no one)."""
    try:
        return presence.agent_users_online(sorted(set(user_ids)))
    except Exception:  # Redis down: the sweep goes on without presence
        logger.warning("presence unavailable; notifying every member", exc_info=True)
        return set()


def recipients(*, chat: UnreadChat, members: list[Member], online: set[int]) -> list[Member]:
    """Whom a chat's unread messages are told to: its assignee while a member,
    else the members online, else every member."""
    assigned = [m for m in members if m.id == chat.assigned_to_id]
    if assigned:
        return assigned
    return [m for m in members if m.id in online] or members


@dataclass(frozen=True)
class Window:
    """What the email and the push show of a chat's unread visitor messages."""

    website_name: str
    visitor_name: str
    visitor_email: str
    messages: list[dict]  # the newest MESSAGES_SHOWN, oldest first
    unread_count: int


def window(*, chat: UnreadChat) -> Window:
    unread = Message.objects.filter(
        chat_id=chat.id, sender_type=SenderType.VISITOR, read_at__isnull=True, seq__gte=chat.first_unread_seq
    )
    newest = list(unread.select_related("attachment").order_by("-seq")[:MESSAGES_SHOWN])
    newest.reverse()
    website_name, visitor_name, visitor_email = (
        Chat.objects.filter(id=chat.id)
        .values_list("website__name", "visitor_record__name", "visitor_record__email")
        .get()
    )
    shown = [
        {
            "content": m.content,
            "attachment": m.attachment.name if m.attachment_id and m.attachment else "",
            "at": m.created_at,
        }
        for m in newest
    ]
    count = len(newest) if len(newest) < MESSAGES_SHOWN else unread.count()
    return Window(website_name, visitor_name, visitor_email, shown, count)


KEYS_PER_QUERY = 1000


def _existing_keys(model: type[EmailDelivery] | type[PushDelivery], keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[start : start + KEYS_PER_QUERY]
        found.update(model.objects.filter(key__in=chunk).values_list("key", flat=True))
    return found


def existing_email_keys(*, keys: list[str]) -> set[str]:
    return _existing_keys(EmailDelivery, keys)


def existing_push_keys(*, keys: list[str]) -> set[str]:
    return _existing_keys(PushDelivery, keys)


def subscriptions_of(*, user_ids: list[int]) -> dict[int, list[PushSubscription]]:
    subscriptions: dict[int, list[PushSubscription]] = {}
    for subscription in PushSubscription.objects.filter(user_id__in=user_ids).order_by("id"):
        subscriptions.setdefault(subscription.user_id, []).append(subscription)
    return subscriptions


def push_public_key() -> str | None:
    """The VAPID public key browsers subscribe with, or None when push is not configured."""
    if settings.CHATELLY_VAPID_PUBLIC_KEY and settings.CHATELLY_VAPID_PRIVATE_KEY:
        return settings.CHATELLY_VAPID_PUBLIC_KEY
    return None
