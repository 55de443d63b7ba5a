"""Writes on a chat's state: close (by agent, visitor or staff), assign, and
read receipts; and the row locks every chat write starts with."""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from analytics.models import EventType
from analytics.services import event_record
from chat.errors import invalid, not_found
from chat.models import Chat, ChatStatus, Message, SenderType, Visitor
from chatelly import realtime
from websites.models import Membership


def lock_active_chat(*, website_id: int, visitor: Visitor) -> Chat | None:
    return (
        Chat.objects.select_for_update()
        .filter(website_id=website_id, visitor_record=visitor, status=ChatStatus.ACTIVE)
        .first()
    )


def lock_member_chat(*, user: User, chat_id: object) -> Chat:
    if isinstance(chat_id, bool) or not isinstance(chat_id, int):
        raise invalid("chat_id must be an integer.", "chat_id")
    chat = (
        Chat.objects.select_for_update(of=("self",))
        .filter(id=chat_id, website__memberships__user=user)
        .select_related("visitor_record")
        .first()
    )
    if chat is None:
        raise not_found("No such chat.", "chat_id")
    return chat


def _announce_status(chat: Chat) -> None:
    realtime.chat_status_on_commit(
        website_id=chat.website_id,
        visitor_id=chat.visitor_id,
        chat_id=chat.id,
        status=chat.status,
        assigned_to=chat.assigned_to_id,
    )


def _close(chat: Chat) -> Chat:
    if chat.status == ChatStatus.CLOSED:
        return chat
    chat.status = ChatStatus.CLOSED
    chat.ended_at = timezone.now()
    chat.save(update_fields=["status", "ended_at"])
    _announce_status(chat)
    event_record(
        website_id=chat.website_id,
        event_type=EventType.CHAT_ENDED,
        visitor_id=chat.visitor_id,
        session_id=chat.session_id,
        data={"chat_id": chat.id},
    )
    return chat


@transaction.atomic
def chat_close_by_agent(*, user: User, chat_id: object) -> Chat:
    return _close(lock_member_chat(user=user, chat_id=chat_id))


@transaction.atomic
def chat_close_by_visitor(*, website_id: int, visitor: Visitor) -> Chat | None:
    chat = lock_active_chat(website_id=website_id, visitor=visitor)
    return _close(chat) if chat is not None else None


@transaction.atomic
def chat_close(*, chat: Chat) -> Chat:
    """For staff and commands: close any chat."""
    return _close(Chat.objects.select_for_update().get(pk=chat.pk))


@transaction.atomic
def chat_assign(*, user: User, chat_id: object, assignee_id: int | None) -> Chat:
    chat = lock_member_chat(user=user, chat_id=chat_id)
    if (
        assignee_id is not None
        and not Membership.objects.filter(website_id=chat.website_id, user_id=assignee_id).exists()
    ):
        raise invalid("Not a member of this chat's website.", "user_id")
    chat.assigned_to_id = assignee_id
    chat.save(update_fields=["assigned_to"])
    _announce_status(chat)
    return chat


def _check_seq(seq: object) -> int:
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise invalid("seq must be a non-negative integer.", "seq")
    return seq


def _mark_read(chat: Chat, *, reader: str, seq: int, exclude: str | None = None) -> None:
    others = (
        [SenderType.VISITOR] if reader == "agent" else [SenderType.AGENT, SenderType.BOT, SenderType.SYSTEM]
    )
    Message.objects.filter(chat=chat, seq__lte=seq, sender_type__in=others, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    realtime.read_on_commit(
        website_id=chat.website_id,
        visitor_id=chat.visitor_id,
        chat_id=chat.id,
        by=reader,
        seq=seq,
        exclude=exclude,
    )


@transaction.atomic
def messages_read_by_agent(*, user: User, chat_id: object, seq: object, exclude: str | None = None) -> Chat:
    seq = _check_seq(seq)
    chat = lock_member_chat(user=user, chat_id=chat_id)
    _mark_read(chat, reader="agent", seq=seq, exclude=exclude)
    return chat


@transaction.atomic
def messages_read_by_visitor(*, website_id: int, visitor: Visitor, seq: object) -> Chat | None:
    seq = _check_seq(seq)
    chat = Chat.objects.filter(
        website_id=website_id, visitor_record=visitor, status=ChatStatus.ACTIVE
    ).first()
    if chat is not None:
        _mark_read(chat, reader="visitor", seq=seq)
    return chat
