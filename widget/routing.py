from django.urls import re_path

from chat.sockets.visitor import VisitorSocket

websocket_urlpatterns = [
    re_path(r"^widget/ws/(?P<widget_key>[A-Za-z0-9_-]{1,64})/?$", VisitorSocket.as_asgi()),
]
