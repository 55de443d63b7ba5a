"""Socket handshakes per client address, counted before the socket is accepted.

Every token-less visitor connect writes a visitor row and an analytics event,
and every agent connect redeems a ticket: a handful of addresses opening
sockets in a loop cost the database and fill a website's `max_users`. So each
address may open `CHATELLY_WS_CONNECT_RATE` sockets per period, counted in
Redis (shared by every process) or in this process for the embedded default.
An IPv6 client is counted by its /64, the block one subscriber is given.
"""

import ipaddress
import threading
import time

from django.conf import settings

from chatelly import aredis

from .budgets import parse_rate

# INCR a fixed window's counter, setting its expiry when it is new.
_COUNT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""


def address_bucket(ip: str) -> str:
    """The address a limit counts: an IPv6 address's /64, an IPv4 address itself."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/64", strict=False))


class _MemoryWindows:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[float, int]] = {}  # key -> (window end, count)

    def count(self, key: str, period: float) -> int:
        now = time.monotonic()
        with self._lock:
            if len(self._counts) > 100_000:  # forget ended windows now and then
                self._counts = {k: v for k, v in self._counts.items() if v[0] > now}
            end, n = self._counts.get(key, (0.0, 0))
            if end <= now:
                end, n = now + period, 0
            self._counts[key] = (end, n + 1)
            return n + 1

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


_memory = _MemoryWindows()


async def connect_allowed(*, ip: str, socket_kind: str) -> bool:
    """Count one handshake from `ip`; False when it is over the rate. Allowed
    when Redis does not answer: presence and the other limits still hold."""
    limit, period = parse_rate(settings.CHATELLY_WS_CONNECT_RATE)
    if limit <= 0:
        return True
    window = int(time.time() // period)
    key = ":".join([settings.CACHE_KEY_PREFIX, "connects", socket_kind, address_bucket(ip), str(window)])
    client = aredis.client()
    if client is None:
        return _memory.count(key, period) <= limit
    try:
        count = await aredis.script(client, _COUNT)(keys=[key], args=[int(period) + 1])
    except Exception:
        return True
    return int(count) <= limit
