"""Reads on chats and messages, scoped to what the caller may see."""

from django.db.models import F, Q, QuerySet
from rest_framework.exceptions import NotFound

from .models import Chat, ChatStatus, Message

HISTORY_LIMIT = 200
MAX_PAGE = 200


def _chats() -> QuerySet[Chat]:
    return Chat.objects.select_related("visitor_record", "last_message", "last_message__attachment")


def active_chat_for_visitor(*, website_id: int, visitor) -> Chat | None:
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


def chat_list_for_website(*, website, status=None, visitor_id=None, search=None) -> QuerySet[Chat]:
    chats = _chats().filter(website=website)
    if status:
        chats = chats.filter(status=status)
    if visitor_id:
        chats = chats.filter(visitor_id=visitor_id)
    if search:
        matching = Message.objects.filter(chat__website=website, content__icontains=search).values("chat_id")
        chats = chats.filter(
            Q(id__in=matching)
            | Q(visitor_record__name__icontains=search)
            | Q(visitor_record__email__icontains=search)
        )
    return chats.order_by(F("last_message_at").desc(nulls_last=True), "-id")


def chat_get_for_user(*, user, chat_id) -> Chat:
    chat = _chats().filter(id=chat_id, website__memberships__user=user).first()
    if chat is None:
        raise NotFound()
    return chat


def chat_id_for_user(*, user, chat_id) -> int:
    """The chat's id when the user may see it (NotFound otherwise): a permission check
    without loading the chat, for reads that need only its messages."""
    found = Chat.objects.filter(id=chat_id, website__memberships__user=user).values_list("id", flat=True)[:1]
    if not found:
        raise NotFound()
    return found[0]


def chats_visible_to(*, user, chat_ids: list[int]) -> dict[int, int]:
    """{chat id: last_seq} of the listed chats on the user's websites."""
    rows = Chat.objects.filter(id__in=chat_ids, website__memberships__user=user).values_list("id", "last_seq")
    return dict(rows)


def chat_website(*, chat_id: int, user) -> tuple[int, str] | None:
    """(website id, visitor id) of a chat the user may see, or None."""
    row = (
        Chat.objects.filter(id=chat_id, website__memberships__user=user)
        .values_list("website_id", "visitor_id")
        .first()
    )
    return tuple(row) if row else None


def visitor_exists(*, website_id: int, visitor_id: str) -> bool:
    from .models import Visitor

    return Visitor.objects.filter(website_id=website_id, visitor_id=visitor_id).exists()
