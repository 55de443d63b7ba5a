"""PostgreSQL from the event loop, for the few hot statements that must not cross to a thread.

Django's ORM is sync: under ASGI every query goes to a thread and back. The
statements here (the messages page, a visitor's connect) are single
statements on psycopg's AsyncConnection, from a psycopg-pool
`AsyncConnectionPool` per event loop, in autocommit. Only PostgreSQL: on the
embedded SQLite `available()` is False and callers take the ORM path.
"""

import asyncio
import functools
import threading
from contextlib import asynccontextmanager

import psycopg
from django.conf import settings
from django.db import connections
from psycopg_pool import AsyncConnectionPool

from .loops import for_this_loop

DatabaseError = psycopg.Error  # psycopg_pool's PoolTimeout and PoolClosed are among them

# Connections per event loop (a server process has one loop), opened as needed.
MAX_CONNECTIONS = 4
CONNECT_TIMEOUT_SECONDS = 2


class LoopPool:
    """psycopg-pool's pool for one event loop, and the connections it made.

    The pool hands out a connection as is (no check: a round trip per
    statement); one the server dropped fails its statement, the caller takes
    the thread path, and the pool replaces it when it comes back.
    """

    def __init__(self):
        self.made: list[psycopg.AsyncConnection] = []
        # Callers queue here rather than in the pool: a pool's waiting client is
        # handed its connection through a condition and a lock, several loop turns
        # per statement, which cost a quarter of the throughput when all are busy.
        self.slots = asyncio.Semaphore(MAX_CONNECTIONS)
        self.pool = AsyncConnectionPool(
            kwargs=_params(),
            min_size=0,
            max_size=MAX_CONNECTIONS,
            # Waiting for a new connection (a slot is held, so one is free or
            # coming); past it the caller takes the thread path: an unreachable
            # server never holds a request longer.
            timeout=CONNECT_TIMEOUT_SECONDS,
            configure=self._made,
            open=False,
            name="chatelly.async_db",
        )

    async def _made(self, conn: psycopg.AsyncConnection) -> None:
        self.made = [made for made in self.made if not made.closed]
        self.made.append(conn)

    @asynccontextmanager
    async def connection(self):
        async with self.slots:
            if self.pool.closed:  # not opened yet: on first use, on this loop
                await self.pool.open()
            async with self.pool.connection() as conn:
                yield conn

    def close(self) -> None:
        # Synchronous and loop-free: also works for a loop that is already closed
        # (its runner cancelled the pool's tasks); the pool is dropped with it.
        for conn in self.made:
            conn.pgconn.finish()
        self.made.clear()


_by_loop: dict[asyncio.AbstractEventLoop, LoopPool] = {}
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
    # An unreachable server fails the connection attempt instead of holding it
    # for the system's TCP timeout.
    params.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
    return params


def _for_loop() -> LoopPool:
    with _lock:
        return for_this_loop(_by_loop, LoopPool, on_forget=LoopPool.close)


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
