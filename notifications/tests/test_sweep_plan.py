"""The sweep stays cheap: on PostgreSQL its chat query walks chat_activity for
the last 24 h and reads messages by (chat, seq), never a whole table."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from chat.models import Chat, ChatStatus, Message, SenderType, Visitor
from notifications.selectors import unread_chats, unread_chats_query
from testsupport.plans import plan_nodes

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")


def many_chats(website, *, total, recent):
    now = timezone.now()
    visitors = Visitor.objects.bulk_create(
        Visitor(website=website, visitor_id=f"v_{i}") for i in range(total)
    )
    chats = Chat.objects.bulk_create(
        Chat(
            website=website,
            session_id="s",
            visitor_id=v.visitor_id,
            visitor_record=v,
            status=ChatStatus.ACTIVE,
            last_seq=1,
            last_message_at=now - (timedelta(minutes=10) if i < recent else timedelta(days=3)),
        )
        for i, v in enumerate(visitors)
    )
    Message.objects.bulk_create(
        Message(chat=c, website=website, seq=1, content="hi", sender_type=SenderType.VISITOR, sender_id="v")
        for c in chats
    )
    Message.objects.filter(chat__in=chats[:recent]).update(created_at=now - timedelta(minutes=10))
    return now


@postgres_only
def test_the_sweep_walks_chat_activity_and_probes_messages_by_chat(website):
    now = many_chats(website, total=4000, recent=40)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE chats")
        cursor.execute("ANALYZE messages")
    sql, params = unread_chats_query(website_ids=[website.id], now=now).query.sql_with_params()
    nodes = plan_nodes(sql, params)
    indexes = {node.get("Index Name") for node in nodes}
    assert "chat_activity" in indexes, nodes
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan"], nodes
    message_reads = [n for n in nodes if n.get("Relation Name") == "messages"]
    assert message_reads and all(n.get("Index Name") == "message_seq_unique" for n in message_reads)
    assert len(unread_chats(now=now)) == 40
