"""Who is connected, right across several server processes and after one dies.

Every socket registers under its connection id with an expiry time and renews
it on a heartbeat; readers count only entries that have not expired, so the
sockets of a process that died drop out within `TTL_SECONDS` by themselves.
With Redis the entries are sorted sets scored by expiry, changed by Lua
scripts so that limits are checked and taken in one step; the embedded
default keeps the same sets in this process (it is the only one).

Sets: `ip:<ip>` (a client IP's sockets), `visitors:<website>` (distinct
visitors, for `max_users`), `tabs:<website>:<visitor>` (a visitor's sockets),
`share:<website>:<ip>` (a client IP's distinct visitors on a website, so that
one address cannot take more than `CHATELLY_WS_IP_SHARE` of `max_users`),
`agents:<website>` (agent sockets). An IPv6 client counts by its /64.
"""

import math
import threading
import time

from django.conf import settings
from django.core.cache import cache

from chatelly import aredis

from .sockets.connect_limits import address_bucket

TTL_SECONDS = 60
HEARTBEAT_SECONDS = 20
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


def _join_args(now, conn, visitor, expires, ip_limit, max_users, share) -> list:
    return [now, conn, visitor, expires, ip_limit, max_users, TTL_SECONDS * 2, share]


class _RedisStore:
    def __init__(self):
        self._scripts: dict = {}

    def _client(self):
        return cache._cache.get_client(write=True)

    def _run(self, source: str, keys: list[str], args: list) -> int:
        client = self._client()
        script = self._scripts.get((id(client), source))
        if script is None:
            script = self._scripts[(id(client), source)] = client.register_script(source)
        return int(script(keys=keys, args=args, client=client))

    def join_visitor(self, keys, *request) -> int:
        return self._run(_JOIN_VISITOR, keys, _join_args(*request))

    def leave_visitor(self, keys, now, conn, visitor) -> int:
        return self._run(_LEAVE_VISITOR, keys, [now, conn, visitor])

    # The same scripts through the event loop's async client (no thread).

    async def join_visitor_async(self, client, keys, *request) -> int:
        return int(await aredis.script(client, _JOIN_VISITOR)(keys=keys, args=_join_args(*request)))

    async def leave_visitor_async(self, client, keys, now, conn, visitor) -> int:
        return int(await aredis.script(client, _LEAVE_VISITOR)(keys=keys, args=[now, conn, visitor]))

    def join(self, key, now, member, expires) -> int:
        return self._run(_JOIN, [key], [now, member, expires, TTL_SECONDS * 2])

    def leave(self, key, now, member) -> int:
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


class _MemoryStore:
    """The same sets for the single process of the embedded default."""

    def __init__(self):
        self._lock = threading.Lock()
        self._sets: dict[str, dict[str, float]] = {}

    def _live(self, key: str, now: float) -> dict[str, float]:
        entries = self._sets.setdefault(key, {})
        for member in [m for m, expiry in entries.items() if expiry <= now]:
            del entries[member]
        return entries

    def join_visitor(self, keys, now, conn, visitor, expires, ip_limit, max_users, share) -> int:
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

    def leave_visitor(self, keys, now, conn, visitor) -> int:
        ip_key, visitors_key, tabs_key, share_key = keys
        with self._lock:
            self._live(ip_key, now).pop(conn, None)
            tabs = self._live(tabs_key, now)
            tabs.pop(conn, None)
            if not tabs:
                self._live(visitors_key, now).pop(visitor, None)
                self._live(share_key, now).pop(visitor, None)
            return len(tabs)

    def join(self, key, now, member, expires) -> int:
        with self._lock:
            entries = self._live(key, now)
            before = len(entries)
            entries[member] = expires
            return before

    def leave(self, key, now, member) -> int:
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


_memory = _MemoryStore()
_redis = _RedisStore()


def _store():
    return _redis if settings.REDIS_URL else _memory


def _key(*parts) -> str:
    return ":".join([settings.CACHE_KEY_PREFIX, "presence", *map(str, parts)])


def _visitor_keys(ip: str, website_id: int, visitor_id: str) -> list[str]:
    ip = address_bucket(ip)
    return [
        _key("ip", ip),
        _key("visitors", website_id),
        _key("tabs", website_id, visitor_id),
        _key("share", website_id, ip),
    ]


def ip_share(max_users: int) -> int:
    """The most distinct visitors one address may have on a website (0: no cap)."""
    share = settings.CHATELLY_WS_IP_SHARE
    if share >= 1 or max_users <= 0:
        return 0
    return max(1, math.floor(max_users * share))


# --- visitors --------------------------------------------------------------------


def _join_request(ip: str, website_id: int, visitor_id: str, connection_id: str, max_users: int) -> tuple:
    now = time.time()
    keys = _visitor_keys(ip, website_id, visitor_id)
    return (
        keys,
        now,
        connection_id,
        visitor_id,
        now + TTL_SECONDS,
        settings.CHATELLY_WS_CONN_PER_IP,
        max_users,
        ip_share(max_users),
    )


def visitor_join(*, ip: str, website_id: int, visitor_id: str, connection_id: str, max_users: int) -> int:
    """The visitor's number of open tabs (1 = first), or IP_LIMIT / WEBSITE_FULL / IP_SHARE."""
    return _store().join_visitor(*_join_request(ip, website_id, visitor_id, connection_id, max_users))


def _leave_request(ip: str, website_id: int, visitor_id: str, connection_id: str) -> tuple:
    return _visitor_keys(ip, website_id, visitor_id), time.time(), connection_id, visitor_id


def visitor_leave(*, ip: str, website_id: int, visitor_id: str, connection_id: str) -> int:
    """Tabs the visitor still has open (0 = that was the last)."""
    return _store().leave_visitor(*_leave_request(ip, website_id, visitor_id, connection_id))


async def visitor_join_async(
    *, ip: str, website_id: int, visitor_id: str, connection_id: str, max_users: int
) -> int:
    """visitor_join on the event loop: Redis' script through this loop's async
    client (no thread), or the in-process sets of the embedded default."""
    request = _join_request(ip, website_id, visitor_id, connection_id, max_users)
    client = aredis.client()
    if client is None:
        return _memory.join_visitor(*request)
    return await _redis.join_visitor_async(client, *request)


async def visitor_leave_async(*, ip: str, website_id: int, visitor_id: str, connection_id: str) -> int:
    """visitor_leave on the event loop (see visitor_join_async)."""
    request = _leave_request(ip, website_id, visitor_id, connection_id)
    client = aredis.client()
    if client is None:
        return _memory.leave_visitor(*request)
    return await _redis.leave_visitor_async(client, *request)


def visitor_entries(*, ip: str, website_id: int, visitor_id: str, connection_id: str) -> list:
    """What a visitor socket's heartbeat renews (see `renew`)."""
    ip_key, visitors_key, tabs_key, share_key = _visitor_keys(ip, website_id, visitor_id)
    return [
        (ip_key, connection_id),
        (visitors_key, visitor_id),
        (tabs_key, connection_id),
        (share_key, visitor_id),
    ]


def renew(entries: list[tuple[str, str]]) -> None:
    """Push the expiry of these (set, member) entries, for any number of sockets at once."""
    _store().renew(entries, time.time() + TTL_SECONDS)


def lone_visitors(visitors: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """Those of these (website id, visitor id) with at most one socket open."""
    visitors = sorted(visitors)
    counts = _store().counts([_key("tabs", w, v) for w, v in visitors], time.time())
    return {visitor for visitor, n in zip(visitors, counts, strict=True) if n <= 1}


def visitors_connected(website_id: int) -> int:
    return _store().count(_key("visitors", website_id), time.time())


def visitor_online(*, website_id: int, visitor_id: str) -> bool:
    return _store().contains(_key("visitors", website_id), visitor_id, time.time())


# --- agents ----------------------------------------------------------------------


def agent_connected(*, website_ids: list[int], connection_id: str) -> list[int]:
    """Register an agent socket; returns the websites that had no agent online before."""
    store, now = _store(), time.time()
    return [
        website_id
        for website_id in website_ids
        if store.join(_key("agents", website_id), now, connection_id, now + TTL_SECONDS) == 0
    ]


def agent_entries(*, website_ids: list[int], connection_id: str) -> list:
    return [(_key("agents", website_id), connection_id) for website_id in website_ids]


def agent_renew(*, website_ids: list[int], connection_id: str) -> None:
    renew(agent_entries(website_ids=website_ids, connection_id=connection_id))


def agent_disconnected(*, website_ids: list[int], connection_id: str) -> list[int]:
    """Unregister; returns the websites that now have no agent online."""
    store, now = _store(), time.time()
    return [
        website_id
        for website_id in website_ids
        if store.leave(_key("agents", website_id), now, connection_id) == 0
    ]


def agents_online(website_id: int) -> bool:
    return _store().count(_key("agents", website_id), time.time()) > 0


def agents_online_many(website_ids: list[int]) -> dict[int, bool]:
    """{website id: any agent online}, in one round trip."""
    counts = _store().counts([_key("agents", w) for w in website_ids], time.time())
    return {w: n > 0 for w, n in zip(website_ids, counts, strict=True)}
