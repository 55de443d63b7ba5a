"""WebSocket routes. Unknown paths are refused at the handshake (HTTP 403)."""

from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import re_path


class RejectConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        await self.close()  # before accept: the handshake is refused


websocket_urlpatterns: list = [
    re_path(r"", RejectConsumer.as_asgi()),
]
