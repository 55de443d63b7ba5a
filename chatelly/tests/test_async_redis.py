"""The event loop's Redis reads fall back to the usual path when Redis is away."""

from chatelly import aredis
from chatelly.api.throttling import api_call_counted


async def test_without_redis_the_loop_does_not_count(settings):
    settings.REDIS_URL = ""
    assert aredis.client() is None
    assert await api_call_counted(1) is None
    assert await aredis.cache_get("anything") is None


async def test_redis_down_means_the_drf_view_counts(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    assert await api_call_counted(1) is None
    assert await aredis.cache_get("anything") is None
