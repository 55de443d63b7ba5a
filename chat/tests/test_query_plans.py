"""The connect path's statements keep their index whatever the table statistics say
(autovacuum may not have analyzed a site that grew since), and no index is kept
that another one starting with the same column already serves."""

import json

import pytest
from django.db import connection
from django.utils import timezone

from chat import batch_sql, services
from chat.models import Visitor

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's planner (CI sets DATABASE_URL)"
)


def _indexes_used(sql: str, params: list) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    found, nodes = set(), [plan[0]["Plan"]]
    while nodes:
        node = nodes.pop()
        if "Index Name" in node:
            found.add(node["Index Name"])
        nodes.extend(node.get("Plans", []))
    return found


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
    renewal = services._renewal(website.id, "v_42", "UA/1", timezone.now())
    sql, params = batch_sql.visitor_returns_statement(**renewal)
    indexes = _indexes_used(sql, params)
    assert "visitor_unique_per_website" in indexes
    assert indexes <= {"visitor_unique_per_website", "chat_one_active_per_visitor"}
