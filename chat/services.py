"""Writes on visitors, chats and messages: the only write path, for sockets,
REST views, admin actions and commands alike. Each runs in one transaction and
sends its events after commit through `chat.realtime`.
"""

import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from analytics.models import EventType
from analytics.services import event_record
from chatelly import metrics
from websites.models import Membership

from . import presence, realtime
from .errors import ChatError, chat_closed, invalid, not_found
from .models import (
    Attachment,
    Chat,
    ChatStatus,
    Message,
    MessageType,
    SenderType,
    Visitor,
    new_session_id,
    new_visitor_id,
)
from .serializers import chat_to_dict, message_to_dict
from .uploads import check_upload, display_name

logger = logging.getLogger("chatelly.chat")

VISIT_GAP = timedelta(minutes=30)
MAX_CLIENT_ID = 64


@dataclass
class Posted:
    message: Message
    created: bool


# --- validation --------------------------------------------------------------


def check_content(content, *, has_attachment: bool) -> str:
    if not isinstance(content, str):
        raise invalid("content must be a string.", "content")
    if len(content) > settings.CHATELLY_MAX_MESSAGE_CHARS:
        raise ChatError(
            "too_long",
            f"content is longer than {settings.CHATELLY_MAX_MESSAGE_CHARS} characters.",
            field="content",
        )
    if not content.strip() and not has_attachment:
        raise invalid("content may not be empty.", "content")
    return content


def check_client_id(client_id, *, required: bool) -> str | None:
    if client_id is None and not required:
        return None
    if not isinstance(client_id, str) or not 1 <= len(client_id) <= MAX_CLIENT_ID:
        raise invalid(f"client_id must be a string of 1-{MAX_CLIENT_ID} characters.", "client_id")
    return client_id


def _check_attachment_id(attachment_id):
    if attachment_id is None:
        return None
    if isinstance(attachment_id, bool) or not isinstance(attachment_id, int) or attachment_id < 1:
        raise invalid("attachment_id must be a positive integer.", "attachment_id")
    return attachment_id


def _attachment(*, attachment_id, website_id: int, uploader_type: str, uploader_id: str) -> Attachment | None:
    """An upload of this sender for this website (an agent's may have no website yet)."""
    if attachment_id is None:
        return None
    of_website = Q(website_id=website_id)
    if uploader_type == "agent":
        of_website |= Q(website__isnull=True)
    attachment = Attachment.objects.filter(
        of_website, id=attachment_id, uploader_type=uploader_type, uploader_id=uploader_id
    ).first()
    if attachment is None:
        raise not_found("No such attachment.", "attachment_id")
    return attachment


def _message_type(attachment: Attachment | None) -> str:
    if attachment is None:
        return MessageType.TEXT
    return MessageType.IMAGE if attachment.content_type.startswith("image/") else MessageType.FILE


# --- attachments -------------------------------------------------------------


@transaction.atomic
def attachment_create(*, website_id: int | None, uploader_type: str, uploader_id: str, upload) -> Attachment:
    """Store an uploaded file under a random name, after checking what it really is."""
    extension, content_type = check_upload(upload)
    attachment = Attachment(
        website_id=website_id,
        uploader_type=uploader_type,
        uploader_id=uploader_id,
        name=display_name(upload.name, extension),
        size=upload.size,
        content_type=content_type,
    )
    upload.seek(0)
    attachment.file.save(f"upload.{extension}", upload, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)  # no row, no orphan file
        raise
    if website_id is not None:
        event_record(
            website_id=website_id,
            event_type=EventType.FILE_UPLOADED,
            visitor_id=uploader_id if uploader_type == "visitor" else "",
            data={"uploader_type": uploader_type, "content_type": content_type, "size": attachment.size},
        )
    return attachment


# --- visitors ------------------------------------------------------------------


@transaction.atomic
def visitor_connect(*, website_id: int, visitor_id: str | None, user_agent: str = "") -> Visitor:
    """The visitor with this id (made when new), with its visit renewed or begun.

    `visitor_id` comes from a verified visitor token or was just generated."""
    now = timezone.now()
    visitor = None
    if visitor_id:
        visitor = (
            Visitor.objects.select_for_update().filter(website_id=website_id, visitor_id=visitor_id).first()
        )
    if visitor is None:
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
    return visitor


def _event(visitor: Visitor, event_type: str, **data) -> None:
    event_record(
        website_id=visitor.website_id,
        event_type=event_type,
        visitor_id=visitor.visitor_id,
        session_id=visitor.session_id,
        data=data,
    )


def visitor_seen(*, visitor_pk: int) -> None:
    """The visitor's last socket just closed: the visit's gap starts now."""
    Visitor.objects.filter(pk=visitor_pk).update(last_seen=timezone.now())


@transaction.atomic
def visitor_identify(*, visitor: Visitor, name=None, email=None) -> Visitor:
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
def visitor_page_view(*, visitor: Visitor, url, title=None) -> Visitor:
    if not isinstance(url, str) or not url.strip() or len(url) > 2048:
        raise invalid("url must be a string of 1-2048 characters.", "url")
    if title is not None and (not isinstance(title, str) or len(title) > 512):
        raise invalid("title must be a string of at most 512 characters.", "title")
    visitor.page_url = url.strip()
    visitor.page_title = (title or "").strip()
    visitor.save(update_fields=["page_url", "page_title"])
    _event(visitor, EventType.PAGE_VIEW, url=visitor.page_url, title=visitor.page_title)
    return visitor


# --- messages --------------------------------------------------------------------


def _append(
    chat: Chat, *, sender_type: str, sender_id: str, content: str, client_id=None, attachment=None
) -> Message:
    """Insert the chat's next message; the caller holds the chat's row lock."""
    chat.last_seq += 1
    message = Message.objects.create(
        chat=chat,
        website_id=chat.website_id,
        seq=chat.last_seq,
        content=content,
        type=_message_type(attachment),
        sender_type=sender_type,
        sender_id=sender_id,
        is_from_bot=sender_type == SenderType.BOT,
        client_id=client_id,
        attachment=attachment,
    )
    chat.message_count += 1
    chat.last_message = message
    chat.last_message_at = message.created_at
    fields = ["last_seq", "message_count", "last_message", "last_message_at"]
    if sender_type == SenderType.VISITOR and chat.first_visitor_message_at is None:
        chat.first_visitor_message_at = message.created_at
        fields.append("first_visitor_message_at")
    if sender_type == SenderType.AGENT and chat.first_response_at is None:
        chat.first_response_at = message.created_at
        fields.append("first_response_at")
    chat.save(update_fields=fields)
    transaction.on_commit(metrics.MESSAGES.labels(sender_type=sender_type).inc)
    event_record(
        website_id=chat.website_id,
        event_type=EventType.MESSAGE_SENT,
        visitor_id=chat.visitor_id,
        session_id=chat.session_id,
        data={"sender_type": sender_type, "chat_id": chat.id, "seq": message.seq},
    )
    return message


def _announce(chat: Chat, message: Message, exclude: str | None = None) -> None:
    realtime.message_on_commit(
        website_id=chat.website_id,
        visitor_id=chat.visitor_id,
        message=message_to_dict(message),
        exclude=exclude,
    )


def _lock_active_chat(*, website_id: int, visitor: Visitor) -> Chat | None:
    return (
        Chat.objects.select_for_update()
        .filter(website_id=website_id, visitor_record=visitor, status=ChatStatus.ACTIVE)
        .first()
    )


def _open_chat(*, website_id: int, visitor: Visitor) -> tuple[Chat, bool]:
    """The visitor's active chat, locked; a new one when there is none."""
    chat = _lock_active_chat(website_id=website_id, visitor=visitor)
    if chat is not None:
        return chat, False
    try:
        with transaction.atomic():
            chat = Chat.objects.create(
                website_id=website_id,
                visitor_record=visitor,
                visitor_id=visitor.visitor_id,
                session_id=visitor.session_id,
            )
    except IntegrityError:  # another tab opened it a moment ago
        return _lock_active_chat(website_id=website_id, visitor=visitor), False
    return chat, True


def _word_in(text: str, keyword: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(keyword)}(?!\w)", text, re.IGNORECASE) is not None


def _agents_online(website_id: int) -> bool:
    try:
        return presence.agents_online(website_id)
    except Exception:  # presence is down: do not claim everyone is away
        logger.warning("presence lookup failed", exc_info=True)
        return True


def _bot_replies(chat: Chat, *, site: dict, content: str, started: bool) -> None:
    site_settings = site["settings"]
    replies = []
    if started:
        if site_settings.get("greeting"):
            replies.append(site_settings["greeting"])
        if site_settings.get("away_message") and not _agents_online(site["id"]):
            replies.append(site_settings["away_message"])
    if chat.first_response_at is None:
        for rule in site_settings.get("auto_replies", []):
            if any(_word_in(content, keyword) for keyword in rule["keywords"]):
                replies.append(rule["reply"])
    for reply in replies:
        _announce(chat, _append(chat, sender_type=SenderType.BOT, sender_id="bot", content=reply))


def _visitor_email_missing(visitor: Visitor) -> bool:
    if visitor.email:
        return False
    visitor.email = Visitor.objects.filter(pk=visitor.pk).values_list("email", flat=True).first() or ""
    return not visitor.email


def visitor_message_post(
    *, site: dict, visitor: Visitor, content, client_id, attachment_id=None, exclude: str | None = None
) -> Posted:
    """A visitor's message: stored (starting a chat when none is active), bot replies, events."""
    client_id = check_client_id(client_id, required=True)
    attachment_id = _check_attachment_id(attachment_id)
    content = check_content(content, has_attachment=attachment_id is not None)
    if site["settings"].get("require_email") and _visitor_email_missing(visitor):
        raise ChatError("email_required", "Give an email address (identify) before the first message.")
    with transaction.atomic():
        attachment = _attachment(
            attachment_id=attachment_id,
            website_id=site["id"],
            uploader_type="visitor",
            uploader_id=visitor.visitor_id,
        )
        chat, started = _open_chat(website_id=site["id"], visitor=visitor)
        earlier = _earlier_message(chat, client_id, started=started, visitor=visitor)
        if earlier is not None:
            return Posted(earlier, created=False)
        message = _append(
            chat,
            sender_type=SenderType.VISITOR,
            sender_id=visitor.visitor_id,
            content=content,
            client_id=client_id,
            attachment=attachment,
        )
        if started:
            chat.visitor_record = visitor
            realtime.chat_started_on_commit(website_id=chat.website_id, chat=chat_to_dict(chat))
            _event(visitor, EventType.CHAT_STARTED, chat_id=chat.id)
        _announce(chat, message, exclude)
        _bot_replies(chat, site=site, content=content, started=started)
    return Posted(message, created=True)


def _earlier_message(chat: Chat, client_id: str, *, started: bool, visitor: Visitor) -> Message | None:
    """The message this client_id already made: in the active chat, or in the last one
    when a retry arrives after that chat was closed."""
    if not started:
        return Message.objects.select_related("attachment").filter(chat=chat, client_id=client_id).first()
    previous = (
        Chat.objects.filter(visitor_record=visitor, status=ChatStatus.CLOSED)
        .order_by("-id")
        .values("id")
        .first()
    )
    if previous is None:
        return None
    earlier = (
        Message.objects.select_related("attachment")
        .filter(chat_id=previous["id"], client_id=client_id)
        .first()
    )
    if earlier is not None:
        transaction.set_rollback(True)  # the chat just opened is not needed
    return earlier


def _lock_member_chat(*, user, chat_id) -> Chat:
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


def agent_message_post(
    *,
    user,
    chat_id,
    content,
    client_id=None,
    attachment_id=None,
    client_id_required: bool = False,
    exclude=None,
) -> Posted:
    """An agent's reply: stored, then live to the visitor and the other agents."""
    client_id = check_client_id(client_id, required=client_id_required)
    attachment_id = _check_attachment_id(attachment_id)
    content = check_content(content, has_attachment=attachment_id is not None)
    with transaction.atomic():
        chat = _lock_member_chat(user=user, chat_id=chat_id)
        if client_id is not None:
            earlier = (
                Message.objects.select_related("attachment").filter(chat=chat, client_id=client_id).first()
            )
            if earlier is not None:
                return Posted(earlier, created=False)
        if chat.status != ChatStatus.ACTIVE:
            raise chat_closed()
        attachment = _attachment(
            attachment_id=attachment_id,
            website_id=chat.website_id,
            uploader_type="agent",
            uploader_id=str(user.id),
        )
        message = _append(
            chat,
            sender_type=SenderType.AGENT,
            sender_id=str(user.id),
            content=content,
            client_id=client_id,
            attachment=attachment,
        )
        _announce(chat, message, exclude)
    return Posted(message, created=True)


# --- chat state -------------------------------------------------------------------


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
def chat_close_by_agent(*, user, chat_id) -> Chat:
    return _close(_lock_member_chat(user=user, chat_id=chat_id))


@transaction.atomic
def chat_close_by_visitor(*, website_id: int, visitor: Visitor) -> Chat | None:
    chat = _lock_active_chat(website_id=website_id, visitor=visitor)
    return _close(chat) if chat is not None else None


@transaction.atomic
def chat_close(*, chat: Chat) -> Chat:
    """For staff and commands: close any chat."""
    return _close(Chat.objects.select_for_update().get(pk=chat.pk))


@transaction.atomic
def chat_assign(*, user, chat_id, assignee_id) -> Chat:
    chat = _lock_member_chat(user=user, chat_id=chat_id)
    if (
        assignee_id is not None
        and not Membership.objects.filter(website_id=chat.website_id, user_id=assignee_id).exists()
    ):
        raise invalid("Not a member of this chat's website.", "user_id")
    chat.assigned_to_id = assignee_id
    chat.save(update_fields=["assigned_to"])
    _announce_status(chat)
    return chat


def _check_seq(seq) -> int:
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise invalid("seq must be a non-negative integer.", "seq")
    return seq


def _mark_read(chat: Chat, *, reader: str, seq: int, exclude=None) -> None:
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
def messages_read_by_agent(*, user, chat_id, seq, exclude=None) -> Chat:
    seq = _check_seq(seq)
    chat = _lock_member_chat(user=user, chat_id=chat_id)
    _mark_read(chat, reader="agent", seq=seq, exclude=exclude)
    return chat


@transaction.atomic
def messages_read_by_visitor(*, website_id: int, visitor: Visitor, seq) -> Chat | None:
    seq = _check_seq(seq)
    chat = Chat.objects.filter(
        website_id=website_id, visitor_record=visitor, status=ChatStatus.ACTIVE
    ).first()
    if chat is not None:
        _mark_read(chat, reader="visitor", seq=seq)
    return chat
