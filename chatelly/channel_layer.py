"""channels-redis' pub/sub layer, with each socket's own channel kept in its process.

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

from channels_redis import pubsub


class LocalChannelsLoopLayer(pubsub.RedisPubSubLoopLayer):
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


class RedisPubSubChannelLayer(pubsub.RedisPubSubChannelLayer):
    def _get_layer(self):
        loop = asyncio.get_running_loop()
        try:
            return self._layers[loop]
        except KeyError:
            layer = self._layers[loop] = LocalChannelsLoopLayer(
                *self._args, **self._kwargs, channel_layer=self
            )
            pubsub._wrap_close(self, loop)  # as the base class does: the layer closes with its loop
            return layer
