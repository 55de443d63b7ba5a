"""The agent socket, /ws/agent/?ticket=<ticket> (docs/protocol.md): frame handlers
only; the handshake is chat/sockets/handshake.py, the shared base chat/sockets/base.py."""

import logging
import re
import time
from typing import TYPE_CHECKING

from asgiref.sync import sync_to_async

from chat import presence, selectors, services
from chat.errors import invalid, not_found
from chat.serializers import message_to_dict
from chatelly import metrics, realtime
from chatelly.events import MembershipEvent

from .base import ChatSocket
from .frames import MAX_INT, is_int_between
from .handshake import agent_handshake
from .heartbeat import heartbeat

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger("chatelly.sockets.agent")

_CHAT_ID = re.compile(r"[0-9]{1,16}")  # ASCII digits only: "²".isdigit() is true too


class AgentSocket(ChatSocket):
    kind = "agent"
    frame_handlers = {
        "message": "on_message",
        "sync": "on_sync",
        "typing": "on_typing",
        "read": "on_read",
        "close_chat": "on_close_chat",
        "ping": "on_ping",
    }
    # Set by the handshake, before any frame handler runs; None only until then.
    user: "User" = None  # type: ignore[assignment]
    website_ids: list[int] = []
    registered = False

    def log_context(self) -> dict:
        return {"user_id": self.user.id if self.user else None, "website_ids": self.website_ids}

    async def connect(self) -> None:
        if not await agent_handshake(self):
            return
        self.chat_sites: dict[int, tuple[int, str]] = {}
        await self.join_groups(
            [realtime.user_group(self.user.id), *(realtime.agents_group(w) for w in self.website_ids)]
        )
        await self._register()
        await self.send_frame(
            {
                "type": "ready",
                "user": {"id": self.user.id, "name": self.user.name},
                "websites": self.website_ids,
            }
        )
        heartbeat().add(self)
        self.log_connected()

    async def _register(self) -> None:
        try:
            newly_online = await sync_to_async(presence.agent_connected, thread_sensitive=False)(
                website_ids=self.website_ids, connection_id=self.channel_name, user_id=self.user.id
            )
            self.registered = True
        except Exception:
            logger.warning("presence join failed", exc_info=True)
            return
        await realtime.agents_presence_changed(website_ids=newly_online)

    # --- the process's heartbeat (chat.sockets.heartbeat) ----------------------------------

    def presence_entries(self) -> list[tuple[str, str]]:
        if not self.registered or self.closed:
            return []
        return presence.agent_entries(
            website_ids=self.website_ids, connection_id=self.channel_name, user_id=self.user.id
        )

    def heartbeat_website(self) -> int | None:
        return None

    def heartbeat_user(self) -> int | None:
        return self.user.id if self.user is not None and not self.closed else None

    async def heartbeat(self, agents_online: dict[int, bool]) -> None:
        return None

    async def recheck(self, standing: dict[int, tuple[bool, int, set[int]]]) -> None:
        """The heartbeat's look at the user: a missed close event (a lost
        channel-layer message, a change made where no event is sent) still ends
        the socket within one beat."""
        active, version, website_ids = standing.get(self.user.id) or (False, None, set())
        if version is not None and version != self.user.token_version:
            await self.close_with(realtime.CLOSE_NOT_AUTHENTICATED)
        elif not active or not set(self.website_ids) <= website_ids:
            await self.close_with(realtime.CLOSE_FORBIDDEN)

    async def disconnect(self, code: int | None) -> None:
        self.closed = True
        heartbeat().discard(self)
        await self.leave_groups()
        if not self.registered:
            return
        try:
            now_empty = await sync_to_async(presence.agent_disconnected, thread_sensitive=False)(
                website_ids=self.website_ids, connection_id=self.channel_name, user_id=self.user.id
            )
        except Exception:
            logger.warning("presence leave failed", exc_info=True)
            return
        await realtime.agents_presence_changed(website_ids=now_empty)

    # --- frames ------------------------------------------------------------------------

    async def on_message(self, frame: dict) -> None:
        started = time.perf_counter()
        posted = await self.call(
            services.agent_message_post,
            user=self.user,
            chat_id=frame.get("chat_id"),
            content=frame.get("content"),
            client_id=frame.get("client_id"),
            attachment_id=frame.get("attachment_id"),
            client_id_required=True,
            exclude=self.channel_name,
        )
        message = message_to_dict(posted.message)
        await self.send_frame({"type": "ack", "client_id": posted.message.client_id, "message": message})
        metrics.MESSAGE_LATENCY.observe(time.perf_counter() - started)
        await self.flush_events()

    async def on_sync(self, frame: dict) -> None:
        wanted = frame.get("chats")
        if not isinstance(wanted, dict):
            raise invalid('chats must be an object {"<chat_id>": last_seq}.', "chats")
        parsed: dict[int, int] = {}
        for key, seq in list(wanted.items())[:500]:
            if not _CHAT_ID.fullmatch(key) or int(key) > MAX_INT or not is_int_between(seq, 0):
                raise invalid("chats must map chat ids to non-negative seqs.", "chats")
            parsed[int(key)] = seq
        visible = await self.read(selectors.chats_visible_to, user=self.user, chat_ids=list(parsed))
        for chat_id, last_seq in visible.items():
            after = parsed[chat_id]
            while last_seq > after:
                messages = await self.read(selectors.messages_after, chat_id=chat_id, after=after)
                if not messages:
                    break
                await self.send_frame(
                    {
                        "type": "history",
                        "chat_id": chat_id,
                        "messages": [message_to_dict(m) for m in messages],
                    }
                )
                after = messages[-1].seq
        await self.send_frame({"type": "synced"})

    async def _chat_site(self, chat_id: object) -> tuple[int, str]:
        if not is_int_between(chat_id, 1):
            raise invalid("chat_id must be a positive integer.", "chat_id")
        site = self.chat_sites.get(chat_id)
        if site is None:
            site = await self.read(selectors.chat_website, chat_id=chat_id, user=self.user)
            if site is None:
                raise not_found("No such chat.", "chat_id")
            self.chat_sites[chat_id] = site
        return site

    async def on_typing(self, frame: dict) -> None:
        is_typing = frame.get("is_typing")
        if not isinstance(is_typing, bool):
            raise invalid("is_typing must be true or false.", "is_typing")
        website_id, visitor_id = await self._chat_site(frame.get("chat_id"))
        await realtime.typing(
            website_id=website_id,
            visitor_id=visitor_id,
            chat_id=frame["chat_id"],
            sender="agent",
            is_typing=is_typing,
        )

    async def on_read(self, frame: dict) -> None:
        await self.call(
            services.messages_read_by_agent,
            user=self.user,
            chat_id=frame.get("chat_id"),
            seq=frame.get("seq"),
        )
        await self.flush_events()

    async def on_close_chat(self, frame: dict) -> None:
        await self.call(services.chat_close_by_agent, user=self.user, chat_id=frame.get("chat_id"))
        await self.flush_events()

    # --- channel layer events ------------------------------------------------------------

    async def membership_added(self, event: MembershipEvent) -> None:
        """A website joined while the socket is open: its events from now on, and
        `{"type": "website_added", "website_id"}` so the client can sync its chats."""
        website_id = event.get("website_id")
        if not isinstance(website_id, int) or website_id in self.website_ids or self.closed:
            return
        self.website_ids = [*self.website_ids, website_id]
        group = realtime.agents_group(website_id)
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.append(group)
        if self.registered:
            newly_online = await sync_to_async(presence.agent_connected, thread_sensitive=False)(
                website_ids=[website_id], connection_id=self.channel_name
            )
            await realtime.agents_presence_changed(website_ids=newly_online)
        await self.send_frame({"type": "website_added", "website_id": website_id})

    async def membership_removed(self, event: MembershipEvent) -> None:
        if event.get("website_id") in self.website_ids:
            await self.close_with(realtime.CLOSE_FORBIDDEN)
