"""Who is connected, right across several server processes and after one dies.

Each socket registers under a connection id with an expiry time and renews it
on a heartbeat; readers count only entries that have not expired, so a dead
process's sockets drop out within `TTL_SECONDS` by themselves. With Redis the
entries are sorted sets scored by expiry; the embedded default keeps them in
this process (it is the only one).
"""

import threading
import time

from django.conf import settings
from django.core.cache import cache

TTL_SECONDS = 60
HEARTBEAT_SECONDS = 20


class _MemoryStore:
    def __init__(self):
        self._lock = threading.Lock()
        self._sets: dict[str, dict[str, float]] = {}

    def add(self, key: str, member: str, expires: float) -> None:
        with self._lock:
            self._sets.setdefault(key, {})[member] = expires

    def remove(self, key: str, member: str) -> None:
        with self._lock:
            self._sets.get(key, {}).pop(member, None)

    def live(self, key: str, now: float) -> list[str]:
        with self._lock:
            entries = self._sets.get(key, {})
            for member in [m for m, exp in entries.items() if exp <= now]:
                del entries[member]
            return list(entries)

    def clear(self) -> None:
        with self._lock:
            self._sets.clear()


class _RedisStore:
    def _client(self):
        return cache._cache.get_client(write=True)

    def add(self, key: str, member: str, expires: float) -> None:
        client = self._client()
        pipe = client.pipeline()
        pipe.zadd(key, {member: expires})
        pipe.expire(key, TTL_SECONDS * 2)
        pipe.execute()

    def remove(self, key: str, member: str) -> None:
        self._client().zrem(key, member)

    def live(self, key: str, now: float) -> list[str]:
        client = self._client()
        client.zremrangebyscore(key, "-inf", now)
        return [m.decode() if isinstance(m, bytes) else m for m in client.zrange(key, 0, -1)]


_memory = _MemoryStore()


def _store():
    return _RedisStore() if settings.REDIS_URL else _memory


def _agents_key(website_id: int) -> str:
    return f"{settings.CACHE_KEY_PREFIX}:presence:agents:{website_id}"


def agent_connected(*, website_ids: list[int], connection_id: str) -> None:
    """Register (or renew) an agent socket on each of its websites."""
    store, expires = _store(), time.time() + TTL_SECONDS
    for website_id in website_ids:
        store.add(_agents_key(website_id), connection_id, expires)


def agent_disconnected(*, website_ids: list[int], connection_id: str) -> None:
    store = _store()
    for website_id in website_ids:
        store.remove(_agents_key(website_id), connection_id)


def agents_online(website_id: int) -> bool:
    return bool(_store().live(_agents_key(website_id), time.time()))
