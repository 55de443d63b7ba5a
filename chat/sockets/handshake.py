"""Who may open a socket, in one place: the Origin check, the connect rate per
address, and the credential (an agent's one-use ticket, a visitor's token for
the website of the widget key). Each step refuses the handshake itself (HTTP
403 or 429 before accept, a close code after) and returns None when it did."""

import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings

from accounts.models import User
from chat.models import new_visitor_id
from chatelly import realtime
from chatelly.api.client_ip import client_ip_for_scope
from websites.domains import site_allows_origin
from websites.selectors import website_ids_for_user
from websites.widget_cache import NOT_CACHED, active_site, cached_site

from .base import ChatSocket, Unavailable
from .connect_limits import connect_allowed
from .tickets import ticket_redeem
from .visitor_tokens import visitor_token_read

Scope = dict[str, Any]  # an ASGI connection scope


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def query_param(scope: Scope, name: str) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return (query.get(name) or [None])[0]


def agent_origin_allowed(scope: Scope) -> bool:
    """No Origin (not a browser) is fine; a browser's must be ours or a dashboard's."""
    headers = dict(scope.get("headers", []))
    origin = headers.get(b"origin")
    if origin is None:
        return True
    origin = origin.decode("latin-1")
    if origin in settings.CORS_ALLOWED_ORIGINS:
        return True
    host = headers.get(b"host", b"").decode("latin-1").lower()
    try:
        return bool(host) and urlsplit(origin).netloc.lower() == host
    except ValueError:
        return False


async def _admitted(socket: ChatSocket, ip: str) -> bool:
    """The connect rate per address; over it, the handshake gets 429 (or 403)."""
    if await connect_allowed(ip=ip, socket_kind=socket.kind):
        return True
    await socket.refuse_handshake()
    return False


def _load_agent(user_id: int) -> tuple[User | None, list[int]]:
    user = User.objects.filter(id=user_id).first()
    if user is None:
        return None, []
    return user, website_ids_for_user(user=user)


async def agent_handshake(socket: ChatSocket) -> bool:
    """Origin, connect rate, accept, then the ticket: sets the socket's `user` and
    `website_ids`; False once the socket is refused or closed."""
    if not agent_origin_allowed(socket.scope):
        await socket.close()  # before accept: HTTP 403
        return False
    if not await _admitted(socket, client_ip_for_scope(socket.scope)):
        return False
    await socket.accept()
    try:
        redeemed = await sync_to_async(ticket_redeem, thread_sensitive=False)(
            query_param(socket.scope, "ticket")
        )
    except Exception:
        logging.getLogger("chatelly.sockets.agent").warning("ticket lookup failed", exc_info=True)
        await socket.close_with(realtime.CLOSE_SERVER_ERROR)
        return False
    if redeemed is None:
        await socket.close_with(realtime.CLOSE_NOT_AUTHENTICATED)
        return False
    user_id, token_version = redeemed
    try:
        socket.user, socket.website_ids = await socket.read(_load_agent, user_id=user_id)
    except Unavailable:
        await socket.send_error("unavailable", "Storage is down; try again later.")
        await socket.close_with(realtime.CLOSE_SERVER_ERROR)
        return False
    if socket.user is None or not socket.user.is_active:
        await socket.close_with(realtime.CLOSE_FORBIDDEN)
        return False
    if socket.user.token_version != token_version:  # the password changed since the ticket
        await socket.close_with(realtime.CLOSE_NOT_AUTHENTICATED)
        return False
    return True


async def visitor_handshake(socket: ChatSocket, widget_key: str) -> bool:
    """The widget key's website, its Origin, the connect rate, the token, then
    accept: sets the socket's `site`, `ip`, `visitor_id` (the token's, or a new one)
    and `known` (a valid token came); False once the socket is refused."""
    socket.site = await cached_site(widget_key)
    if socket.site is NOT_CACHED:
        try:
            socket.site = await socket.read(active_site, widget_key=widget_key)
        except Unavailable:
            socket.site = None
    if socket.site is None or not site_allows_origin(socket.site, header(socket.scope, b"origin")):
        await socket.close()  # before accept: the handshake gets HTTP 403
        return False
    socket.ip = client_ip_for_scope(socket.scope)
    if not await _admitted(socket, socket.ip):
        return False
    token_visitor = visitor_token_read(query_param(socket.scope, "token"), website_id=socket.site["id"])
    socket.visitor_id = token_visitor or new_visitor_id()
    socket.known = token_visitor is not None
    await socket.accept()
    return True
