"""The Redis cache shares one pool and client per process (against real Redis)."""

import asyncio
import contextvars

import pytest
from django.conf import settings
from django.core.cache import cache, caches

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (CI sets it)")


def test_one_client_and_the_cache_still_works():
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is client
    cache.set("shared-test", 1, 30)
    assert cache.incr("shared-test") == 2
    assert cache.get("shared-test") == 2
    cache.delete("shared-test")


@pytest.mark.asyncio
async def test_every_context_shares_the_pool():
    """Each asyncio task (each socket) sees a cache object of its own; not a pool of its own."""

    async def pool_seen():
        return id(caches["default"]._cache.get_client(write=True).connection_pool)

    loop = asyncio.get_running_loop()
    # Each in a context of its own, as each socket's task under the ASGI server.
    tasks = [loop.create_task(pool_seen(), context=contextvars.Context()) for _ in range(20)]
    assert len(set(await asyncio.gather(*tasks))) == 1


async def test_the_loops_cache_key_is_djangos_and_one_backend_serves_every_context(settings):
    from chatelly import aredis

    async def backend_seen():
        return id(aredis.cache_backend())

    loop = asyncio.get_running_loop()
    seen = await asyncio.gather(
        *(loop.create_task(backend_seen(), context=contextvars.Context()) for _ in range(3))
    )
    assert len(set(seen)) == 1
    # The same key as Django's cache (django-ratelimit's counters and the widget cache share it).
    assert aredis.cache_backend().make_and_validate_key("k") == cache.make_and_validate_key("k")
    cache.set("loop-read", {"a": 1}, 30)
    assert await aredis.cache_get("loop-read") == {"a": 1}
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": "other-prefix"}}
    assert "other-prefix" in aredis.cache_backend().make_and_validate_key("k")
