"""Writes on visitors: the connect (made or renewed, on the event loop when it
can), the visit's end, identify and page views. Each runs in one transaction
and records its analytics events."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from analytics.models import EventType
from analytics.services import events_record, events_record_committed
from chat import selectors
from chat.errors import invalid
from chat.models import Chat, Message, Visitor, new_session_id, new_visitor_id
from chat.writer import statements
from chatelly import async_db, db

logger = logging.getLogger("chatelly.chat")

VISIT_GAP = timedelta(minutes=30)


# --- visitors ------------------------------------------------------------------


@dataclass
class VisitorSession:
    visitor: Visitor
    chat: Chat | None
    history: list[Message]
    # The visit is renewed but the visitor's active chat is still to be read
    # (visitor_chat_session, in the database thread).
    chat_to_load: bool = False


def visitor_session(*, website_id: int, visitor_id: str, known: bool, user_agent: str = "") -> VisitorSession:
    """What a visitor socket needs at connect, in one trip to the database thread:
    the visitor (made or renewed), its active chat and that chat's latest messages.
    A visitor just made (`known` false: no valid token) has no chat to look for."""
    visitor, may_have_chat = _visitor_connect(
        website_id=website_id, visitor_id=visitor_id, user_agent=user_agent, known=known
    )
    return visitor_chat_session(visitor=visitor) if may_have_chat else VisitorSession(visitor, None, [])


def visitor_chat_session(*, visitor: Visitor) -> VisitorSession:
    """The session of a visitor whose visit is renewed: its active chat, if any, and
    that chat's latest messages."""
    chat = selectors.active_chat_for_visitor(website_id=visitor.website_id, visitor=visitor)
    history = selectors.messages_latest(chat_id=chat.id) if chat else []
    return VisitorSession(visitor, chat, history)


async def visitor_session_on_loop(
    *, website_id: int, visitor_id: str, known: bool, user_agent: str = ""
) -> VisitorSession | None:
    """visitor_session's visit in one autocommit statement on the event loop (no trip
    to the database thread): a new visitor, or a returning one renewed (with
    `chat_to_load` when it has an active chat: visitor_chat_session reads it). None
    for anything else (a token's visitor whose row is gone, SQLite, a database
    error): visitor_session answers it."""
    if not async_db.available():
        return None
    now = timezone.now()
    try:
        if known:
            sql, params = statements.visitor_returns_statement(
                **_renewal(website_id, visitor_id, user_agent, now)
            )
            returned = statements.visitor_returned(await async_db.fetch(sql, params))
            if returned is None:
                return None
            visitor, active_chat_id = returned
        else:
            visitor = Visitor(website_id=website_id, visitor_id=visitor_id, user_agent=user_agent[:512])
            sql, values = statements.insert_statement(visitor, using=async_db.unconnected_wrapper())
            statements.inserted(visitor, (await async_db.fetch(sql, values))[0][0])
            active_chat_id = None
    except async_db.DatabaseError:
        logger.warning("visitor connect on the event loop failed; the database thread retries", exc_info=True)
        return None
    _event(visitor, EventType.WIDGET_LOADED, committed=True)
    return VisitorSession(visitor, None, [], chat_to_load=active_chat_id is not None)


def visitor_connect(
    *, website_id: int, visitor_id: str | None, user_agent: str = "", known: bool = True
) -> Visitor:
    """The visitor with this id (made when new), with its visit renewed or begun.

    `visitor_id` comes from a verified visitor token or was just generated
    (`known` false: then there is no row to look for)."""
    visitor, _ = _visitor_connect(
        website_id=website_id, visitor_id=visitor_id, user_agent=user_agent, known=known
    )
    return visitor


@transaction.atomic
def _visitor_connect(
    *, website_id: int, visitor_id: str | None, user_agent: str, known: bool
) -> tuple[Visitor, bool]:
    """visitor_connect's visitor, and False when it is known to have no active chat."""
    now = timezone.now()
    visitor: Visitor | None = None
    db.commit_without_flush()  # a lost visit is renewed by the next connect (with the token's id)
    if visitor_id and known:
        returned = statements.visitor_returns(**_renewal(website_id, visitor_id, user_agent, now))
        if returned is not None:
            visitor, active_chat_id = returned
            _event(visitor, EventType.WIDGET_LOADED)
            return visitor, active_chat_id is not None
        visitor = (
            Visitor.objects.select_for_update().filter(website_id=website_id, visitor_id=visitor_id).first()
        )
    if visitor is None and not known:
        # A fresh random id: no other tab can be making it (no savepoint's round trips).
        visitor = Visitor(
            website_id=website_id, visitor_id=visitor_id or new_visitor_id(), user_agent=user_agent[:512]
        )
        statements.insert(visitor)
    elif visitor is None:
        try:
            with transaction.atomic():
                visitor = Visitor.objects.create(
                    website_id=website_id,
                    visitor_id=visitor_id or new_visitor_id(),
                    user_agent=user_agent[:512],
                )
        except IntegrityError:  # another tab of the same visitor made it just now
            visitor = Visitor.objects.select_for_update().get(website_id=website_id, visitor_id=visitor_id)
    else:
        if visitor.last_seen < now - VISIT_GAP:
            visitor.session_id = new_session_id()
        visitor.last_seen = now
        visitor.user_agent = user_agent[:512] or visitor.user_agent
        visitor.save(update_fields=["session_id", "last_seen", "user_agent"])
    _event(visitor, EventType.WIDGET_LOADED)
    return visitor, known  # a visitor made just now has no chat


def _renewal(website_id: int, visitor_id: str, user_agent: str, now: datetime) -> dict:
    """A returning visitor's visit renewed now: a new session after VISIT_GAP."""
    return {
        "website_id": website_id,
        "visitor_id": visitor_id,
        "now": now,
        "gap_start": now - VISIT_GAP,
        "new_session": new_session_id(),
        "user_agent": user_agent[:512],
    }


def _event(visitor: Visitor, event_type: str, *, committed: bool = False, **data: Any) -> None:
    event = {
        "website_id": visitor.website_id,
        "event_type": event_type,
        "visitor_id": visitor.visitor_id,
        "session_id": visitor.session_id,
        "data": data,
    }
    (events_record_committed if committed else events_record)([event])


def visitors_seen(*, visitor_pks: list[int], at: datetime | None = None) -> None:
    """These visitors' last sockets closed: their visits' gap starts `at` (now). Sockets
    report it in batches (chat.sockets.heartbeat)."""
    Visitor.objects.filter(pk__in=visitor_pks).update(last_seen=at or timezone.now())


@transaction.atomic
def visitor_identify(*, visitor: Visitor, name: object = None, email: object = None) -> Visitor:
    fields = []
    if name is not None:
        if not isinstance(name, str) or len(name) > 255:
            raise invalid("name must be a string of at most 255 characters.", "name")
        visitor.name = name.strip()
        fields.append("name")
    if email is not None:
        if not isinstance(email, str) or len(email) > 254:
            raise invalid("email must be a valid email address.", "email")
        email = email.strip()
        try:
            validate_email(email)
        except DjangoValidationError:
            raise invalid("email must be a valid email address.", "email") from None
        visitor.email = email
        fields.append("email")
    if fields:
        visitor.save(update_fields=fields)
        _event(visitor, EventType.VISITOR_IDENTIFIED, fields=fields)
    return visitor


@transaction.atomic
def visitor_page_view(
    *, visitor: Visitor, url: object, title: object = None, country: str | None = None
) -> Visitor:
    if not isinstance(url, str) or not url.strip() or len(url) > 2048:
        raise invalid("url must be a string of 1-2048 characters.", "url")
    if title is not None and (not isinstance(title, str) or len(title) > 512):
        raise invalid("title must be a string of at most 512 characters.", "title")
    visitor.page_url = url.strip()
    visitor.page_title = (title or "").strip()
    visitor.save(update_fields=["page_url", "page_title"])
    where: dict[str, Any] = {"country": country} if country else {}
    _event(visitor, EventType.PAGE_VIEW, url=visitor.page_url, title=visitor.page_title, **where)
    return visitor
