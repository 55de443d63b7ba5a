"""The Redis cache reuses its client (against real Redis; skipped on the embedded default)."""

import pytest
from django.conf import settings
from django.core.cache import cache

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (CI sets it)")


def test_one_client_per_pool_and_the_cache_still_works():
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is client
    cache.set("reuse-test", 1, 30)
    assert cache.incr("reuse-test") == 2
    assert cache.get("reuse-test") == 2
    assert cache._cache.get_client(write=True) is client
    cache.delete("reuse-test")
