"""Visitors, chats, messages and attachments.

`Message.seq` counts 1, 2, 3... per chat with no gap, in commit order: it is
taken from `Chat.last_seq` under the chat's row lock in the same transaction
that inserts the message.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce


def new_visitor_id() -> str:
    return "v_" + secrets.token_urlsafe(16)


def new_session_id() -> str:
    return "s_" + secrets.token_urlsafe(16)


class SenderType(models.TextChoices):
    VISITOR = "visitor", "Visitor"
    AGENT = "agent", "Agent"
    BOT = "bot", "Bot"
    SYSTEM = "system", "System"


class MessageType(models.TextChoices):
    TEXT = "text", "Text"
    FILE = "file", "File"
    IMAGE = "image", "Image"


class ChatStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class Visitor(models.Model):
    # No index of its own: visitor_unique_per_website (website, visitor_id) serves
    # website look-ups. With the extra index, stale statistics could plan a
    # returning visitor's UPDATE as a scan of the site's visitors (1 ms each).
    website = models.ForeignKey(
        "websites.Website", on_delete=models.CASCADE, related_name="visitors", db_index=False
    )
    visitor_id = models.CharField(max_length=64, default=new_visitor_id)
    name = models.CharField(max_length=255, blank=True, default="")
    email = models.EmailField(max_length=254, blank=True, default="")
    page_url = models.CharField(max_length=2048, blank=True, default="")
    page_title = models.CharField(max_length=512, blank=True, default="")
    user_agent = models.CharField(max_length=512, blank=True, default="")
    # The current visit: sockets with gaps under 30 minutes share it.
    session_id = models.CharField(max_length=64, default=new_session_id)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "chat_visitor"
        constraints = [
            models.UniqueConstraint(fields=["website", "visitor_id"], name="visitor_unique_per_website")
        ]

    def __str__(self) -> str:
        return self.visitor_id


def attachment_path(instance, filename: str) -> str:
    """A random stored name that keeps only the detected extension."""
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"attachments/{secrets.token_urlsafe(24)}.{extension}"


class Attachment(models.Model):
    # Every upload names its website; NULL only on agent uploads made before
    # that was required (purged as unused, or deleted with their uploader).
    website = models.ForeignKey(
        "websites.Website", null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    uploader_type = models.CharField(max_length=16, choices=[("visitor", "Visitor"), ("agent", "Agent")])
    # The visitor id, or the agent's user id, as a string.
    uploader_id = models.CharField(max_length=64)
    file = models.FileField(upload_to=attachment_path, max_length=255)
    name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "chat_attachment"
        indexes = [
            models.Index(fields=["website", "uploader_type", "uploader_id"], name="attachment_uploader"),
            # The upload quotas: bytes stored per website / per agent over the last day.
            models.Index(fields=["website", "created_at"], name="attachment_website_created"),
            models.Index(
                fields=["uploader_id", "created_at"],
                condition=Q(uploader_type="agent"),
                name="attachment_agent_created",
            ),
        ]

    def __str__(self) -> str:
        return self.name


# A chat's last activity: its last message, else its start.
LAST_ACTIVITY = Coalesce("last_message_at", "started_at")


class Chat(models.Model):
    # No index of its own: every index below starts with the website.
    website = models.ForeignKey(
        "websites.Website", on_delete=models.CASCADE, related_name="chats", db_index=False
    )
    session_id = models.CharField(max_length=255)
    visitor_id = models.CharField(max_length=255)  # the seed's column: the public visitor id
    visitor_record = models.ForeignKey(Visitor, on_delete=models.CASCADE, related_name="chats")
    status = models.CharField(max_length=50, choices=ChatStatus.choices, default=ChatStatus.ACTIVE)
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    last_seq = models.PositiveIntegerField(default=0)
    message_count = models.PositiveIntegerField(default=0)
    last_message = models.ForeignKey(
        "Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_message_at = models.DateTimeField(null=True, blank=True)
    first_visitor_message_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_chats",
    )

    class Meta:
        db_table = "chats"
        constraints = [
            models.UniqueConstraint(
                fields=["website", "visitor_record"],
                condition=Q(status="active"),
                name="chat_one_active_per_visitor",
            ),
        ]
        indexes = [
            models.Index(fields=["website", "status", "-last_message_at"], name="chat_inbox"),
            # The inbox lists, newest activity first (chat.selectors). No status column:
            # a new index with one ties, on stale statistics, with the visitor_record
            # probe of the message writer's chat lock (chat/tests/test_query_plans.py).
            models.Index(F("website"), LAST_ACTIVITY.desc(), F("id").desc(), name="chat_activity"),
            models.Index(fields=["website", "started_at", "status"], name="chat_started"),
            models.Index(fields=["website", "visitor_id"], name="chat_by_visitor"),
        ]

    def __str__(self) -> str:
        return f"chat {self.pk} ({self.status})"


class Message(models.Model):
    # No index of its own: message_seq_unique (chat, seq) serves chat look-ups,
    # and one index fewer to write per stored message.
    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="messages", db_index=False)
    # The chat's website, copied so that per-website counts need no join.
    website = models.ForeignKey(
        "websites.Website", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    seq = models.PositiveIntegerField()
    content = models.TextField(blank=True, default="")
    type = models.CharField(max_length=50, choices=MessageType.choices, default=MessageType.TEXT)
    sender_type = models.CharField(max_length=16, choices=SenderType.choices)
    sender_id = models.CharField(max_length=255)
    is_from_bot = models.BooleanField(default=False)
    # NULL, not "", when absent: uniqueness per chat applies only to real ids.
    client_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    attachment = models.ForeignKey(
        Attachment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "messages"
        constraints = [
            models.UniqueConstraint(fields=["chat", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(
                fields=["chat", "client_id"],
                condition=Q(client_id__isnull=False),
                name="message_client_id_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["website", "created_at", "sender_type"], name="message_website_created"),
        ]

    def __str__(self) -> str:
        return f"{self.chat_id}#{self.seq}"
