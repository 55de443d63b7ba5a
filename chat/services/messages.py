"""Messages: what every message write shares (input checks, the next message of
a chat, its after-commit effects) and an agent's message. Visitors' messages
reuse these from `visitor_messages` (many in one transaction)."""

from dataclasses import dataclass
from typing import Any, Literal, overload

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from accounts.models import User
from analytics.models import EventType
from analytics.services import events_record
from chat.errors import chat_closed, invalid, not_found
from chat.models import Attachment, Chat, ChatStatus, Message, MessageType, SenderType
from chat.serializers import chat_to_dict, message_to_dict
from chatelly import metrics, realtime
from chatelly.errors import TooLong

from .chats import lock_member_chat

MAX_CLIENT_ID = 64


@dataclass
class Posted:
    message: Message
    created: bool


# --- validation --------------------------------------------------------------


def check_content(content: object, *, has_attachment: bool) -> str:
    if not isinstance(content, str):
        raise invalid("content must be a string.", "content")
    if len(content) > settings.CHATELLY_MAX_MESSAGE_CHARS:
        raise TooLong(
            f"content is longer than {settings.CHATELLY_MAX_MESSAGE_CHARS} characters.",
            field="content",
        )
    if not content.strip() and not has_attachment:
        raise invalid("content may not be empty.", "content")
    return content


@overload
def check_client_id(client_id: object, *, required: Literal[True]) -> str: ...
@overload
def check_client_id(client_id: object, *, required: bool) -> str | None: ...
def check_client_id(client_id: object, *, required: bool) -> str | None:
    if client_id is None and not required:
        return None
    if not isinstance(client_id, str) or not 1 <= len(client_id) <= MAX_CLIENT_ID:
        raise invalid(f"client_id must be a string of 1-{MAX_CLIENT_ID} characters.", "client_id")
    return client_id


def check_attachment_id(attachment_id: object) -> int | None:
    if attachment_id is None:
        return None
    if isinstance(attachment_id, bool) or not isinstance(attachment_id, int) or attachment_id < 1:
        raise invalid("attachment_id must be a positive integer.", "attachment_id")
    return attachment_id


def attachment_usable(
    attachment: Attachment | None, *, website_id: int, uploader_type: str, uploader_id: str
) -> Attachment:
    """The attachment when this sender uploaded it for this website (an agent's may have no
    website yet); not_found otherwise."""
    if (
        attachment is None
        or attachment.uploader_type != uploader_type
        or attachment.uploader_id != uploader_id
        or not (
            attachment.website_id == website_id
            or (uploader_type == "agent" and attachment.website_id is None)
        )
    ):
        raise not_found("No such attachment.", "attachment_id")
    return attachment


def find_attachment(
    *, attachment_id: int | None, website_id: int, uploader_type: str, uploader_id: str
) -> Attachment | None:
    if attachment_id is None:
        return None
    of_website = Q(website_id=website_id)
    if uploader_type == "agent":
        of_website |= Q(website__isnull=True)
    attachment = Attachment.objects.filter(of_website, id=attachment_id).first()
    return attachment_usable(
        attachment, website_id=website_id, uploader_type=uploader_type, uploader_id=uploader_id
    )


def _message_type(attachment: Attachment | None) -> str:
    if attachment is None:
        return MessageType.TEXT
    return MessageType.IMAGE if attachment.content_type.startswith("image/") else MessageType.FILE


# --- the next message of a chat ------------------------------------------------


def next_message(
    chat: Chat,
    *,
    sender_type: str,
    sender_id: str,
    content: str,
    client_id: str | None = None,
    attachment: Attachment | None = None,
) -> Message:
    """The chat's next message, not saved yet; the caller holds the chat's row lock."""
    chat.last_seq += 1
    chat.message_count += 1
    return Message(
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


CHAT_FIELDS = [
    "last_seq",
    "message_count",
    "last_message",
    "last_message_at",
    "first_visitor_message_at",
    "first_response_at",
]


def chat_took(chat: Chat, message: Message) -> None:
    """Update the chat's summary for a message just inserted."""
    chat.last_message = message
    chat.last_message_at = message.created_at
    if message.sender_type == SenderType.VISITOR and chat.first_visitor_message_at is None:
        chat.first_visitor_message_at = message.created_at
    if message.sender_type == SenderType.AGENT and chat.first_response_at is None:
        chat.first_response_at = message.created_at


def messages_stored(stored: list[tuple[Chat, Message, str | None, bool]]) -> None:
    """`message_stored` for many messages (chat, message, exclude, opened the chat),
    in order, with one commit hook each for metrics, analytics and live frames."""
    counts: dict[str, int] = {}
    analytics: list[dict] = []
    events: list = []
    for chat, message, exclude, opened in stored:
        counts[message.sender_type] = counts.get(message.sender_type, 0) + 1
        common = {"website_id": chat.website_id, "visitor_id": chat.visitor_id, "session_id": chat.session_id}
        if opened:
            events.append(realtime.chat_started_event(website_id=chat.website_id, chat=chat_to_dict(chat)))
            analytics.append({**common, "event_type": EventType.CHAT_STARTED, "data": {"chat_id": chat.id}})
        data = {"sender_type": message.sender_type, "chat_id": chat.id, "seq": message.seq}
        analytics.append({**common, "event_type": EventType.MESSAGE_SENT, "data": data})
        events += realtime.message_events(
            website_id=chat.website_id,
            visitor_id=chat.visitor_id,
            message=message_to_dict(message),
            exclude=exclude,
        )

    def count_messages() -> None:
        for kind, n in counts.items():
            metrics.MESSAGES.labels(sender_type=kind).inc(n)

    transaction.on_commit(count_messages)
    events_record(analytics)
    realtime.on_commit_all(events)


def message_stored(chat: Chat, message: Message, *, exclude: str | None = None) -> None:
    """After-commit effects of a stored message: metric, analytics event, live frames."""
    messages_stored([(chat, message, exclude, False)])


def append(chat: Chat, *, exclude: str | None = None, **fields: Any) -> Message:
    """Insert one message and announce it (the chat is locked by the caller)."""
    message = next_message(chat, **fields)
    message.save()
    chat_took(chat, message)
    chat.save(update_fields=CHAT_FIELDS)
    message_stored(chat, message, exclude=exclude)
    return message


# --- an agent's message ---------------------------------------------------------


def agent_message_post(
    *,
    user: User,
    chat_id: object,
    content: object,
    client_id: object = None,
    attachment_id: object = None,
    client_id_required: bool = False,
    exclude: str | None = None,
) -> Posted:
    """An agent's reply: stored, then live to the visitor and the other agents."""
    client_id = check_client_id(client_id, required=client_id_required)
    attachment_id = check_attachment_id(attachment_id)
    content = check_content(content, has_attachment=attachment_id is not None)
    with transaction.atomic():
        chat = lock_member_chat(user=user, chat_id=chat_id)
        if client_id is not None:
            earlier = (
                Message.objects.select_related("attachment").filter(chat=chat, client_id=client_id).first()
            )
            if earlier is not None:
                return Posted(earlier, created=False)
        if chat.status != ChatStatus.ACTIVE:
            raise chat_closed()
        attachment = find_attachment(
            attachment_id=attachment_id,
            website_id=chat.website_id,
            uploader_type="agent",
            uploader_id=str(user.id),
        )
        message = append(
            chat,
            exclude=exclude,
            sender_type=SenderType.AGENT,
            sender_id=str(user.id),
            content=content,
            client_id=client_id,
            attachment=attachment,
        )
    return Posted(message, created=True)
