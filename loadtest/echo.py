"""A bare Channels relay: the floor under Chatelly's message path (no database, no auth, nothing stored).

`/relay/agent` joins the group "relay.agents"; `/relay/visitor` acks each
`{"type": "message", "client_id", "content"}` frame at once and group-sends it to the agents,
which get `{"type": "message", "message": {"client_id", "content"}}`. Served like the real app,
with the channel layer of the settings (REDIS_URL, CHATELLY_CHANNEL_LAYER):

    DJANGO_SETTINGS_MODULE=chatelly.settings uvicorn loadtest.echo:application
    DJANGO_SETTINGS_MODULE=chatelly.settings daphne loadtest.echo:application

`manage.py loadtest --mode relay` drives it.
"""

import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatelly.settings")
django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

AGENTS = "relay.agents"


class RelayAgent(AsyncWebsocketConsumer):
    async def connect(self):
        await self.channel_layer.group_add(AGENTS, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(AGENTS, self.channel_name)

    async def relay_message(self, event):
        await self.send(text_data=json.dumps({"type": "message", "message": event["message"]}))


class RelayVisitor(AsyncWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        try:
            frame = json.loads(text_data or "")
        except ValueError:
            return
        if not isinstance(frame, dict) or frame.get("type") != "message":
            return
        message = {"client_id": frame.get("client_id"), "content": frame.get("content")}
        await self.send(text_data=json.dumps({"type": "ack", "client_id": message["client_id"]}))
        await self.channel_layer.group_send(AGENTS, {"type": "relay.message", "message": message})


application = ProtocolTypeRouter(
    {
        "websocket": URLRouter(
            [path("relay/agent", RelayAgent.as_asgi()), path("relay/visitor", RelayVisitor.as_asgi())]
        )
    }
)
