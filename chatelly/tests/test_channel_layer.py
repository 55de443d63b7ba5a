"""chatelly.channel_layer against a real Redis: sockets' own channels stay in the process."""

import asyncio

import pytest
import redis.asyncio as aioredis
from django.conf import settings

from chatelly.channel_layer import RedisPubSubChannelLayer

pytestmark = pytest.mark.skipif(
    not settings.REDIS_URL, reason="the pub/sub layer needs Redis (CI sets REDIS_URL)"
)


@pytest.fixture
async def layers():
    """Two layers on one Redis, as two server processes would have."""
    made = [
        RedisPubSubChannelLayer(hosts=[settings.REDIS_URL], prefix=f"{settings.CACHE_KEY_PREFIX}:test-layer")
    ]
    made.append(
        RedisPubSubChannelLayer(hosts=[settings.REDIS_URL], prefix=f"{settings.CACHE_KEY_PREFIX}:test-layer")
    )
    yield made
    for layer in made:
        await layer.flush()


async def _subscribers(name: str) -> int:
    client = aioredis.from_url(settings.REDIS_URL)
    try:
        return dict(await client.pubsub_numsub(name))[name.encode()]
    finally:
        await client.aclose()


async def _receive(layer, channel):
    return await asyncio.wait_for(layer.receive(channel), 5)


async def test_a_sockets_channel_is_not_subscribed_in_redis_but_its_groups_are(layers):
    here, there = layers
    channel = await here.new_channel()
    assert await _subscribers(channel) == 0
    await here.group_add("visitor.1.v_x", channel)
    group_channel = here._get_layer()._get_group_channel_name("visitor.1.v_x")
    assert await _subscribers(group_channel) == 1
    # An event from another process reaches it through the group.
    await there.group_send("visitor.1.v_x", {"type": "chat.forward", "n": 1})
    assert await _receive(here, channel) == {"type": "chat.forward", "n": 1}
    await here.group_discard("visitor.1.v_x", channel)
    assert await _subscribers(group_channel) == 0


async def test_a_send_to_a_sockets_channel_in_its_own_process_is_delivered(layers):
    here, _ = layers
    channel = await here.new_channel()
    await here.send(channel, {"type": "socket.close", "code": 4003})
    assert await _receive(here, channel) == {"type": "socket.close", "code": 4003}


async def test_named_channels_still_go_through_redis(layers):
    here, there = layers
    name = f"{settings.CACHE_KEY_PREFIX}:test-jobs"
    receiving = asyncio.ensure_future(_receive(here, name))
    for _ in range(50):  # until the receiver has subscribed
        if await _subscribers(name) == 1:
            break
        await asyncio.sleep(0.05)
    await there.send(name, {"type": "job"})
    assert await receiving == {"type": "job"}
