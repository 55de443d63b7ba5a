"""The batched writer's statements, for any number of rows in one statement.

On PostgreSQL they take arrays (`= ANY(%s)`, `unnest(...)`), so the SQL text
is the same for every batch: psycopg then neither re-parses a new query of
hundreds of placeholders per batch (it was a tenth of the message path's
CPU) nor quotes each value into it. Elsewhere (the embedded SQLite default)
the ORM does the same work row by row in a few statements.
"""

from django.db import connection
from django.utils import timezone

from .models import Chat, ChatStatus, Message


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def lock_active_chats(visitor_pks: list[int]) -> list[Chat]:
    """The visitors' active chats, row-locked in id order (no deadlock between batches)."""
    if not _postgres():
        return list(
            Chat.objects.select_for_update()
            .filter(visitor_record_id__in=visitor_pks, status=ChatStatus.ACTIVE)
            .order_by("id")
        )
    return list(
        Chat.objects.raw(
            f"SELECT * FROM {Chat._meta.db_table} WHERE visitor_record_id = ANY(%s) "  # noqa: S608
            "AND status = %s ORDER BY id FOR UPDATE",
            [visitor_pks, ChatStatus.ACTIVE],
        )
    )


def messages_with_client_ids(chat_ids: list[int], client_ids: list[str]) -> list[Message]:
    if not _postgres():
        return list(
            Message.objects.select_related("attachment").filter(
                chat_id__in=chat_ids, client_id__in=client_ids
            )
        )
    # A retry's earlier message (rare): its attachment, if any, loads when rendered.
    return list(
        Message.objects.raw(
            f"SELECT * FROM {Message._meta.db_table} WHERE chat_id = ANY(%s) AND client_id = ANY(%s)",  # noqa: S608
            [chat_ids, client_ids],
        )
    )


_MESSAGE_COLUMNS = [
    ("chat_id", "bigint"),
    ("website_id", "bigint"),
    ("seq", "integer"),
    ("content", "text"),
    ("type", "text"),
    ("sender_type", "text"),
    ("sender_id", "text"),
    ("is_from_bot", "boolean"),
    ("client_id", "text"),
    ("attachment_id", "bigint"),
    ("created_at", "timestamptz"),
]


def insert_messages(messages: list[Message]) -> None:
    """Insert new messages; sets their `id` and `created_at`."""
    if not _postgres():
        Message.objects.bulk_create(messages)
        return
    now = timezone.now()
    for message in messages:
        message.created_at = now
    names = ", ".join(name for name, _ in _MESSAGE_COLUMNS)
    arrays = ", ".join(f"%s::{kind}[]" for _, kind in _MESSAGE_COLUMNS)
    params = [[getattr(message, name) for message in messages] for name, _ in _MESSAGE_COLUMNS]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Message._meta.db_table} ({names}) SELECT * FROM unnest({arrays}) "  # noqa: S608
            "RETURNING id, chat_id, seq",
            params,
        )
        ids = {(chat_id, seq): pk for pk, chat_id, seq in cursor.fetchall()}
    for message in messages:
        message.pk = ids[(message.chat_id, message.seq)]
        message._state.adding = False


_SUMMARY_COLUMNS = [
    ("last_seq", "integer"),
    ("message_count", "integer"),
    ("last_message_id", "bigint"),
    ("last_message_at", "timestamptz"),
    ("first_visitor_message_at", "timestamptz"),
    ("first_response_at", "timestamptz"),
]


def save_chat_summaries(chats: list[Chat]) -> None:
    """Save the summary fields that a message changes, for many chats in one statement."""
    if not _postgres():
        Chat.objects.bulk_update(chats, [name.removesuffix("_id") for name, _ in _SUMMARY_COLUMNS])
        return
    assignments = ", ".join(f"{name} = v.{name}" for name, _ in _SUMMARY_COLUMNS)
    arrays = ", ".join(f"%s::{kind}[]" for _, kind in _SUMMARY_COLUMNS)
    names = ", ".join(name for name, _ in _SUMMARY_COLUMNS)
    params = [[chat.pk for chat in chats]]
    params += [[getattr(chat, name) for chat in chats] for name, _ in _SUMMARY_COLUMNS]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Chat._meta.db_table} AS c SET {assignments} "  # noqa: S608
            f"FROM unnest(%s::bigint[], {arrays}) AS v(id, {names}) WHERE c.id = v.id",
            params,
        )
