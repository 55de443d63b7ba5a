"""One presence heartbeat per process for all of its sockets.

Each socket's presence entries expire unless renewed (`presence.TTL_SECONDS`).
Renewing them socket by socket cost a thread hop and a Redis round trip per
socket every `HEARTBEAT_SECONDS`, and sockets that connected together beat
together: a thousand sockets stalled the message path every 20 s. Here one
task per event loop renews every entry in a few pipelines, reads whether
agents are online for each website its visitor sockets belong to, and hands
each socket the answer. The agents-online answer is also kept for a moment
so that a burst of connects asks Redis once per website, not once per socket.
Agent sockets are re-checked on the same beat, in one database read for all
of them: a user deactivated, a password changed or a membership removed ends
the socket even when the close event sent at the time was lost.
"""

import asyncio
import logging
import time
from datetime import datetime
from typing import Protocol

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.utils import timezone

from chat import presence, services
from chatelly.loops import for_this_loop
from websites.selectors import agents_standing

logger = logging.getLogger("chatelly.heartbeat")

ONLINE_CACHE_SECONDS = 2.0
SEEN_SECONDS = 1.0


class Beating(Protocol):
    def presence_entries(self) -> list[tuple[str, str]]: ...

    async def heartbeat(self, agents_online: dict[int, bool]) -> None: ...

    def heartbeat_website(self) -> int | None: ...


class Heartbeat:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.sockets: dict[int, Beating] = {}
        self._seen: dict[int, datetime] = {}  # visitor pk -> when its last socket closed
        self._seen_task: asyncio.Task | None = None
        self._task: asyncio.Task | None = None
        self._online: dict[int, tuple[bool, float]] = {}  # website -> (answer, read at)
        self._reading: dict[int, tuple[asyncio.Task, float]] = {}

    def add(self, socket: Beating) -> None:
        self.sockets[id(socket)] = socket
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._forever())

    def discard(self, socket: Beating) -> None:
        self.sockets.pop(id(socket), None)

    def visitor_gone(self, visitor_pk: int) -> None:
        """A visitor's last socket closed: store `last_seen` within SEEN_SECONDS, with
        everyone else's (a restart closes thousands of sockets at once; one
        database trip each queued the reconnecting sockets behind them)."""
        self._seen[visitor_pk] = timezone.now()
        if self._seen_task is None or self._seen_task.done():
            self._seen_task = asyncio.ensure_future(self._store_seen())

    async def _store_seen(self) -> None:
        await asyncio.sleep(SEEN_SECONDS)
        seen, self._seen = self._seen, {}
        latest = max(seen.values())  # within SEEN_SECONDS of each
        try:
            await database_sync_to_async(services.visitors_seen)(visitor_pks=list(seen), at=latest)
        except Exception:  # the database is down: last_seen is a hint, not data
            logger.warning("storing last_seen failed", exc_info=True)

    async def _forever(self) -> None:
        while self.sockets:
            await asyncio.sleep(self.seconds)
            try:
                await self.beat()
            except Exception:  # Redis is down: entries expire, sockets stay; try next time
                logger.warning("presence heartbeat failed", exc_info=True)

    async def beat(self) -> None:
        sockets = list(self.sockets.values())
        entries = [entry for socket in sockets for entry in socket.presence_entries()]
        websites = sorted({w for socket in sockets if (w := socket.heartbeat_website()) is not None})
        started = time.time()
        online = await sync_to_async(_renew_and_read, thread_sensitive=False)(entries, websites)
        self._online.update({w: (value, started) for w, value in online.items()})
        for socket in sockets:
            try:
                await socket.heartbeat(online)
            except Exception:
                logger.warning("socket heartbeat failed", exc_info=True)
        await self.recheck_agents(sockets)

    async def recheck_agents(self, sockets: list) -> None:
        agents = [s for s in sockets if getattr(s, "heartbeat_user", lambda: None)() is not None]
        if not agents:
            return
        user_ids = sorted({socket.heartbeat_user() for socket in agents})
        try:
            standing = await database_sync_to_async(agents_standing)(user_ids=user_ids)
        except Exception:  # the database is down: check again next beat
            logger.warning("agent re-check failed", exc_info=True)
            return
        for socket in agents:
            try:
                await socket.recheck(standing)
            except Exception:
                logger.warning("agent re-check of a socket failed", exc_info=True)

    async def agents_online(self, website_id: int, *, not_before: float = 0.0) -> bool:
        """Whether an agent of the website is online: an answer read at most
        ONLINE_CACHE_SECONDS ago and not before `not_before` (wall clock), or a new
        read shared by every socket that asks while it runs."""
        cached = self._online.get(website_id)
        now = time.time()
        if cached is not None and cached[1] > not_before and now - cached[1] < ONLINE_CACHE_SECONDS:
            return cached[0]
        reading = self._reading.get(website_id)
        if reading is None or reading[1] <= not_before:
            task = asyncio.ensure_future(self._read_online(website_id))
            reading = self._reading[website_id] = (task, now)
        return await asyncio.shield(reading[0])

    async def _read_online(self, website_id: int) -> bool:
        started = time.time()
        try:
            value = await sync_to_async(presence.agents_online, thread_sensitive=False)(website_id)
        finally:
            if self._reading.get(website_id, (None,))[0] is asyncio.current_task():
                del self._reading[website_id]
        self._online[website_id] = (value, started)
        return value


def _renew_and_read(entries: list, websites: list[int]) -> dict[int, bool]:
    if entries:
        presence.renew(entries)
    return presence.agents_online_many(websites) if websites else {}


_heartbeats: dict[asyncio.AbstractEventLoop, Heartbeat] = {}


def heartbeat() -> Heartbeat:
    """This event loop's heartbeat."""
    return for_this_loop(_heartbeats, lambda: Heartbeat(presence.HEARTBEAT_SECONDS))
