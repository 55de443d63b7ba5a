"""channels-redis' pub/sub layer, with each socket's own channel kept in its process,
and a group send of many events in one round trip.

The one place that reaches into channels-redis' internals (its per-loop
layer, a group's channel name, the shard of a channel, a shard's Redis
client): `RedisPubSubChannelLayer` below, and nothing else.
chatelly/tests/test_library_adapters.py fails when they change under it.

Channels gives every consumer a channel of its own, and the pub/sub layer
subscribes it in Redis (and unsubscribes it when the socket closes), one
round trip each, in turn behind the shard's one lock. Chatelly never
addresses a socket by its channel name: every event goes to a group
(chatelly.realtime), and the name is only an id (presence, `exclude`). So here a
socket's channel is a queue in its process and nothing in Redis: a connect
and a disconnect cost one SUBSCRIBE and one UNSUBSCRIBE (the socket's group)
instead of two each. A `send` to such a channel from the same process is
still delivered; from another process it would be lost, which is why
nothing sends to them. Named channels (`receive` on a name of your own) are
subscribed in Redis as before.
"""

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from channels_redis import pubsub


class RedisPubSubChannelLayer(pubsub.RedisPubSubChannelLayer):
    class LoopLayer(pubsub.RedisPubSubLoopLayer):
        """The per-loop layer, with sockets' own channels kept in the process."""

        async def new_channel(self, prefix="specific."):
            channel = f"{self.prefix}{prefix}{uuid.uuid4().hex}"
            self.channels[channel] = asyncio.Queue()
            return channel

        async def send(self, channel, message):
            queue = self.channels.get(channel)
            if queue is None:
                await super().send(channel, message)
            else:
                queue.put_nowait(self.channel_layer.serialize(message))

    def _get_layer(self):
        loop = asyncio.get_running_loop()
        try:
            return self._layers[loop]
        except KeyError:
            layer = self._layers[loop] = self.LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            pubsub._wrap_close(self, loop)  # as the base class does: the layer closes with its loop
            return layer

    async def group_send_many(self, events: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        """What the layer's `group_send` does for each (group, event), in order per
        group, but in one pipelined round trip per shard instead of a lock and a
        round trip per event."""
        loop_layer = self._get_layer()
        by_shard: dict[int, tuple] = {}
        for group, event in events:
            channel = loop_layer._get_group_channel_name(group)
            shard = loop_layer._get_shard(channel)
            by_shard.setdefault(id(shard), (shard, []))[1].append((channel, self.serialize(event)))
        for shard, items in by_shard.values():
            shard._ensure_redis()
            async with shard._redis.pipeline(transaction=False) as pipe:
                for channel, data in items:
                    pipe.publish(channel, data)
                await pipe.execute()
