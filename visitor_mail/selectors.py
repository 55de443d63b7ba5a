"""visitor_mail's reads: the unseen agent replies to email, a visitor's chat,
the messages an email shows. Every query is bounded by a LIMIT or by one chat.

There is no index on messages.read_at, on purpose (chat/selectors.py: one in an
index predicate would make every read receipt's UPDATE rewrite all of
messages' indexes). So the sweep starts from chats, through the chat_inbox
index (website, status, -last_message_at), a batch of websites at a time, and
looks for a chat's first unread agent reply by walking that chat's messages
along (chat, seq).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import CharField, Exists, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat

from accounts.models import User
from chat import selectors as chat_selectors
from chat.models import Chat, ChatStatus, Message, SenderType
from chat.selectors import unread_in_chat
from mail.models import EmailDelivery
from websites.models import Website

# Replies to chats quieter than this are not emailed any more.
REPLY_WINDOW = timedelta(hours=24)
WEBSITES_PER_QUERY = 200
CANDIDATES_PER_QUERY = 1000
REPLIES_SHOWN = 10
TRANSCRIPT_LIMIT = 1000


def reply_key(chat_id: int, first_seq: int) -> str:
    """One email per run of unseen replies: the run is named by its first message."""
    return f"reply:{chat_id}:{first_seq}"


@dataclass(frozen=True)
class UnseenRun:
    chat_id: int
    website_id: int
    website_name: str
    website_domain: str
    visitor_id: str
    email: str
    first_seq: int


def _candidates(website_ids: list[int], *, now: datetime, minutes: int, limit: int) -> list[UnseenRun]:
    first = unread_in_chat(SenderType.AGENT)
    emailed = EmailDelivery.objects.filter(
        key=Concat(
            Value("reply:"),
            Cast(OuterRef("id"), CharField()),
            Value(":"),
            Cast(OuterRef("first_seq"), CharField()),
            output_field=CharField(),
        )
    )
    rows = (
        Chat.objects.filter(
            website_id__in=website_ids,
            status__in=[ChatStatus.ACTIVE, ChatStatus.CLOSED],
            last_message_at__gte=now - REPLY_WINDOW,
        )
        .exclude(visitor_record__email="")
        .annotate(
            first_seq=Subquery(first.values("seq")[:1]),
            first_at=Subquery(first.values("created_at")[:1]),
        )
        .filter(first_at__lte=now - timedelta(minutes=minutes))
        .filter(~Exists(emailed))
        .order_by("last_message_at")
        .values_list(
            "id",
            "website_id",
            "website__name",
            "website__domain",
            "visitor_id",
            "visitor_record__email",
            "first_seq",
        )[:limit]
    )
    return [UnseenRun(*row) for row in rows]


def unseen_reply_runs(*, now: datetime, minutes: int) -> Iterator[UnseenRun]:
    """Chats active in the last 24 hours whose visitor left an email and has not
    read an agent's reply for `minutes`, not yet emailed about that reply, a batch
    of websites at a time (at most CANDIDATES_PER_QUERY each, oldest activity
    first). Lazy: the caller stops when it has done enough. Presence is the
    caller's to check."""
    after = 0
    while True:
        website_ids = list(
            Website.objects.filter(is_active=True, id__gt=after)
            .order_by("id")
            .values_list("id", flat=True)[:WEBSITES_PER_QUERY]
        )
        if not website_ids:
            return
        yield from _candidates(website_ids, now=now, minutes=minutes, limit=CANDIDATES_PER_QUERY)
        after = website_ids[-1]


def unseen_replies(*, chat_id: int, first_seq: int) -> tuple[list[Message], bool]:
    """The run's unread agent replies from `first_seq` (at most REPLIES_SHOWN),
    and whether there are more."""
    replies = list(
        Message.objects.select_related("attachment")
        .filter(chat_id=chat_id, seq__gte=first_seq, sender_type=SenderType.AGENT, read_at__isnull=True)
        .order_by("seq")[: REPLIES_SHOWN + 1]
    )
    return replies[:REPLIES_SHOWN], len(replies) > REPLIES_SHOWN


def agent_names(messages: list[Message]) -> dict[str, str]:
    """{sender_id: display name} of the agents who wrote these messages."""
    ids = {m.sender_id for m in messages if m.sender_type == SenderType.AGENT and m.sender_id.isdigit()}
    rows = User.objects.filter(id__in=[int(i) for i in ids]).values_list("id", "name")
    return {str(user_id): name for user_id, name in rows}


def visitor_chat(*, website_id: int, visitor_id: str, chat_id: int | None) -> Chat | None:
    """The visitor's chat with this id, or their latest one; None when not theirs."""
    chats = Chat.objects.select_related("website", "visitor_record").filter(
        website_id=website_id, visitor_id=visitor_id
    )
    if chat_id is not None:
        return chats.filter(id=chat_id).first()
    return chats.order_by("-started_at", "-id").first()


def transcript_messages(*, chat_id: int) -> tuple[list[Message], bool]:
    """The chat's messages in order (at most TRANSCRIPT_LIMIT), and whether there are more."""
    messages = chat_selectors.messages_after(chat_id=chat_id, limit=TRANSCRIPT_LIMIT + 1)
    return messages[:TRANSCRIPT_LIMIT], len(messages) > TRANSCRIPT_LIMIT


def email_exists(key: str) -> bool:
    return EmailDelivery.objects.filter(key=key).exists()


def absolute(url: str) -> str:
    """A stored file's URL as an email can use it (local storage answers a path)."""
    return f"{settings.CHATELLY_PUBLIC_URL}{url}" if url.startswith("/") else url
