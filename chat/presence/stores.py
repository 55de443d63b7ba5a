"""Presence's sorted sets (member -> expiry time) in two stores with one interface:
Redis, shared by every process, and this process's memory for the embedded
default. The join scripts check the limits and take the entry in one step."""

import threading
from typing import Any

from django.core.cache import cache

from chatelly import aredis

TTL_SECONDS = 60
RENEW_CHUNK = 2000  # entries per pipeline: one heartbeat renews every socket of a process

IP_LIMIT = -1
WEBSITE_FULL = -2
IP_SHARE = -3  # the address has its share of the website's max_users
REFUSED = (IP_LIMIT, WEBSITE_FULL, IP_SHARE)

_JOIN_VISITOR = """
local now = tonumber(ARGV[1])
for i = 1, 4 do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now) end
local ip_limit, max_users, share = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[8])
if ip_limit > 0 and redis.call('ZCARD', KEYS[1]) >= ip_limit then return -1 end
if max_users > 0 and not redis.call('ZSCORE', KEYS[2], ARGV[3])
   and redis.call('ZCARD', KEYS[2]) >= max_users then return -2 end
if share > 0 and not redis.call('ZSCORE', KEYS[4], ARGV[3])
   and redis.call('ZCARD', KEYS[4]) >= share then return -3 end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[3])
for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ARGV[7]) end
return redis.call('ZCARD', KEYS[3])
"""

_LEAVE_VISITOR = """
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', tonumber(ARGV[1]))
local left = redis.call('ZCARD', KEYS[3])
if left == 0 then
  redis.call('ZREM', KEYS[2], ARGV[3])
  redis.call('ZREM', KEYS[4], ARGV[3])
end
return left
"""

_JOIN = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]))
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return before
"""

_LEAVE = """
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]))
return redis.call('ZCARD', KEYS[1])
"""


def _join_args(
    now: float, conn: str, visitor: str, expires: float, ip_limit: int, max_users: int, share: int
) -> list:
    return [now, conn, visitor, expires, ip_limit, max_users, TTL_SECONDS * 2, share]


class RedisStore:
    """The sets in Redis, changed by Lua scripts (limits checked and taken in one step)."""

    def __init__(self) -> None:
        self._scripts: dict = {}

    def _client(self) -> Any:
        # The default cache is chatelly.cache.RedisCache (settings); typed as any BaseCache.
        return cache.redis_client(write=True)  # type: ignore[attr-defined]

    def _run(self, source: str, keys: list[str], args: list) -> int:
        client = self._client()
        script = self._scripts.get((id(client), source))
        if script is None:
            script = self._scripts[(id(client), source)] = client.register_script(source)
        return int(script(keys=keys, args=args, client=client))

    def join_visitor(self, keys: list[str], *request: Any) -> int:
        return self._run(_JOIN_VISITOR, keys, _join_args(*request))

    def leave_visitor(self, keys: list[str], now: float, conn: str, visitor: str) -> int:
        return self._run(_LEAVE_VISITOR, keys, [now, conn, visitor])

    # The same scripts through the event loop's async client (no thread).

    async def join_visitor_async(self, client: Any, keys: list[str], *request: Any) -> int:
        return int(await aredis.script(client, _JOIN_VISITOR)(keys=keys, args=_join_args(*request)))

    async def leave_visitor_async(
        self, client: Any, keys: list[str], now: float, conn: str, visitor: str
    ) -> int:
        return int(await aredis.script(client, _LEAVE_VISITOR)(keys=keys, args=[now, conn, visitor]))

    def join(self, key: str, now: float, member: str, expires: float) -> int:
        return self._run(_JOIN, [key], [now, member, expires, TTL_SECONDS * 2])

    def leave(self, key: str, now: float, member: str) -> int:
        return self._run(_LEAVE, [key], [now, member])

    def renew(self, entries: list[tuple[str, str]], expires: float) -> None:
        for start in range(0, len(entries), RENEW_CHUNK):
            pipe = self._client().pipeline(transaction=False)
            for key, member in entries[start : start + RENEW_CHUNK]:
                pipe.zadd(key, {member: expires})
                pipe.expire(key, TTL_SECONDS * 2)
            pipe.execute()

    def count(self, key: str, now: float) -> int:
        return int(self._client().zcount(key, f"({now}", "+inf"))

    def counts(self, keys: list[str], now: float) -> list[int]:
        pipe = self._client().pipeline(transaction=False)
        for key in keys:
            pipe.zcount(key, f"({now}", "+inf")
        return [int(n) for n in pipe.execute()]

    def contains(self, key: str, member: str, now: float) -> bool:
        score = self._client().zscore(key, member)
        return score is not None and score > now


class MemoryStore:
    """The same sets for the single process of the embedded default."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sets: dict[str, dict[str, float]] = {}

    def _live(self, key: str, now: float) -> dict[str, float]:
        entries = self._sets.setdefault(key, {})
        for member in [m for m, expiry in entries.items() if expiry <= now]:
            del entries[member]
        return entries

    def join_visitor(
        self,
        keys: list[str],
        now: float,
        conn: str,
        visitor: str,
        expires: float,
        ip_limit: int,
        max_users: int,
        share: int,
    ) -> int:
        with self._lock:
            ips, visitors, tabs, shares = (self._live(k, now) for k in keys)
            if ip_limit > 0 and len(ips) >= ip_limit:
                return IP_LIMIT
            if max_users > 0 and visitor not in visitors and len(visitors) >= max_users:
                return WEBSITE_FULL
            if share > 0 and visitor not in shares and len(shares) >= share:
                return IP_SHARE
            ips[conn] = visitors[visitor] = tabs[conn] = shares[visitor] = expires
            return len(tabs)

    def leave_visitor(self, keys: list[str], now: float, conn: str, visitor: str) -> int:
        ip_key, visitors_key, tabs_key, share_key = keys
        with self._lock:
            self._live(ip_key, now).pop(conn, None)
            tabs = self._live(tabs_key, now)
            tabs.pop(conn, None)
            if not tabs:
                self._live(visitors_key, now).pop(visitor, None)
                self._live(share_key, now).pop(visitor, None)
            return len(tabs)

    def join(self, key: str, now: float, member: str, expires: float) -> int:
        with self._lock:
            entries = self._live(key, now)
            before = len(entries)
            entries[member] = expires
            return before

    def leave(self, key: str, now: float, member: str) -> int:
        with self._lock:
            entries = self._live(key, now)
            entries.pop(member, None)
            return len(entries)

    def renew(self, entries: list[tuple[str, str]], expires: float) -> None:
        with self._lock:
            for key, member in entries:
                self._sets.setdefault(key, {})[member] = expires

    def count(self, key: str, now: float) -> int:
        with self._lock:
            return len(self._live(key, now))

    def counts(self, keys: list[str], now: float) -> list[int]:
        return [self.count(key, now) for key in keys]

    def contains(self, key: str, member: str, now: float) -> bool:
        with self._lock:
            return member in self._live(key, now)

    def clear(self) -> None:
        with self._lock:
            self._sets.clear()
