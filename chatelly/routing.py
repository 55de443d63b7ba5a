"""WebSocket routes. Unknown paths are refused at the handshake (HTTP 403)."""

from channels.security.websocket import WebsocketDenier
from django.urls import re_path

from chat.routing import websocket_urlpatterns as chat_routes
from widget.routing import websocket_urlpatterns as widget_routes

websocket_urlpatterns: list = [
    *widget_routes,
    *chat_routes,
    re_path(r"", WebsocketDenier.as_asgi()),  # closes before accept: the handshake is refused
]
