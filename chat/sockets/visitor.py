"""The visitor socket, /widget/ws/<widget_key>?token=<visitor token> (docs/protocol.md):
frame handlers only; the handshake is chat/sockets/handshake.py, messages go to the
batched writer (chat/writer/queue.py)."""

import logging
import time
from collections.abc import Awaitable, Mapping
from typing import Any

from django.conf import settings

from chat import presence, selectors, services
from chat.errors import invalid
from chat.models import Visitor
from chat.serializers import chat_to_dict, message_to_dict
from chat.writer import queue
from chatelly import metrics, realtime
from chatelly.errors import AppError
from chatelly.events import AgentsPresenceEvent, WidgetOffEvent
from websites.widget_cache import SiteSnapshot

from .base import ChatSocket, Unavailable
from .frames import is_int_between
from .handshake import header, visitor_handshake
from .heartbeat import heartbeat
from .visitor_tokens import visitor_token_make

logger = logging.getLogger("chatelly.sockets.visitor")

BUSY = "The server is busy: nothing was stored, retry later."
DOWN = "Storage is down: nothing was stored, retry later."


def _country(scope: dict[str, Any]) -> str | None:
    """The proxy's country header (CHATELLY_COUNTRY_HEADER) when it holds an
    ISO 3166-1 alpha-2 code; "XX" and anything else mean unknown."""
    name = settings.CHATELLY_COUNTRY_HEADER
    value = (header(scope, name.lower().encode("latin-1")) or "").strip().upper() if name else ""
    return value if len(value) == 2 and value.isascii() and value.isalpha() and value != "XX" else None


class VisitorSocket(ChatSocket):
    kind = "visitor"
    frame_handlers = {
        "message": "on_message",
        "resume": "on_resume",
        "typing": "on_typing",
        "read": "on_read",
        "identify": "on_identify",
        "page_view": "on_page_view",
        "end": "on_end",
        "ping": "on_ping",
    }
    # Set by the handshake, before any frame handler runs; None only until then.
    site: SiteSnapshot = None  # type: ignore[assignment]
    visitor: Visitor = None  # type: ignore[assignment]
    visitor_id: str = None  # type: ignore[assignment]
    chat_id: int | None = None
    joined_presence = False
    known = False

    def log_context(self) -> dict:
        return {"visitor_id": self.visitor_id, "website_id": self.site["id"] if self.site else None}

    async def connect(self) -> None:
        if not await visitor_handshake(self, self.scope["url_route"]["kwargs"]["widget_key"]):
            return

        tabs = await self._join_presence()
        if tabs in presence.REFUSED:
            await self.send_error("rate_limited", "Too many connections; try again later.")
            return await self.close_with(realtime.CLOSE_OVER_LIMIT)
        visit: dict[str, Any] = {
            "website_id": self.site["id"],
            "visitor_id": self.visitor_id,
            "known": self.known,
            "user_agent": (header(self.scope, b"user-agent") or "")[:512],
        }
        try:
            session = await services.visitor_session_on_loop(**visit)
            if session is None:
                session = await self.call(services.visitor_session, **visit)
            elif session.chat_to_load:
                session = await self.read(services.visitor_chat_session, visitor=session.visitor)
        except Unavailable:
            await self.send_error("unavailable", "Storage is down; try again later.")
            return await self.close_with(realtime.CLOSE_SERVER_ERROR)
        self.visitor, chat, history = session.visitor, session.chat, session.history

        await self.join_groups(
            [
                realtime.visitors_group(self.site["id"]),
                realtime.visitor_group(self.site["id"], self.visitor_id),
            ]
        )
        self.agents_online = await self._agents_online()
        self.chat_id = chat.id if chat else None
        await self.send_frame(
            {
                "type": "session",
                "visitor_id": self.visitor_id,
                "token": visitor_token_make(website_id=self.site["id"], visitor_id=self.visitor_id),
                "chat": chat_to_dict(chat) if chat else None,
                "agents_online": self.agents_online,
            }
        )
        if chat:
            await self.send_frame(
                {"type": "history", "chat_id": chat.id, "messages": [message_to_dict(m) for m in history]}
            )
            if tabs == 1:
                await realtime.visitor_presence(
                    website_id=self.site["id"], chat_id=chat.id, visitor_id=self.visitor_id, online=True
                )
        heartbeat().add(self)
        self.log_connected()

    async def _join_presence(self) -> int:
        try:
            tabs = await presence.visitor_join_async(
                ip=self.ip,
                website_id=self.site["id"],
                visitor_id=self.visitor_id,
                connection_id=self.channel_name,
                max_users=self.site["max_users"],
            )
        except Exception:  # presence is down: let the visitor in rather than lose the chat
            logger.warning("presence join failed", exc_info=True)
            return 1
        self.joined_presence = tabs > 0
        return tabs

    async def _agents_online(self, not_before: float = 0.0) -> bool:
        try:
            return await heartbeat().agents_online(self.site["id"], not_before=not_before)
        except Exception:
            logger.warning("presence lookup failed", exc_info=True)
            return getattr(self, "agents_online", False)

    # --- the process's heartbeat (chat.sockets.heartbeat) ----------------------------------

    def presence_entries(self) -> list[tuple[str, str]]:
        if not self.joined_presence or self.closed:
            return []
        return presence.visitor_entries(
            ip=self.ip,
            website_id=self.site["id"],
            visitor_id=self.visitor_id,
            connection_id=self.channel_name,
        )

    def heartbeat_website(self) -> int | None:
        return self.site["id"]

    async def heartbeat(self, agents_online: dict[int, bool]) -> None:
        await self._show_agents_online(agents_online.get(self.site["id"], self.agents_online))

    async def _show_agents_online(self, online: bool) -> None:
        if online != self.agents_online:
            self.agents_online = online
            await self.send_frame({"type": "agents_online", "online": online})

    async def disconnect(self, code: int | None) -> None:
        self.closed = True
        heartbeat().discard(self)
        await self.leave_groups()
        if not self.joined_presence:
            return
        try:
            tabs_left = await presence.visitor_leave_async(
                ip=self.ip,
                website_id=self.site["id"],
                visitor_id=self.visitor_id,
                connection_id=self.channel_name,
            )
        except Exception:
            logger.warning("presence leave failed", exc_info=True)
            return
        if tabs_left == 0 and self.visitor is not None:
            heartbeat().visitor_gone(self.visitor.pk)
            if self.chat_id:
                await realtime.visitor_presence(
                    website_id=self.site["id"], chat_id=self.chat_id, visitor_id=self.visitor_id, online=False
                )

    # --- frames ------------------------------------------------------------------------

    async def on_message(self, frame: dict) -> None:
        """Hand the message to the batched writer and take the next frame at once;
        the ack follows the commit, in the order the frames came."""
        client_id = frame.get("client_id")
        try:
            job = services.message_job(
                site=self.site,
                visitor=self.visitor,
                content=frame.get("content"),
                client_id=client_id,
                attachment_id=frame.get("attachment_id"),
                exclude=self.channel_name,
            )
            stored = queue.batcher().submit(job)
        except AppError as exc:
            return await self.after_writes(self.send_app_error(exc, client_id))
        except queue.Busy:
            return await self.after_writes(self.send_error("unavailable", BUSY, client_id))
        self.chain_write(self._ack(stored, client_id, time.perf_counter()))

    async def _ack(
        self, stored: Awaitable[services.Posted | AppError], client_id: str | None, started: float
    ) -> None:
        try:
            result = await stored
        except queue.StorageDown:
            return await self.send_error("unavailable", DOWN, client_id)
        except Exception:
            return await self.send_error("unavailable", "The message was not stored; retry.", client_id)
        if isinstance(result, AppError):
            return await self.send_app_error(result, client_id)
        self.chat_id = result.message.chat_id
        await self.send_frame(
            {"type": "ack", "client_id": result.message.client_id, "message": message_to_dict(result.message)}
        )
        metrics.MESSAGE_LATENCY.observe(time.perf_counter() - started)

    async def on_resume(self, frame: dict) -> None:
        after = frame.get("after_seq")
        if not is_int_between(after, 0):
            raise invalid("after_seq must be a non-negative integer.", "after_seq")
        chat = await self.read(
            selectors.active_chat_for_visitor, website_id=self.site["id"], visitor=self.visitor
        )
        messages = await self.read(selectors.messages_after, chat_id=chat.id, after=after) if chat else []
        self.chat_id = chat.id if chat else None
        await self.send_frame(
            {"type": "history", "chat_id": self.chat_id, "messages": [message_to_dict(m) for m in messages]}
        )

    async def on_typing(self, frame: dict) -> None:
        is_typing = frame.get("is_typing")
        if not isinstance(is_typing, bool):
            return await self.send_error("validation_error", "is_typing must be true or false.")
        if self.chat_id is not None:
            await realtime.typing(
                website_id=self.site["id"],
                visitor_id=self.visitor_id,
                chat_id=self.chat_id,
                sender="visitor",
                is_typing=is_typing,
            )

    async def on_read(self, frame: dict) -> None:
        await self.call(
            services.messages_read_by_visitor,
            website_id=self.site["id"],
            visitor=self.visitor,
            seq=frame.get("seq"),
        )
        await self.flush_events()

    async def on_identify(self, frame: dict) -> None:
        self.visitor = await self.call(
            services.visitor_identify, visitor=self.visitor, name=frame.get("name"), email=frame.get("email")
        )
        await self.send_frame({"type": "identified"})

    async def on_page_view(self, frame: dict) -> None:
        self.visitor = await self.call(
            services.visitor_page_view,
            visitor=self.visitor,
            url=frame.get("url"),
            title=frame.get("title"),
            country=_country(self.scope),
        )

    async def on_end(self, frame: dict) -> None:
        await self.call(services.chat_close_by_visitor, website_id=self.site["id"], visitor=self.visitor)
        await self.flush_events()

    # --- channel layer events ------------------------------------------------------------

    async def on_forward(self, frame: Mapping[str, Any]) -> None:
        kind = frame["type"]
        if kind == "message":
            self.chat_id = frame["message"]["chat_id"]
        elif kind == "chat_status" and frame["status"] == "closed" and frame["chat_id"] == self.chat_id:
            self.chat_id = None
        await self.send_frame(frame)

    async def widget_off(self, event: WidgetOffEvent) -> None:
        await self.close_with(realtime.CLOSE_FORBIDDEN)

    async def presence_agents(self, event: AgentsPresenceEvent) -> None:
        await self._show_agents_online(await self._agents_online(not_before=event.get("at", 0.0)))
