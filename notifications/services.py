"""Writes for agent notifications: preferences, push subscriptions, the unread
sweep (emails and pushes agents about visitor messages nobody read), and one
push's delivery.

The sweep's rules (docs/dashboard-api.md, "Notifications"):
- a chat is due for a user once its first unread visitor message is the user's
  `unread_minutes` old; only active chats with activity in the last 24 h count;
- who: the assignee while still a member, else the members with an agent
  socket open, else every member; each then by their own preferences;
- quiet hours: nothing is sent during them; a chat still unread when they end
  is notified then (the sweep simply finds it due);
- once per user and window: the window is the run of unread visitor messages
  from the first unread one, so the key `unread:<chat>:<first unread seq>:<user>`
  changes only after agents read and a new message comes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from chatelly import jobs
from chatelly.errors import Conflict, InvalidInput, NotFound
from chatelly.text import unstorable
from mail.services import queue_email

from . import push, selectors
from .models import NotificationPreference, PushDelivery, PushStatus, PushSubscription
from .selectors import MAX_MINUTES, MIN_MINUTES, Member, UnreadChat

logger = logging.getLogger("chatelly.notifications")

MAX_SUBSCRIPTIONS = 20  # per user; the oldest goes to make room
PREFERENCE_KEYS = ("email_enabled", "push_enabled", "unread_minutes", "quiet_hours", "time_zone")
PUSH_BODY_CHARS = 200
EMAIL_KIND = "agent_unread"


# --- preferences -------------------------------------------------------------------------


def _hhmm(value: object, field: str) -> time:
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        raise InvalidInput('A time as "HH:MM".', field=field)
    hours, minutes = value[:2], value[3:]
    if not (hours.isascii() and hours.isdigit() and minutes.isascii() and minutes.isdigit()):
        raise InvalidInput('A time as "HH:MM".', field=field)
    if int(hours) > 23 or int(minutes) > 59:
        raise InvalidInput('A time as "HH:MM", 00:00 to 23:59.', field=field)
    return time(int(hours), int(minutes))


def _quiet_hours(value: object) -> tuple[time | None, time | None]:
    if value is None:
        return None, None
    if not isinstance(value, dict) or set(value) != {"start", "end"}:
        raise InvalidInput('null, or an object {"start": "HH:MM", "end": "HH:MM"}.', field="quiet_hours")
    start = _hhmm(value["start"], "quiet_hours.start")
    end = _hhmm(value["end"], "quiet_hours.end")
    if start == end:
        raise InvalidInput("The end must differ from the start.", field="quiet_hours.end")
    return start, end


def _bool(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput("Must be true or false.", field=field)
    return value


def _minutes(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_MINUTES <= value <= MAX_MINUTES:
        raise InvalidInput(f"An integer from {MIN_MINUTES} to {MAX_MINUTES}.", field="unread_minutes")
    return value


def _time_zone(value: object) -> str:
    if not isinstance(value, str) or value not in selectors.time_zones():
        raise InvalidInput("An IANA time zone such as Europe/Berlin.", field="time_zone")
    return value


def _clean_preferences(changes: object) -> dict[str, Any]:
    """The model fields to set, or InvalidInput naming every bad key (unknown keys
    are refused, as a website's settings are)."""
    if not isinstance(changes, dict):
        raise InvalidInput("Must be an object.")
    fields: dict[str, Any] = {}
    errors: dict[str, str] = {}
    checks: dict[str, Callable[[object], dict[str, Any]]] = {
        "email_enabled": lambda v: {"email_enabled": _bool(v, "email_enabled")},
        "push_enabled": lambda v: {"push_enabled": _bool(v, "push_enabled")},
        "unread_minutes": lambda v: {"unread_minutes": _minutes(v)},
        "quiet_hours": lambda v: dict(zip(("quiet_start", "quiet_end"), _quiet_hours(v), strict=True)),
        "time_zone": lambda v: {"time_zone": _time_zone(v)},
    }
    for key, value in changes.items():
        check = checks.get(key)
        if check is None:
            named = isinstance(key, str) and not unstorable(key) and len(key) <= 100
            errors[key if named else "non_field_errors"] = "Unknown setting."
            continue
        try:
            fields.update(check(value))
        except InvalidInput as exc:
            errors[exc.field or key] = exc.message
    if errors:
        raise InvalidInput(details=errors)
    return fields


@transaction.atomic
def preferences_update(*, user: User, changes: object) -> selectors.Preferences:
    """Change some of the user's preferences (a partial update); the whole result."""
    fields = _clean_preferences(changes)
    row, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()
    return selectors.preferences_for(user=user)


# --- push subscriptions ------------------------------------------------------------------


@dataclass
class Subscribed:
    subscription: PushSubscription
    created: bool


def _require_push() -> None:
    if not push.configured():
        raise Conflict("Web Push is not configured on this server (no VAPID keys).")


def subscription_add(*, user: User, data: object, user_agent: str = "") -> Subscribed:
    """Keep a browser's subscription for the user. The same endpoint again is the
    same row, bound to this user now (a browser signed in as someone else);
    past MAX_SUBSCRIPTIONS the user's oldest are deleted."""
    _require_push()
    if not isinstance(data, dict):
        raise InvalidInput("Must be an object with endpoint and keys.")
    errors: dict[str, str] = {}
    endpoint, keys = None, None
    try:
        endpoint = push.check_endpoint(data.get("endpoint"))
    except InvalidInput as exc:
        errors[exc.field or "endpoint"] = exc.message
    try:
        keys = push.check_keys(data.get("keys"))
    except InvalidInput as exc:
        errors[exc.field or "keys"] = exc.message
    if errors or endpoint is None or keys is None:
        raise InvalidInput(details=errors)
    fields = {"user": user, "p256dh": keys[0], "auth": keys[1], "user_agent": user_agent[:512]}
    for _ in range(2):  # a concurrent insert of the same endpoint: then it is an update
        try:
            with transaction.atomic():
                subscription, created = PushSubscription.objects.select_for_update().update_or_create(
                    endpoint=endpoint, defaults=fields
                )
                _trim(user)
            return Subscribed(subscription, created)
        except IntegrityError:
            continue
    raise Conflict("The subscription changed concurrently; retry.")


def _trim(user: User) -> None:
    keep = PushSubscription.objects.filter(user=user).order_by("-created_at", "-id")[:MAX_SUBSCRIPTIONS]
    PushSubscription.objects.filter(user=user).exclude(
        id__in=list(keep.values_list("id", flat=True))
    ).delete()


def subscription_delete(*, user: User, subscription_id: int) -> None:
    deleted, _ = PushSubscription.objects.filter(user=user, id=subscription_id).delete()
    if not deleted:
        raise NotFound()


# --- the unread sweep --------------------------------------------------------------------


def email_key(chat: UnreadChat, user_id: int) -> str:
    return f"unread:{chat.id}:{chat.first_unread_seq}:{user_id}"


def push_key(chat: UnreadChat, user_id: int, subscription_id: int) -> str:
    return f"push:unread:{chat.id}:{chat.first_unread_seq}:{user_id}:{subscription_id}"


def chat_url(chat_id: int) -> str:
    return f"{settings.CHATELLY_PUBLIC_URL}/app/#/inbox/{chat_id}"


@dataclass
class SweepResult:
    chats: int = 0
    emails: int = 0
    pushes: int = 0


def sweep_unread(*, now: datetime | None = None) -> SweepResult:
    """Email (and push) whoever should hear about chats with unread visitor
    messages (the rules are in this module's docstring). Idempotent: a second
    run, here or on another worker, finds every key taken."""
    now = now or timezone.now()
    chats = selectors.unread_chats(now=now)
    result = SweepResult(chats=len(chats))
    if not chats:
        return result
    members = selectors.members_of(website_ids=sorted({c.website_id for c in chats}))
    everyone = sorted({m.id for group in members.values() for m in group})
    online = selectors.online_users(user_ids=everyone)
    preferences = selectors.preferences_many(user_ids=everyone)
    due = []
    for chat in chats:
        recipients = selectors.recipients(chat=chat, members=members.get(chat.website_id, []), online=online)
        told = [member for member in recipients if _due(preferences[member.id], chat, now)]
        if told:
            due.append((chat, told))
    if not due:
        return result
    # What is queued already, read once for the whole sweep: a chat stays a
    # candidate for its whole unread run, long after everyone was told.
    plans = [_Plan.of(chat, told, preferences) for chat, told in due]
    subscriptions = (
        selectors.subscriptions_of(user_ids=sorted({m.id for p in plans for m in p.pushed}))
        if push.configured()
        else {}
    )
    taken = selectors.existing_email_keys(keys=[k for p in plans for k in p.email_keys()])
    taken |= selectors.existing_push_keys(keys=[k for p in plans for k in p.push_keys(subscriptions)])
    for plan in plans:
        try:
            emails, pushes = _notify(plan, subscriptions, taken)
        except Exception:  # one chat's failure must not keep the others' notices back
            logger.exception("unread notice for chat %s failed", plan.chat.id)
            continue
        result.emails += emails
        result.pushes += pushes
    return result


def _due(preferences: selectors.Preferences, chat: UnreadChat, now: datetime) -> bool:
    if not (preferences.email_enabled or preferences.push_enabled):
        return False
    if (now - chat.first_unread_at).total_seconds() < preferences.minutes * 60:
        return False
    return not preferences.quiet_at(now)


@dataclass(frozen=True)
class _Plan:
    """One due chat: whom to email and whom to push, by their preferences."""

    chat: UnreadChat
    emailed: list[Member]
    pushed: list[Member]

    @classmethod
    def of(cls, chat: UnreadChat, told: list[Member], preferences: dict[int, selectors.Preferences]) -> _Plan:
        return cls(
            chat,
            [m for m in told if preferences[m.id].email_enabled],
            [m for m in told if preferences[m.id].push_enabled],
        )

    def email_keys(self) -> list[str]:
        return [email_key(self.chat, m.id) for m in self.emailed]

    def pushes(self, subscriptions: dict[int, list[PushSubscription]]) -> list[tuple[int, PushSubscription]]:
        return [(m.id, s) for m in self.pushed for s in subscriptions.get(m.id, [])]

    def push_keys(self, subscriptions: dict[int, list[PushSubscription]]) -> list[str]:
        return [push_key(self.chat, u, s.id) for u, s in self.pushes(subscriptions)]


def _notify(
    plan: _Plan, subscriptions: dict[int, list[PushSubscription]], taken: set[str]
) -> tuple[int, int]:
    """Queue what is not queued yet for this chat's window: (emails, pushes)."""
    chat = plan.chat
    emailed = [m for m in plan.emailed if email_key(chat, m.id) not in taken]
    pushed = [(u, s) for u, s in plan.pushes(subscriptions) if push_key(chat, u, s.id) not in taken]
    if not emailed and not pushed:
        return 0, 0
    shown = selectors.window(chat=chat)
    emails = sum(_email(chat, member, shown) for member in emailed)
    pushes = sum(_push(chat, user_id, subscription, shown) for user_id, subscription in pushed)
    return emails, pushes


def _visitor_label(shown: selectors.Window) -> str:
    return shown.visitor_name.strip() or shown.visitor_email or "A visitor"


def _email(chat: UnreadChat, member: Member, shown: selectors.Window) -> int:
    context = {
        "recipient_name": member.name,
        "website_name": shown.website_name,
        "visitor_label": _visitor_label(shown),
        "visitor_name": shown.visitor_name,
        "visitor_email": shown.visitor_email,
        "messages": shown.messages,
        "more": max(0, shown.unread_count - len(shown.messages)),
        "unread_count": shown.unread_count,
        "url": chat_url(chat.id),
    }
    try:
        with transaction.atomic():
            queue_email(
                key=email_key(chat, member.id),
                kind=EMAIL_KIND,
                to=member.email,
                template="agent_unread",
                context=context,
                # No website: that scopes visitor mail (a visitor's unsubscribe, erase
                # and export); an agent's own alerts answer only to a bounce.
            )
    except ValidationError:  # an address Django's validator refuses: nothing to send to
        logger.warning("unread notice not emailed: bad address of user %s", member.id)
        return 0
    return 1


def push_payload(chat: UnreadChat, shown: selectors.Window) -> dict[str, str]:
    last = shown.messages[-1] if shown.messages else {"content": "", "attachment": ""}
    text = " ".join(str(last["content"]).split()) or (
        f"Sent {last['attachment']}" if last["attachment"] else ""
    )
    if len(text) > PUSH_BODY_CHARS:
        text = text[: PUSH_BODY_CHARS - 1] + "…"
    return {
        "title": f"{_visitor_label(shown)} on {shown.website_name}",
        "body": text,
        "url": chat_url(chat.id),
        "tag": f"chat-{chat.id}",
    }


def _push(chat: UnreadChat, user_id: int, subscription: PushSubscription, shown: selectors.Window) -> int:
    from .tasks import send_push

    try:
        with transaction.atomic():
            delivery = PushDelivery.objects.create(
                key=push_key(chat, user_id, subscription.id),
                subscription=subscription,
                payload=push_payload(chat, shown),
            )
            jobs.on_commit(send_push, delivery.id)
    except IntegrityError:  # another sweep took this key (or the subscription just went)
        return 0
    return 1


# --- one push ------------------------------------------------------------------------------


@dataclass
class PushOutcome:
    status: str
    retry: bool = False
    error: str = ""


def _attempt(subscription: PushSubscription, payload: dict) -> PushOutcome:
    try:
        push.send(
            endpoint=subscription.endpoint,
            p256dh=subscription.p256dh,
            auth=subscription.auth,
            payload=payload,
        )
    except InvalidInput as exc:  # the host now resolves somewhere private
        return PushOutcome(PushStatus.FAILED, error=f"endpoint refused: {exc.message}")
    except push.PushFailed as exc:
        if exc.status in (404, 410):
            return PushOutcome(PushStatus.GONE, error=str(exc))
        return PushOutcome(PushStatus.QUEUED, retry=True, error=str(exc))
    return PushOutcome(PushStatus.SENT)


def push_deliver(delivery_id: int) -> PushOutcome:
    """Send one queued push at most once; a subscription the push service says is
    gone (404, 410) is deleted."""
    with transaction.atomic():
        delivery = PushDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None or delivery.status != PushStatus.QUEUED:
            return PushOutcome(delivery.status if delivery else "missing")
        subscription = delivery.subscription
        if subscription is None:
            outcome = PushOutcome(PushStatus.GONE, error="the subscription was deleted")
        elif not push.configured():
            outcome = PushOutcome(PushStatus.FAILED, error="push is not configured (no VAPID keys)")
        else:
            delivery.attempts += 1
            outcome = _attempt(subscription, delivery.payload)
        delivery.status, delivery.last_error = outcome.status, outcome.error[:2000]
        if outcome.status == PushStatus.SENT:
            delivery.sent_at = timezone.now()
        delivery.save(update_fields=["status", "attempts", "last_error", "sent_at"])
        if outcome.status == PushStatus.GONE and subscription is not None:
            subscription.delete()
    return outcome


def push_give_up(delivery_id: int, error: str) -> None:
    PushDelivery.objects.filter(pk=delivery_id, status=PushStatus.QUEUED).update(
        status=PushStatus.FAILED, last_error=error[:2000]
    )
