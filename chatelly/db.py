"""Raw statements that Django's cursor makes slow on PostgreSQL."""

import time

import psycopg
from django.db import connection


def execute(sql: str, params: list) -> list[tuple]:
    """Run one statement on the current connection (and transaction) with
    server-side binding; its rows, if any. Errors come out as Django's."""
    connection.ensure_connection()
    behind_pgbouncer = connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    started = time.perf_counter()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=False if behind_pgbouncer else None)
        rows = cursor.fetchall() if cursor.description else []
    if connection.queries_logged:  # DEBUG, or tests counting queries
        connection.queries_log.append({"sql": sql, "time": f"{time.perf_counter() - started:.3f}"})
    return rows


def on_postgres() -> bool:
    """Whether the database is PostgreSQL (production, CI) rather than the embedded
    SQLite of `make run`: the one question every SQLite fallback asks."""
    return connection.vendor == "postgresql"


def commit_without_flush() -> None:
    """Let the current transaction's COMMIT return before its WAL reaches disk.

    For rows that a crash may lose without harm because the next connect
    writes them again (a visitor's row and visit): PostgreSQL still keeps
    commit order, so a later durable commit (a message) makes these durable
    too. Saves the disk flush that bounded connects per second."""
    if on_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
