"""The widget's site cache, read on the event loop by sockets."""

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings

from websites.widget_cache import NOT_CACHED, active_site, cached_site

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(not settings.REDIS_URL, reason="the event loop reads Redis (CI sets REDIS_URL)")
async def test_a_cached_site_is_read_on_the_loop_and_a_miss_says_so(site):
    key = site.widget_key
    assert await cached_site(key) is NOT_CACHED
    snapshot = await sync_to_async(active_site)(key)  # caches it
    assert snapshot["id"] == site.id
    assert await cached_site(key) == snapshot
    unknown = "k" * 32
    assert await sync_to_async(active_site)(unknown) is None  # caches the miss
    assert await cached_site(unknown) is None
    assert await cached_site("short") is None and await cached_site(None) is None


async def test_without_redis_every_read_takes_the_sync_path(site, settings):
    settings.REDIS_URL = ""
    assert await cached_site(site.widget_key) is NOT_CACHED


async def test_redis_down_takes_the_sync_path(site, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    assert await cached_site(site.widget_key) is NOT_CACHED
