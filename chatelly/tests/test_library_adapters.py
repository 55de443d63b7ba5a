"""The private parts of libraries that chatelly's adapters rely on, checked against the
installed versions (and a real Redis): an upgrade that changes them fails here first.
Each adapter is the only code that touches them:

- chatelly.channel_layer.RedisPubSubChannelLayer: channels-redis' pub/sub layer;
- chatelly.cache.RedisCache: Django's Redis cache;
- chatelly.api.ratelimit.RateCounters: django-ratelimit's counters.
"""

import asyncio
import inspect
import uuid

import pytest
import redis.asyncio as aioredis
from channels_redis import pubsub
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.test import RequestFactory
from django_ratelimit import core as ratelimit_core

from chatelly.api.ratelimit import RateCounters
from chatelly.cache import RedisCache
from chatelly.channel_layer import RedisPubSubChannelLayer

needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (CI sets it)")


def _params(function) -> list[str]:
    return list(inspect.signature(function).parameters)


# --- channels-redis (chatelly/channel_layer.py) ------------------------------------


def test_channels_redis_still_has_what_the_layer_adapter_overrides_and_calls():
    assert _params(pubsub._wrap_close) == ["proxy", "loop"]
    assert _params(pubsub.RedisPubSubChannelLayer._get_layer) == ["self"]
    assert "channel_layer" in _params(pubsub.RedisPubSubLoopLayer.__init__)
    assert _params(pubsub.RedisPubSubLoopLayer.new_channel) == ["self", "prefix"]
    assert _params(pubsub.RedisPubSubLoopLayer.send) == ["self", "channel", "message"]
    assert _params(pubsub.RedisPubSubLoopLayer._get_group_channel_name) == ["self", "group"]
    assert _params(pubsub.RedisPubSubLoopLayer._get_shard) == ["self", "channel_or_group_name"]
    assert _params(pubsub.RedisSingleShardConnection._ensure_redis) == ["self"]
    layer = RedisPubSubChannelLayer(hosts=["redis://127.0.0.1:1"], prefix="adapter-test")
    assert (layer._args, layer._kwargs, layer._layers) == (
        (),
        {"hosts": ["redis://127.0.0.1:1"], "prefix": "adapter-test"},
        {},
    )


@needs_redis
async def test_the_loop_layer_is_the_adapters_and_keeps_the_base_layers_state():
    layer = RedisPubSubChannelLayer(hosts=[settings.REDIS_URL], prefix="adapter-test")
    loop_layer = layer._get_layer()
    assert type(loop_layer) is RedisPubSubChannelLayer.LoopLayer
    assert layer._layers == {asyncio.get_running_loop(): loop_layer} and layer._get_layer() is loop_layer
    assert loop_layer.channel_layer is layer and loop_layer.prefix == "adapter-test"
    assert loop_layer.channels == {}
    channel = await layer.new_channel()
    assert channel.startswith("adapter-test") and set(loop_layer.channels) == {channel}


@needs_redis
async def test_the_batched_send_picks_channels_redis_own_channel_and_shard():
    hosts = [f"{settings.REDIS_URL.rsplit('/', 1)[0]}/{db}" for db in (0, 1, 2)]
    ours = RedisPubSubChannelLayer(hosts=hosts, prefix="adapter-test")
    stock = pubsub.RedisPubSubChannelLayer(hosts=hosts, prefix="adapter-test")
    ours_loop, stock_loop = ours._get_layer(), stock._get_layer()
    picked = set()
    for n in range(40):
        group = f"visitor.{n}.v_{n}"
        channel = stock_loop._get_group_channel_name(group)
        assert ours_loop._get_group_channel_name(group) == channel
        shard = stock_loop._shards.index(stock_loop._get_shard(channel))
        assert ours_loop._shards.index(ours_loop._get_shard(channel)) == shard
        picked.add(shard)
    assert picked == {0, 1, 2}  # the groups spread over every shard
    shard = ours_loop._get_shard("any")
    shard._ensure_redis()
    assert isinstance(shard._redis, aioredis.Redis)
    await ours.flush()
    await stock.flush()


@needs_redis
async def test_the_batched_send_delivers_what_group_send_delivers_in_order():
    prefix = f"{settings.CACHE_KEY_PREFIX}:adapter-test"
    hosts = [f"{settings.REDIS_URL.rsplit('/', 1)[0]}/{db}" for db in (0, 1)]
    receiver = pubsub.RedisPubSubChannelLayer(hosts=hosts, prefix=prefix)
    sender = RedisPubSubChannelLayer(hosts=hosts, prefix=prefix)
    groups = [f"agents.{n}" for n in range(6)]
    channels = {}
    for group in groups:
        channels[group] = await receiver.new_channel()
        await receiver.group_add(group, channels[group])
    try:
        events = [(group, {"type": "chat.forward", "n": n}) for n in range(3) for group in groups]
        await sender.group_send_many(events)
        await sender.group_send(groups[0], {"type": "chat.forward", "n": "stock"})
        for group in groups:
            got = [await asyncio.wait_for(receiver.receive(channels[group]), 5) for _ in range(3)]
            assert got == [{"type": "chat.forward", "n": n} for n in range(3)]
        assert await asyncio.wait_for(receiver.receive(channels[groups[0]]), 5) == {
            "type": "chat.forward",
            "n": "stock",
        }
    finally:
        await receiver.flush()
        await sender.flush()


# --- Django's Redis cache (chatelly/cache.py) ----------------------------------------


def test_djangos_redis_cache_still_has_what_the_cache_adapter_overrides_and_calls():
    client = RedisCacheClient(["redis://127.0.0.1:1/0"])
    assert client._servers == ["redis://127.0.0.1:1/0"]
    assert isinstance(client._pool_options, dict) and client._get_connection_pool_index(True) == 0
    assert _params(RedisCacheClient._get_connection_pool) == ["self", "write"]
    assert _params(RedisCacheClient.get_client) == ["self", "key", "write"]
    assert client._client is not None and hasattr(client._pool_class, "from_url")
    backend = DjangoRedisCache("redis://127.0.0.1:1/0", {})
    assert backend._class is RedisCacheClient
    assert isinstance(backend._cache, RedisCacheClient)
    assert callable(backend._cache._serializer.loads)


@needs_redis
def test_every_cache_object_shares_the_client_and_reads_djangos_values():
    made = caches.create_connection("default")
    assert isinstance(made, RedisCache)
    assert made.redis_client() is cache.redis_client() is cache._cache.get_client(write=True)
    assert made.redis_client().connection_pool is cache._cache._get_connection_pool(False)
    key = f"adapter-{uuid.uuid4().hex}"
    for value in ({"a": [1, "b"]}, 7, "text"):
        cache.set(key, value, 30)
        assert made.loads(made.redis_client().get(cache.make_and_validate_key(key))) == value
    cache.delete(key)


# --- django-ratelimit (chatelly/api/ratelimit.py) ------------------------------------


def test_django_ratelimit_still_has_what_the_counters_adapter_calls():
    assert _params(ratelimit_core._make_cache_key) == ["group", "window", "rate", "value", "methods"]
    assert _params(ratelimit_core._get_window) == ["value", "period"]
    assert ratelimit_core._split_rate("5/m") == (5, 60)
    assert ratelimit_core._split_rate("100/10s") == (100, 10)
    assert isinstance(ratelimit_core.EXPIRATION_FUDGE, int)


def test_the_counter_found_by_key_is_the_one_django_ratelimit_counts_in():
    request = RequestFactory().get("/")
    value = f"adapter:{uuid.uuid4().hex}"
    for count in (1, 2):
        usage = RateCounters.hit(request, group="adapter-test", key_value=value, rate="5/h")
        assert (usage["count"], usage["limit"], usage["should_limit"]) == (count, 5, False)
    key, limit, expiry = RateCounters.counter(group="adapter-test", key_value=value, rate="5/h")
    assert (limit, expiry) == (5, 3600 + ratelimit_core.EXPIRATION_FUDGE)
    counters = caches[settings.RATELIMIT_USE_CACHE]
    assert counters.get(key) == 2
    if settings.REDIS_URL:  # the expiry django-ratelimit gave it
        ttl = counters.redis_client().ttl(counters.make_and_validate_key(key))
        assert expiry - 5 <= ttl <= expiry
    counters.delete(key)
