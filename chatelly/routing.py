"""WebSocket routes. Unknown paths are refused at the handshake (HTTP 403)."""

from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import re_path

from chat.routing import websocket_urlpatterns as chat_routes
from widget.routing import websocket_urlpatterns as widget_routes


class RejectConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        await self.close()  # before accept: the handshake is refused


websocket_urlpatterns: list = [
    *widget_routes,
    *chat_routes,
    re_path(r"", RejectConsumer.as_asgi()),
]
