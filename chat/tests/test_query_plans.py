"""The connect path's and the message writer's statements keep their index whatever the table statistics say
(autovacuum may not have analyzed a site that grew since), and no index is kept
that another one starting with the same column already serves."""

import pytest
from django.db import connection
from django.utils import timezone

from chat.models import Chat, Message, Visitor
from chat.services import visitors
from chat.writer import statements
from testsupport.plans import plan_nodes

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's planner (CI sets DATABASE_URL)"
)


def _indexes_used(sql: str, params: list) -> set[str]:
    return {node["Index Name"] for node in plan_nodes(sql, params) if "Index Name" in node}


def _probes_only(sql: str, params: list, table: str, key: str) -> bool:
    """Every read of `table` is an index probe by `key`, a column of the pairs (`v`)."""
    reads = [node for node in plan_nodes(sql, params) if node.get("Relation Name") == table]
    return bool(reads) and all(f"v.{key}" in node.get("Index Cond", "") for node in reads)


@pytest.mark.parametrize(
    ("table", "column"), [("chat_visitor", "website_id"), ("chats", "website_id"), ("messages", "chat_id")]
)
def test_no_single_column_index_where_a_wider_one_starts_with_the_column(table, column):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    indexed = [c["columns"] for c in constraints.values() if c["index"] or c["unique"]]
    assert [column] not in indexed
    assert any(columns[0] == column and len(columns) > 1 for columns in indexed)


@postgres_only
def test_a_returning_visitors_update_probes_the_unique_index_on_stale_statistics(website):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE chat_visitor")  # statistics of an empty table
    Visitor.objects.bulk_create(Visitor(website=website, visitor_id=f"v_{i}") for i in range(3000))
    renewal = visitors._renewal(website.id, "v_42", "UA/1", timezone.now())
    sql, params = statements.visitor_returns_statement(**renewal)
    indexes = _indexes_used(sql, params)
    assert "visitor_unique_per_website" in indexes
    assert indexes <= {"visitor_unique_per_website", "chat_one_active_per_visitor"}


@postgres_only
def test_the_message_writers_look_ups_probe_per_pair_on_stale_statistics(website):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE chats")  # statistics of empty tables
        cursor.execute("ANALYZE messages")
    visitors = Visitor.objects.bulk_create(Visitor(website=website, visitor_id=f"v_{i}") for i in range(500))
    chats = Chat.objects.bulk_create(
        Chat(website=website, visitor_record=v, visitor_id=v.visitor_id, session_id="s") for v in visitors
    )
    Message.objects.bulk_create(
        Message(chat=chat, website=website, seq=1, sender_type="visitor", sender_id="v", client_id="c1")
        for chat in chats
    )
    statements.probes_only()  # as the writer's transaction does
    lock = statements._filled(Chat, statements.LOCK_ACTIVE_CHATS)
    assert _probes_only(lock, [[website.id] * 20, [v.pk for v in visitors[:20]]], "chats", "visitor_pk")
    earlier = statements._filled(Message, statements.MESSAGES_WITH_CLIENT_IDS)
    assert _probes_only(earlier, [[c.pk for c in chats[:20]], ["c1"] * 20], "messages", "client_id")
