"""The Message, Chat and Attachment shapes of docs/protocol.md ("Messages") and the OpenAPI schema.

Plain functions rather than DRF serializers: they sit on the message path,
which renders every message once per frame.
"""

from datetime import UTC, datetime

from rest_framework import serializers

from chatelly.api.fields import StrictCharField, StrictIntegerField

from .models import Attachment, Chat, Message, SenderType


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def attachment_to_dict(attachment: Attachment | None) -> dict | None:
    if attachment is None:
        return None
    return _attachment_dict(
        attachment.id, attachment.file.url, attachment.name, attachment.size, attachment.content_type
    )


def _attachment_dict(id, url, name, size, content_type) -> dict:
    return {"id": id, "url": url, "name": name, "size": size, "content_type": content_type}


def message_to_dict(message: Message) -> dict:
    attachment = message.attachment if message.attachment_id else None
    return _message_dict(
        message.id,
        message.chat_id,
        message.seq,
        message.content,
        message.type,
        message.sender_type,
        message.sender_id,
        message.is_from_bot,
        message.client_id,
        attachment_to_dict(attachment),
        iso(message.created_at),
        iso(message.read_at),
    )


def message_row_to_dict(row: tuple, attachment_url) -> dict:
    """A message from a row of (message id, chat_id, seq, content, type, sender_type,
    sender_id, is_from_bot, client_id, attachment id, file, name, size, content_type,
    created_at and read_at as `iso()` writes them), for reads that skip the ORM."""
    attachment = None
    if row[9] is not None:
        attachment = _attachment_dict(row[9], attachment_url(row[10]), *row[11:14])
    return _message_dict(*row[:9], attachment, row[14], row[15])


def _message_dict(
    id,
    chat_id,
    seq,
    content,
    type,
    sender_type,
    sender_id,
    is_from_bot,
    client_id,
    attachment,
    created_at,
    read_at,
):
    return {
        "id": id,
        "chat_id": chat_id,
        "seq": seq,
        "content": content,
        "type": type,
        "sender_type": sender_type,
        "sender_id": sender_id,
        "is_from_bot": is_from_bot,
        "client_id": client_id,
        "attachment": attachment,
        "created_at": created_at,
        # When the other side read it (an agent's message: the visitor; a
        # visitor's: any agent); null until then. Shows "Seen" after a reload.
        "read_at": read_at,
    }


def unread_count(chat: Chat) -> int | None:
    """Visitor messages no agent has read. The chat selectors count them in the same
    query (`unread_count` annotation); without it (frames built on the event loop,
    where no query may run) the count is exact only for a chat of at most one
    message, which covers `chat_started`: else None."""
    counted = getattr(chat, "unread_count", None)
    if counted is not None:
        return counted
    if chat.message_count == 0:
        return 0
    if chat.message_count == 1 and chat.last_message_id:
        only = chat.last_message
        return int(only.sender_type == SenderType.VISITOR and only.read_at is None)
    return None


def chat_to_dict(chat: Chat) -> dict:
    visitor = chat.visitor_record
    return {
        "id": chat.id,
        "website_id": chat.website_id,
        "session_id": chat.session_id,
        "visitor_id": chat.visitor_id,
        "status": chat.status,
        "started_at": iso(chat.started_at),
        "ended_at": iso(chat.ended_at),
        "visitor": {
            "name": visitor.name,
            "email": visitor.email,
            "page_url": visitor.page_url,
            "user_agent": visitor.user_agent,
        },
        "message_count": chat.message_count,
        "last_message": message_to_dict(chat.last_message) if chat.last_message_id else None,
        "assigned_to": chat.assigned_to_id,
        "first_response_at": iso(chat.first_response_at),
        "unread_count": unread_count(chat),
        "last_activity_at": iso(chat.last_message_at or chat.started_at),
    }


def visitor_to_dict(visitor) -> dict:
    """Who a visitor is (the visitor panel, the GDPR export)."""
    return {
        "visitor_id": visitor.visitor_id,
        "name": visitor.name,
        "email": visitor.email,
        "page_url": visitor.page_url,
        "user_agent": visitor.user_agent,
        "first_seen": iso(visitor.first_seen),
        "last_seen": iso(visitor.last_seen),
    }


def _location(pages: list[dict]) -> dict | None:
    """The country of the newest page view that has one (CHATELLY_COUNTRY_HEADER)."""
    for page in pages:
        if page.get("country"):
            return {"country": page["country"], "city": None}
    return None


def visitor_panel_to_dict(*, visitor, pages: list[dict], past_chats: list[Chat]) -> dict:
    return {
        **visitor_to_dict(visitor),
        "location": _location(pages),
        "pages": [{"url": p["url"], "title": p["title"], "at": iso(p["at"])} for p in pages],
        "past_chats": [chat_to_dict(chat) for chat in past_chats],
    }


# --- OpenAPI / REST input shapes -------------------------------------------


class AttachmentSchema(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()


class MessageSchema(serializers.Serializer):
    id = serializers.IntegerField()
    chat_id = serializers.IntegerField()
    seq = serializers.IntegerField()
    content = serializers.CharField()
    type = serializers.ChoiceField(choices=["text", "file", "image"])
    sender_type = serializers.ChoiceField(choices=["visitor", "agent", "bot", "system"])
    sender_id = serializers.CharField()
    is_from_bot = serializers.BooleanField()
    client_id = serializers.CharField(allow_null=True)
    attachment = AttachmentSchema(allow_null=True)
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class VisitorInfoSchema(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.CharField()
    page_url = serializers.CharField()
    user_agent = serializers.CharField()


class ChatSchema(serializers.Serializer):
    id = serializers.IntegerField()
    website_id = serializers.IntegerField()
    session_id = serializers.CharField()
    visitor_id = serializers.CharField()
    status = serializers.ChoiceField(choices=["active", "closed"])
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    visitor = VisitorInfoSchema()
    message_count = serializers.IntegerField()
    last_message = MessageSchema(allow_null=True)
    assigned_to = serializers.IntegerField(allow_null=True)
    first_response_at = serializers.DateTimeField(allow_null=True)
    unread_count = serializers.IntegerField(
        min_value=0,
        allow_null=True,
        help_text=(
            "Visitor messages no agent has read (read_at null). Always a number in REST "
            "answers; a socket frame built without counting (on the event loop) may carry "
            "null, except for a chat of at most one message (chat_started)."
        ),
    )
    last_activity_at = serializers.DateTimeField(
        help_text="The last message's created_at, else started_at; the inbox's order."
    )


class LocationSchema(serializers.Serializer):
    country = serializers.CharField(allow_null=True)
    city = serializers.CharField(allow_null=True)


class PageViewSchema(serializers.Serializer):
    url = serializers.CharField()
    title = serializers.CharField(allow_blank=True)
    at = serializers.DateTimeField()


class VisitorPanelSchema(serializers.Serializer):
    visitor_id = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    page_url = serializers.CharField(
        allow_blank=True, help_text="The page the visitor is on (last reported)."
    )
    user_agent = serializers.CharField(allow_blank=True)
    first_seen = serializers.DateTimeField()
    last_seen = serializers.DateTimeField()
    location = LocationSchema(
        allow_null=True,
        help_text=(
            "Where the visit comes from, when the proxy tells (CHATELLY_COUNTRY_HEADER): "
            "`country` is an ISO 3166-1 alpha-2 code, `city` null. Otherwise null."
        ),
    )
    pages = PageViewSchema(many=True, help_text="The visitor's last 50 page views, newest first.")
    past_chats = ChatSchema(
        many=True, help_text="The visitor's other chats on this website, newest activity first, at most 20."
    )


class MessagePageSchema(serializers.Serializer):
    results = MessageSchema(many=True)
    next_after = serializers.IntegerField(allow_null=True)


class AgentMessageInput(serializers.Serializer):
    content = StrictCharField(allow_blank=True, trim_whitespace=False, required=False, default="")
    client_id = StrictCharField(min_length=1, max_length=64, required=False, trim_whitespace=False)
    attachment_id = StrictIntegerField(required=False, min_value=1)


class AssignInput(serializers.Serializer):
    user_id = StrictIntegerField(allow_null=True, min_value=1, max_value=2**63 - 1)  # ids are bigint


class TicketSchema(serializers.Serializer):
    ticket = serializers.CharField()
    expires_in = serializers.IntegerField()


class UploadSchema(serializers.Serializer):
    file = serializers.FileField()


class UploadWebsiteInput(serializers.Serializer):
    website_id = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        help_text="The website the file is for: one the caller is a member of (another one: 404).",
    )


class AgentUploadSchema(UploadSchema, UploadWebsiteInput):
    pass
