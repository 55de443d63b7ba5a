from django.urls import re_path

from .sockets.agent import AgentSocket

websocket_urlpatterns = [
    re_path(r"^ws/agent/?$", AgentSocket.as_asgi()),
]
