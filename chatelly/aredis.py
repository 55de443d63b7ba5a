"""One redis.asyncio client per event loop on REDIS_URL (the cache's and presence's
Redis), for the connect path's and the API's hot reads: no hop to a thread."""

import asyncio
import functools

import redis.asyncio as aredis
from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.dispatch import receiver

from .loops import for_this_loop

_clients: dict[asyncio.AbstractEventLoop, aredis.Redis] = {}
_scripts: dict[tuple[int, str], object] = {}


@functools.cache
def cache_backend(alias: str = "default"):
    """Django's cache backend `alias`, made once per process, for its key function
    and serializer. `caches[alias]` keeps one per async context, and under ASGI
    every socket and request runs in a context of its own: each built a backend
    of its own on its first cache key (`django.core.cache.cache` does the same)."""
    return caches.create_connection(alias)


@receiver(setting_changed)
def _forget_backends(*, setting, **kwargs):
    if setting == "CACHES":
        cache_backend.cache_clear()


def client() -> aredis.Redis | None:
    """This loop's client; None without Redis (the embedded default)."""
    if not settings.REDIS_URL:
        return None
    return for_this_loop(_clients, lambda: aredis.Redis.from_url(settings.REDIS_URL))


def script(redis_client: aredis.Redis, source: str):
    """A Lua script registered once per client (EVALSHA, EVAL when Redis lost it)."""
    key = (id(redis_client), source)
    found = _scripts.get(key)
    if found is None:
        found = _scripts[key] = redis_client.register_script(source)
    return found


async def cache_get(key: str):
    """What Django's cache holds under `key`, read on the event loop; None when
    absent, without Redis, or when Redis did not answer (callers then ask the
    cache the usual way, in a thread)."""
    redis_client = client()
    if redis_client is None:
        return None
    backend = cache_backend()
    try:
        raw = await redis_client.get(backend.make_and_validate_key(key))
    except (aredis.RedisError, OSError):
        return None
    return None if raw is None else backend.loads(raw)  # chatelly.cache.RedisCache
