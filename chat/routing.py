"""The agent socket's route (the visitor's is in widget/routing.py); both are
mounted by chatelly/routing.py."""

from django.urls import re_path

from .sockets.agent import AgentSocket

websocket_urlpatterns = [
    re_path(r"^ws/agent/?$", AgentSocket.as_asgi()),
]
