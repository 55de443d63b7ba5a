"""The hot raw statements are prepared on their connection (Django's default would never prepare them)."""

import pytest
from django.conf import settings
from django.db import connection

from chatelly import async_db, db

pytestmark = [
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="prepared statements are PostgreSQL's (CI sets DATABASE_URL)",
    ),
    pytest.mark.django_db(transaction=True),
]

PREPARED = "SELECT statement FROM pg_prepared_statements"


def test_a_repeated_raw_statement_is_prepared_on_the_django_connection():
    for _ in range(6):
        assert db.execute("SELECT %s::int + 1", [1]) == [(2,)]
    statements = [statement for (statement,) in db.execute(PREPARED, [])]
    assert "SELECT $1::int + 1" in statements
    # The ORM's client-side-binding cursors are not.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 41 + %s", [1])
        cursor.execute("SELECT 41 + %s", [1])
    assert not any("41 +" in s for (s,) in db.execute(PREPARED, []))


async def test_the_event_loops_statements_are_prepared_from_their_first_run():
    try:
        assert await async_db.fetch("SELECT %s::int * 2", [21]) == [(42,)]
        statements = [statement for (statement,) in await async_db.fetch(PREPARED, [])]
        assert "SELECT $1::int * 2" in statements
    finally:
        async_db.close_all()
