"""Django's RedisCache with one connection pool and one client per process.

The one place that reaches into Django's Redis cache internals (its client
class hook, its pool options, its serializer): `RedisCache` below, and
nothing else; the rest of the project asks it for `redis_client()` and
`loads()`. chatelly/tests/test_library_adapters.py fails when they change
under it.

Django keeps cache objects per context (asgiref `Local`), and under Channels
every socket runs in a context of its own: each socket that touched the
cache got its own RedisCache, its own connection pool and its own Redis
connection. Ten thousand sockets reached Redis' client limit, and each held
a connection's memory. Here every RedisCache of the process shares the pool
(redis-py's pool is thread-safe) and a single client object: Django builds a
new client for every operation, and redis-py 8's client leaves cyclic
garbage behind, whose collections showed up in the message path's latency.
"""

import threading

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

_shared: dict[tuple, object] = {}
_lock = threading.Lock()


class RedisCache(DjangoRedisCache):
    class SharedClient(RedisCacheClient):
        def _shared(self, write: bool):
            index = self._get_connection_pool_index(write)
            key = (self._servers[index], repr(sorted(self._pool_options.items())))
            client = _shared.get(key)
            if client is None:
                with _lock:
                    client = _shared.get(key)
                    if client is None:
                        pool = self._pool_class.from_url(self._servers[index], **self._pool_options)
                        client = _shared[key] = self._client(connection_pool=pool)
            return client

        def _get_connection_pool(self, write):
            return self._shared(write).connection_pool

        def get_client(self, key=None, *, write=False):
            return self._shared(write)

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = self.SharedClient

    def redis_client(self, *, write: bool = True):
        """The process's redis-py client under this cache (Lua scripts, PING)."""
        return self._cache.get_client(write=write)

    def loads(self, raw: bytes):
        """A value as this cache stored it, from the raw bytes Redis returned."""
        return self._cache._serializer.loads(raw)
