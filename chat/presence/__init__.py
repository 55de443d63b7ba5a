"""Who is connected, right across several server processes and after one dies.

Every socket registers under its connection id with an expiry time and renews
it on a heartbeat; readers count only entries that have not expired, so the
sockets of a process that died drop out within `TTL_SECONDS` by themselves.
With Redis the entries are sorted sets scored by expiry, changed by Lua
scripts so that limits are checked and taken in one step; the embedded
default keeps the same sets in this process (it is the only one). Both
stores are in `chat.presence.stores`.

Sets: `ip:<ip>` (a client IP's sockets), `visitors:<website>` (distinct
visitors, for `max_users`), `tabs:<website>:<visitor>` (a visitor's sockets),
`share:<website>:<ip>` (a client IP's distinct visitors on a website, so that
one address cannot take more than `CHATELLY_WS_IP_SHARE` of `max_users`),
`agents:<website>` (agent sockets), `agent_user:<user>` (a user's agent sockets,
for notifications' "members online"). An IPv6 client counts by its /64.
"""

import math
import time

from django.conf import settings

from chat.sockets.connect_limits import address_bucket
from chatelly import aredis

from .stores import (  # noqa: F401 (the join results are re-exported for callers)
    IP_LIMIT,
    IP_SHARE,
    REFUSED,
    TTL_SECONDS,
    WEBSITE_FULL,
    MemoryStore,
    RedisStore,
)

HEARTBEAT_SECONDS = 20

_memory = MemoryStore()
_redis = RedisStore()


def _store() -> RedisStore | MemoryStore:
    return _redis if settings.REDIS_URL else _memory


def _key(*parts: object) -> str:
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
    ordered = sorted(visitors)
    counts = _store().counts([_key("tabs", w, v) for w, v in ordered], time.time())
    return {visitor for visitor, n in zip(ordered, counts, strict=True) if n <= 1}


def visitors_connected(website_id: int) -> int:
    return _store().count(_key("visitors", website_id), time.time())


def visitor_online(*, website_id: int, visitor_id: str) -> bool:
    return _store().contains(_key("visitors", website_id), visitor_id, time.time())


# --- agents ----------------------------------------------------------------------


def agent_connected(*, website_ids: list[int], connection_id: str, user_id: int | None = None) -> list[int]:
    """Register an agent socket (and its user, when given); returns the websites
    that had no agent online before."""
    store, now = _store(), time.time()
    if user_id is not None:
        store.join(_key("agent_user", user_id), now, connection_id, now + TTL_SECONDS)
    return [
        website_id
        for website_id in website_ids
        if store.join(_key("agents", website_id), now, connection_id, now + TTL_SECONDS) == 0
    ]


def agent_entries(*, website_ids: list[int], connection_id: str, user_id: int | None = None) -> list:
    entries = [(_key("agents", website_id), connection_id) for website_id in website_ids]
    if user_id is not None:
        entries.append((_key("agent_user", user_id), connection_id))
    return entries


def agent_renew(*, website_ids: list[int], connection_id: str, user_id: int | None = None) -> None:
    renew(agent_entries(website_ids=website_ids, connection_id=connection_id, user_id=user_id))


def agent_disconnected(
    *, website_ids: list[int], connection_id: str, user_id: int | None = None
) -> list[int]:
    """Unregister; returns the websites that now have no agent online."""
    store, now = _store(), time.time()
    if user_id is not None:
        store.leave(_key("agent_user", user_id), now, connection_id)
    return [
        website_id
        for website_id in website_ids
        if store.leave(_key("agents", website_id), now, connection_id) == 0
    ]


def agent_users_online(user_ids: list[int]) -> set[int]:
    """Those of these users with an agent socket open (any website), in one round trip."""
    if not user_ids:
        return set()
    counts = _store().counts([_key("agent_user", u) for u in user_ids], time.time())
    return {u for u, n in zip(user_ids, counts, strict=True) if n > 0}


def agents_online(website_id: int) -> bool:
    return _store().count(_key("agents", website_id), time.time()) > 0


def agents_online_many(website_ids: list[int]) -> dict[int, bool]:
    """{website id: any agent online}, in one round trip."""
    counts = _store().counts([_key("agents", w) for w in website_ids], time.time())
    return {w: n > 0 for w, n in zip(website_ids, counts, strict=True)}
