"""PostgreSQL from the event loop, for the few hot statements that must not cross to a thread.

Django's ORM is sync: under ASGI every query goes to a thread and back. The
statements here (the messages page, a visitor's connect) are single
statements on psycopg's AsyncConnection, a few connections per event loop,
in autocommit. Only PostgreSQL: on the embedded
SQLite `available()` is False and callers take the ORM path.
"""

import asyncio
import functools
import threading
from contextlib import asynccontextmanager

import psycopg
from django.conf import settings
from django.db import connections

from .loops import for_this_loop

DatabaseError = psycopg.Error

# Connections per event loop (a server process has one loop).
MAX_CONNECTIONS = 4
CONNECT_TIMEOUT_SECONDS = 2


class LoopConnections:
    """A small pool bound to one event loop; connections that broke are dropped."""

    def __init__(self):
        self.idle: list[psycopg.AsyncConnection] = []
        self.slots = asyncio.Semaphore(MAX_CONNECTIONS)

    @asynccontextmanager
    async def connection(self):
        async with self.slots:
            conn = self.idle.pop() if self.idle else await _connect()
            try:
                yield conn
            finally:
                idle = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
                if conn.broken or conn.closed or not idle:
                    _finish(conn)
                else:
                    self.idle.append(conn)

    def close(self) -> None:
        while self.idle:
            _finish(self.idle.pop())


_by_loop: dict[asyncio.AbstractEventLoop, LoopConnections] = {}
_lock = threading.Lock()


def available() -> bool:
    return unconnected_wrapper().vendor == "postgresql"


@functools.cache
def unconnected_wrapper():
    """A DatabaseWrapper of the default database that never connects: its vendor,
    its `ops` (preparing values for the statements here) and its connection
    parameters. `django.db.connection` on the event loop would build one per
    async context, i.e. per socket and per request."""
    return connections.create_connection("default")


def _params() -> dict:
    params = unconnected_wrapper().get_connection_params()
    params.pop("cursor_factory", None)  # Django's sync cursor class
    params["autocommit"] = True
    # The only writes here are visits (chat.services.visitor_session_on_loop):
    # their commits need not wait for the disk (see chatelly.db.commit_without_flush).
    params["options"] = f"{params.get('options', '')} -c synchronous_commit=off".strip()
    # An unreachable server fails the call (and the caller's thread path answers)
    # instead of holding the request for the system's TCP timeout.
    params.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
    return params


async def _connect() -> psycopg.AsyncConnection:
    return await psycopg.AsyncConnection.connect(**_params())


def _finish(conn: psycopg.AsyncConnection) -> None:
    # Synchronous and loop-free: also works for a loop that is already closed.
    conn.pgconn.finish()


def _for_loop() -> LoopConnections:
    with _lock:
        return for_this_loop(_by_loop, LoopConnections, on_forget=LoopConnections.close)


async def fetch(sql: str, params: list) -> list[tuple]:
    """The rows of one read statement (prepared, except behind PgBouncer)."""
    prepare = not settings.DATABASES["default"].get("DISABLE_SERVER_SIDE_CURSORS")
    async with _for_loop().connection() as conn:
        cursor = await conn.execute(sql, params, prepare=prepare or None)
        return await cursor.fetchall()


def close_all() -> None:
    """Close every loop's connections (tests, process end)."""
    with _lock:
        for pool in _by_loop.values():
            pool.close()
        _by_loop.clear()
