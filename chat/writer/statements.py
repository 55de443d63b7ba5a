"""The batched writer's statements, for any number of rows in one statement.

On PostgreSQL they take arrays (`= ANY(%s)`, `unnest(...)`), so the SQL text
is the same for every batch: psycopg then neither re-parses a new query of
hundreds of placeholders per batch (it was a tenth of the message path's
CPU) nor quotes each value into it. They run on a server-side-binding cursor
(Django's own binds on the client, quoting every array element into the SQL
text: another tenth), prepared once per connection except behind PgBouncer.
Elsewhere (the embedded SQLite default) the ORM does the same work row by row
in a few statements.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model
from django.utils import timezone

from chat.models import Chat, ChatStatus, Message, Visitor
from chatelly.db import execute, on_postgres


def _models(model: type[Model], sql: str, params: list, *, extra: int = 0) -> list:
    """Model instances from `sql`, a SELECT or an UPDATE ... RETURNING whose `{table}`
    and `{columns}` (every concrete field, read from the alias `c`) are filled in here. With
    `extra` more columns after them: (instance, *extra values) per row."""
    return _from_rows(model, execute(_filled(model, sql), params), extra=extra)


def _filled(model: type[Model], sql: str) -> str:
    columns = ", ".join(f'c."{field.column}"' for field in model._meta.concrete_fields)
    return sql.format(table=model._meta.db_table, columns=columns)


def _from_rows(model: type[Model], rows: Sequence[Sequence[Any]], *, extra: int = 0) -> list:
    names = [field.attname for field in model._meta.concrete_fields]
    if extra:
        return [(model.from_db(DEFAULT_DB_ALIAS, names, row[:-extra]), *row[-extra:]) for row in rows]
    return [model.from_db(DEFAULT_DB_ALIAS, names, row) for row in rows]


def insert(instance: Model) -> None:
    """Save a new model instance in one INSERT ... RETURNING id, without the ORM's
    save machinery (no signals: none are connected to the models saved here)."""
    if not on_postgres():
        instance.save(force_insert=True)
        return
    sql, values = insert_statement(instance)
    inserted(instance, execute(sql, values)[0][0])


def insert_statement(instance: Model, using: BaseDatabaseWrapper | None = None) -> tuple[str, list]:
    """The INSERT ... RETURNING id of a new instance (its defaults and auto_now_add set).
    `using`: the DatabaseWrapper whose `ops` prepare the values (on the event loop,
    async_db.unconnected_wrapper(): `connection` there builds a wrapper per async context)."""
    using = using or connection
    meta = instance._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    for field in fields:
        field.pre_save(instance, add=True)  # auto_now_add, upload names
    columns = ", ".join(f'"{field.column}"' for field in fields)
    values = [field.get_db_prep_save(getattr(instance, field.attname), using) for field in fields]
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f'INSERT INTO "{meta.db_table}" ({columns}) VALUES ({placeholders}) RETURNING "{meta.pk.column}"'  # noqa: S608
    return sql, values


def inserted(instance: Model, pk: int) -> None:
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = DEFAULT_DB_ALIAS


_VISITOR_RETURNS = (
    "UPDATE {table} AS c SET session_id = CASE WHEN c.last_seen < %s THEN %s ELSE c.session_id END, "  # noqa: S608
    "last_seen = %s, user_agent = CASE WHEN %s <> '' THEN %s ELSE c.user_agent END "
    "WHERE c.website_id = %s AND c.visitor_id = %s RETURNING {columns}, "
    f"(SELECT a.id FROM {Chat._meta.db_table} AS a WHERE a.website_id = c.website_id "
    f"AND a.visitor_record_id = c.id AND a.status = '{ChatStatus.ACTIVE}')"
)


def visitor_returns(**kwargs: Any) -> tuple[Visitor, int | None] | None:
    """Renew a returning visitor's visit in one statement: (the visitor, the id of
    its active chat or None), or None when there is no such visitor. A new session
    begins when the last one ended before `gap_start`. (Most returning visitors
    have no active chat: the ORM's chat query, compiled for each connect, was a
    third of a reconnect storm's CPU.)"""
    if not on_postgres():
        return None  # the ORM path (the caller's) does the same in a few statements
    sql, params = visitor_returns_statement(**kwargs)
    return visitor_returned(execute(sql, params))


def visitor_returns_statement(
    *, website_id: int, visitor_id: str, now: datetime, gap_start: datetime, new_session: str, user_agent: str
) -> tuple[str, list]:
    params = [gap_start, new_session, now, user_agent, user_agent, website_id, visitor_id]
    return _filled(Visitor, _VISITOR_RETURNS), params


def visitor_returned(rows: Sequence[Sequence[Any]]) -> tuple[Visitor, int | None] | None:
    """visitor_returns' answer from its statement's rows."""
    found = _from_rows(Visitor, rows, extra=1)
    return found[0] if found else None


def probes_only() -> None:
    """For the rest of this transaction PostgreSQL plans no sequential scan.

    Every statement of a batch reads rows by key. Planned on the statistics of a
    near-empty table (a new install, a site that grew before autovacuum's next
    pass), the chat lock scanned every chat, dead versions included, for each
    batch: past 100 ms a batch within a minute at 1,000 messages/s, and the
    writer's queue overflowed. A plain cursor: a SET is never prepared."""
    if on_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")


# The visitor's pk alone (it has one website), so that the only index a pair can
# probe is the visitor's own; the status as a literal (a constant).
LOCK_ACTIVE_CHATS = (
    "SELECT {columns} FROM unnest(%s::bigint[], %s::bigint[]) AS v(website_id, visitor_pk) "  # noqa: S608 (a constant)
    "CROSS JOIN LATERAL (SELECT * FROM {table} AS a WHERE a.visitor_record_id = v.visitor_pk "
    f"AND a.status = '{ChatStatus.ACTIVE}' LIMIT 1 FOR UPDATE) AS c"
)
MESSAGES_WITH_CLIENT_IDS = (
    "SELECT {columns} FROM unnest(%s::bigint[], %s::text[]) AS v(chat_id, client_id) "
    "CROSS JOIN LATERAL (SELECT * FROM {table} AS a WHERE a.chat_id = v.chat_id "
    "AND a.client_id = v.client_id LIMIT 1) AS c"
)


def lock_active_chats(visitors: list[tuple[int, int]]) -> list[Chat]:
    """The active chats of these (website id, visitor pk), row-locked in the pairs'
    order (callers sort them: every batch locks in one order, so two never deadlock).

    On PostgreSQL each pair is one probe for its chat (a LATERAL ... LIMIT 1 is not
    turned into a join; with probes_only() it is an index probe whatever the
    statistics say)."""
    if not on_postgres():
        return list(
            Chat.objects.select_for_update()
            .filter(visitor_record_id__in=[pk for _, pk in visitors], status=ChatStatus.ACTIVE)
            .order_by("id")
        )
    return _models(Chat, LOCK_ACTIVE_CHATS, [[w for w, _ in visitors], [pk for _, pk in visitors]])


def messages_with_client_ids(pairs: list[tuple[int, str]]) -> list[Message]:
    """Messages stored earlier under these (chat id, client id)."""
    if not on_postgres():
        wanted = set(pairs)
        found = Message.objects.select_related("attachment").filter(
            chat_id__in={c for c, _ in wanted}, client_id__in={k for _, k in wanted}
        )
        return [m for m in found if (m.chat_id, m.client_id) in wanted]
    # A retry's earlier message (rare): its attachment, if any, loads when rendered.
    # One probe of (chat, client id) per pair whatever the statistics, as above.
    return _models(Message, MESSAGES_WITH_CLIENT_IDS, [[c for c, _ in pairs], [k for _, k in pairs]])


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
    if not on_postgres():
        Message.objects.bulk_create(messages)
        return
    now = timezone.now()
    for message in messages:
        message.created_at = now
    names = ", ".join(name for name, _ in _MESSAGE_COLUMNS)
    arrays = ", ".join(f"%s::{kind}[]" for _, kind in _MESSAGE_COLUMNS)
    params = [[getattr(message, name) for message in messages] for name, _ in _MESSAGE_COLUMNS]
    rows = execute(
        f"INSERT INTO {Message._meta.db_table} ({names}) SELECT * FROM unnest({arrays}) "  # noqa: S608
        "RETURNING id, chat_id, seq",
        params,
    )
    ids = {(chat_id, seq): pk for pk, chat_id, seq in rows}
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
    if not on_postgres():
        Chat.objects.bulk_update(chats, [name.removesuffix("_id") for name, _ in _SUMMARY_COLUMNS])
        return
    assignments = ", ".join(f"{name} = v.{name}" for name, _ in _SUMMARY_COLUMNS)
    arrays = ", ".join(f"%s::{kind}[]" for _, kind in _SUMMARY_COLUMNS)
    names = ", ".join(name for name, _ in _SUMMARY_COLUMNS)
    params = [[chat.pk for chat in chats]]
    params += [[getattr(chat, name) for chat in chats] for name, _ in _SUMMARY_COLUMNS]
    execute(
        f"UPDATE {Chat._meta.db_table} AS c SET {assignments} "  # noqa: S608
        f"FROM unnest(%s::bigint[], {arrays}) AS v(id, {names}) WHERE c.id = v.id",
        params,
    )
