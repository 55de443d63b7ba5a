"""Reads on chats and messages, scoped to what the caller may see."""

from datetime import timedelta
from typing import Any

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import User
from analytics.models import Event, EventType
from chatelly.errors import NotFound
from websites.models import Website

from .models import LAST_ACTIVITY, Chat, ChatStatus, Message, SenderType, Visitor

HISTORY_LIMIT = 200
MAX_PAGE = 200
PAGE_VIEWS_SHOWN = 50
PAST_CHATS_SHOWN = 20
# Page views are recorded after the visitor row exists; the slack covers clocks
# of different hosts. The bound keeps the scan of the site's events short.
EVENT_CLOCK_SLACK = timedelta(hours=1)

# ?assigned=none
UNASSIGNED = "none"


def _chats() -> QuerySet[Chat]:
    return Chat.objects.select_related("visitor_record", "last_message", "last_message__attachment")


def _unread_count() -> Coalesce:
    """Visitor messages of the chat no agent has read, as one subquery per chat
    shown (a page at most): it walks the chat's messages by (chat, seq).

    No partial index on unread messages: read_at in an index predicate would
    make every read receipt's UPDATE non-HOT, rewriting all of messages' indexes."""
    unread = _unread_messages().order_by().values("chat").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(unread, output_field=IntegerField()), 0)


def _unread_messages() -> QuerySet[Message]:
    return unread_in_chat(SenderType.VISITOR)


def unread_in_chat(sender_type: str) -> QuerySet[Message]:
    """`sender_type`'s messages the other side has not read, in the chat at
    OuterRef("pk"), oldest first: a subquery that walks (chat, seq). The one
    definition of "unread" for the inbox, agent notifications and reply emails."""
    return Message.objects.filter(
        chat=OuterRef("pk"), sender_type=sender_type, read_at__isnull=True
    ).order_by("seq")


def _counted_chats() -> QuerySet[Chat]:
    """Chats as the REST API shows them: with `unread_count` (chat_to_dict reads it)."""
    return _chats().annotate(unread_count=_unread_count())


def _newest_activity_first(chats: QuerySet[Chat]) -> QuerySet[Chat]:
    # The same expression as the chat_activity indexes, so they serve the order.
    return chats.alias(activity=LAST_ACTIVITY).order_by(F("activity").desc(), F("id").desc())


def active_chat_for_visitor(*, website_id: int, visitor: Visitor) -> Chat | None:
    return _chats().filter(website_id=website_id, visitor_record=visitor, status=ChatStatus.ACTIVE).first()


def messages_after(*, chat_id: int, after: int = 0, limit: int = HISTORY_LIMIT) -> list[Message]:
    return list(
        Message.objects.select_related("attachment")
        .filter(chat_id=chat_id, seq__gt=after)
        .order_by("seq")[:limit]
    )


def messages_latest(*, chat_id: int, limit: int = HISTORY_LIMIT) -> list[Message]:
    """The last `limit` messages, oldest first."""
    latest = list(
        Message.objects.select_related("attachment").filter(chat_id=chat_id).order_by("-seq")[:limit]
    )
    latest.reverse()
    return latest


def chat_list(
    *,
    website_ids: list[int],
    status: str | None = None,
    visitor_id: str | None = None,
    search: str | None = None,
    assigned: int | str | None = None,
    unread: bool | None = None,
) -> QuerySet[Chat]:
    """Chats of these websites, newest activity first (ties: newest id first).

    `unread`: True keeps the chats with a visitor message no agent has read,
    False those without (the dashboard's tab title counts the first).

    `assigned`: a user id, or UNASSIGNED. Ids are a list, not a subquery, so that
    with one website the planner walks chat_activity in order and stops at the page.
    """
    chats = _counted_chats().filter(website_id__in=website_ids)
    if status:
        chats = chats.filter(status=status)
    if visitor_id:
        chats = chats.filter(visitor_id=visitor_id)
    if assigned == UNASSIGNED:
        chats = chats.filter(assigned_to__isnull=True)
    elif assigned is not None:
        # A str is only UNASSIGNED, taken above: mypy narrows no str by `==`.
        chats = chats.filter(assigned_to_id=assigned)  # type: ignore[misc]
    if unread is not None:
        chats = chats.filter(Exists(_unread_messages()) if unread else ~Exists(_unread_messages()))
    if search:
        matching = Message.objects.filter(website_id__in=website_ids, content__icontains=search).values(
            "chat_id"
        )
        chats = chats.filter(
            Q(id__in=matching)
            | Q(visitor_record__name__icontains=search)
            | Q(visitor_record__email__icontains=search)
        )
    return _newest_activity_first(chats)


def chat_list_for_website(*, website: Website, **filters: Any) -> QuerySet[Chat]:
    return chat_list(website_ids=[website.id], **filters)


def chat_get_for_user(*, user: User, chat_id: int) -> Chat:
    chat = _counted_chats().filter(id=chat_id, website__memberships__user=user).first()
    if chat is None:
        raise NotFound()
    return chat


def visitor_page_views(*, visitor: Visitor, limit: int = PAGE_VIEWS_SHOWN) -> list[dict]:
    """The visitor's last page views, newest first, from the analytics page_view
    events (their data holds the url and title the widget reported)."""
    events = (
        Event.objects.filter(
            website_id=visitor.website_id,
            event_type=EventType.PAGE_VIEW,
            visitor_id=visitor.visitor_id,
            created_at__gte=visitor.first_seen - EVENT_CLOCK_SLACK,
            event_data__has_key="url",
        )
        .order_by("-created_at", "-id")
        .values_list("event_data", "created_at")[:limit]
    )
    pages = []
    for data, at in events:
        data = data if isinstance(data, dict) else {}
        url = data.get("url")
        if isinstance(url, str) and url:
            title = data.get("title")
            title = title if isinstance(title, str) else ""
            pages.append({"url": url, "title": title, "at": at, "country": data.get("country")})
    return pages


def chats_of_visitor_besides(*, chat: Chat, limit: int = PAST_CHATS_SHOWN) -> list[Chat]:
    """The visitor's other chats on the chat's website, newest activity first."""
    others = (
        _counted_chats().filter(website_id=chat.website_id, visitor_id=chat.visitor_id).exclude(id=chat.id)
    )
    return list(_newest_activity_first(others)[:limit])


def chat_id_for_user(*, user: User, chat_id: int) -> int:
    """The chat's id when the user may see it (NotFound otherwise): a permission check
    without loading the chat, for reads that need only its messages."""
    found = Chat.objects.filter(id=chat_id, website__memberships__user=user).values_list("id", flat=True)[:1]
    if not found:
        raise NotFound()
    return found[0]


def chats_visible_to(*, user: User, chat_ids: list[int]) -> dict[int, int]:
    """{chat id: last_seq} of the listed chats on the user's websites."""
    rows = Chat.objects.filter(id__in=chat_ids, website__memberships__user=user).values_list("id", "last_seq")
    return dict(rows)


def chat_website(*, chat_id: int, user: User) -> tuple[int, str] | None:
    """(website id, visitor id) of a chat the user may see, or None."""
    row = (
        Chat.objects.filter(id=chat_id, website__memberships__user=user)
        .values_list("website_id", "visitor_id")
        .first()
    )
    return row  # values_list() rows are already tuples


def visitor_exists(*, website_id: int, visitor_id: str) -> bool:
    from .models import Visitor

    return Visitor.objects.filter(website_id=website_id, visitor_id=visitor_id).exists()
