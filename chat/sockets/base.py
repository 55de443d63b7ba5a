"""What both sockets share: frame parsing, errors, flood control, service calls
off the event loop, and the handlers for events from the channel layer."""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import orjson
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import InterfaceError, OperationalError

from chatelly import metrics, realtime
from chatelly.errors import AppError, error_frame, frame_of
from chatelly.events import ForwardEvent, ForwardManyEvent, Frame, GroupEvent, SocketCloseEvent
from chatelly.logs import socket_log

from . import budgets, drain
from .frames import FrameError, check_values, parse_frame

logger = logging.getLogger("chatelly.sockets")

# How long a closing socket waits for the acks of messages it accepted.
CLOSE_ACKS_WAIT = 15.0
SERVER_ERROR = "Something went wrong on the server; the frame was not acted on."

T = TypeVar("T")


def frame_text(frame: Mapping[str, Any]) -> str:
    """A frame as compact JSON text (orjson: every frame of the message path goes
    through here). Text with a lone surrogate, which UTF-8 cannot carry, is
    written with \\u escapes instead."""
    try:
        return orjson.dumps(frame, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(frame, separators=(",", ":"))


class Unavailable(Exception):
    """The database did not answer: nothing was stored."""


class ChatSocket(AsyncWebsocketConsumer):
    """Base for the visitor's and the agent's socket."""

    kind = "socket"  # "visitor" or "agent": metrics and log lines
    frame_handlers: dict[str, str] = {}
    # Frames that need not wait for this socket's messages still being written.
    unordered_frames = frozenset({"message", "ping", "typing"})
    _writes: asyncio.Task | None = None
    closed = False  # nothing more is sent
    closing = False  # a close has started: its acks are still sent
    released = False
    opened_at: float | None = None
    log_fields: dict

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        """Whatever ends the consumer (a close, a crash, a cancelled task) releases
        its presence slots, heartbeat and groups: a socket that died without
        it kept its `max_users` place renewed for good."""
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.release(None)

    async def dispatch(self, message: dict[str, Any]) -> None:
        """As Channels' own, without its `aclose_old_connections()` per event: that is a
        hop to the database thread for every frame and every group event, queueing
        behind the writes. Every database call here goes through
        `database_sync_to_async`, which closes stale connections itself."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        if message["type"].startswith("websocket."):
            return await handler(message)
        try:
            await handler(message)
        except Exception:  # an event for this socket must not end it
            logger.exception("socket event %s failed", message["type"], extra=self.log_context())

    # --- lifecycle: metrics and one log line per connect, disconnect and error -----

    def log_context(self) -> dict:
        return {}

    async def accept(
        self, subprotocol: str | None = None, headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        await super().accept(subprotocol, headers)
        self.opened_at = time.monotonic()
        self.budgets = budgets.FrameBudgets(budgets.socket_rates())
        drain.install_once()
        metrics.WS_CONNECTIONS.labels(kind=self.kind).inc()

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        # As Channels' own, without its hop to the database thread to close old
        # connections (ours go back to the pool after every call): a restart
        # closes thousands of sockets at once, and the reconnects queued behind them.
        await self.release(message.get("code"))
        raise StopConsumer()

    async def refuse_handshake(self) -> None:
        """Over the connect rate: 429 with Retry-After where the server can answer
        a handshake with a response (uvicorn), else the plain refusal (403)."""
        metrics.RATE_LIMITED.labels(scope=f"ws_connect_{self.kind}").inc()
        if "websocket.http.response" not in self.scope.get("extensions", {}):
            return await self.close()
        body = frame_text(
            {"error": "rate_limited", "message": "Too many connections; retry later.", "code": 429}
        )
        await self.base_send(
            {
                "type": "websocket.http.response.start",
                "status": 429,
                "headers": [(b"content-type", b"application/json"), (b"retry-after", b"60")],
            }
        )
        await self.base_send({"type": "websocket.http.response.body", "body": body.encode()})

    async def release(self, code: int | None) -> None:
        """Once per socket: count and log the close, then `disconnect()`."""
        if self.released:
            return
        self.released = self.closed = True
        if self.opened_at is not None:
            metrics.WS_CONNECTIONS.labels(kind=self.kind).dec()
            socket_log().info(
                "ws_disconnect",
                kind=self.kind,
                connection_id=self.connection_id,
                code=code,
                duration_s=round(time.monotonic() - self.opened_at, 3),
                **self.log_context(),
            )
            self.opened_at = None
        try:
            await self.disconnect(code)
        except Exception:
            logger.exception("releasing a socket failed")

    @property
    def connection_id(self) -> str:
        return (getattr(self, "channel_name", "") or "").rsplit("!", 1)[-1][-12:]

    def log_connected(self) -> None:
        socket_log().info(
            "ws_connect", kind=self.kind, connection_id=self.connection_id, **self.log_context()
        )

    def max_frame_chars(self) -> int:
        return max(16_384, settings.CHATELLY_MAX_MESSAGE_CHARS * 8)

    # --- sending -----------------------------------------------------------------

    async def send_frame(self, frame: Mapping[str, Any]) -> None:
        if not self.closed:
            await self.send(text_data=frame_text(frame))

    async def send_error(self, code: str, message: str, client_id: str | None = None) -> None:
        await self.send_frame(frame_of(code, message, client_id))

    async def send_app_error(self, exc: AppError, client_id: str | None = None) -> None:
        """A service's refusal, as docs/protocol.md's `error` frame."""
        await self.send_frame(error_frame(exc, client_id))

    async def close_with(self, code: int) -> None:
        """Close from the server's side, after the acks of every message this socket
        accepted: what was stored was acked (docs/protocol.md, "Flooding")."""
        if self.closing or self.closed:
            return
        self.closing = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.writes_done(), CLOSE_ACKS_WAIT)
        if not self.closed:
            self.closed = True
            await self.close(code=code)

    # --- receiving -----------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """One frame; whatever a handler raises is answered, never the socket's end."""
        try:
            await self.receive_frame(text_data)
        except Exception:
            logger.exception("frame handler failed", extra=self.log_context())
            metrics.WS_FRAME_ERRORS.labels(kind=self.kind).inc()
            with contextlib.suppress(Exception):
                await self.send_error("server_error", SERVER_ERROR)

    async def receive_frame(self, text_data: str | None) -> None:
        if self.closing:
            return
        try:
            frame = self.parse(text_data)
        except FrameError as exc:
            if await self.within_budget(budgets.INVALID):
                await self.send_error(exc.code, exc.message)
            return
        handler = self.frame_handlers.get(frame["type"])
        client_id = frame.get("client_id")
        if not await self.within_budget(frame["type"] if handler else budgets.INVALID, client_id):
            return
        if handler is None:
            return await self.send_error(
                "unknown_type", f"This socket does not take {frame['type'][:40]!r} frames."
            )
        try:
            check_values(frame)
        except FrameError as exc:
            return await self.send_error(exc.code, exc.message, exc.client_id)
        if frame["type"] not in self.unordered_frames:
            await self.writes_done()  # e.g. `end` after `message`: the message is stored first
        try:
            await getattr(self, handler)(frame)
        except AppError as exc:
            await self.send_app_error(exc, client_id)
        except Unavailable:
            await self.send_error(
                "unavailable", "Storage is down: nothing was stored, retry later.", client_id
            )

    def parse(self, text_data: str | None) -> dict:
        """The frame as a dict with a string `type`; FrameError for a binary frame
        or what parse_frame refuses."""
        if text_data is None:
            raise FrameError("invalid_frame", "Frames are JSON text.")
        return parse_frame(text_data, max_chars=self.max_frame_chars())

    async def within_budget(self, frame_type: str, client_id: str | None = None) -> bool:
        """False when the frame is refused (and the socket maybe closed) for flooding."""
        verdict = self.budgets.check(frame_type)
        if verdict == budgets.OK:
            return True
        metrics.RATE_LIMITED.labels(scope=f"ws_{self.kind}").inc()
        await self.send_error("rate_limited", f"Too many {frame_type} frames; slow down.", client_id)
        if verdict == budgets.CLOSE:
            await self.close_with(realtime.CLOSE_OVER_LIMIT)
        return False

    # --- answers that follow this socket's batched writes, in order --------------

    def chain_write(self, answer: Awaitable[None]) -> None:
        """Run `answer` (a coroutine) after the answers chained before it."""
        self._writes = asyncio.ensure_future(_after(self._writes, answer))

    async def after_writes(self, answer: Awaitable[None]) -> None:
        """Send `answer` now if nothing is pending, else in its turn."""
        if self._writes is None or self._writes.done():
            await answer
        else:
            self.chain_write(answer)

    async def writes_done(self) -> None:
        if self._writes is not None and not self._writes.done():
            await asyncio.shield(self._writes)

    async def on_ping(self, frame: dict) -> None:
        await self.send_frame({"type": "pong"})

    # --- services off the event loop ---------------------------------------------

    async def call(self, service: Callable[..., T], **kwargs: Any) -> T:
        """Run a service in the database thread; send its events once it committed."""

        def run() -> tuple[T, list[GroupEvent]]:
            with realtime.deferred() as events:
                return service(**kwargs), events

        try:
            result, events = await database_sync_to_async(run)()
        except (OperationalError, InterfaceError) as exc:
            logger.warning("database unavailable: %s", exc.__class__.__name__)
            raise Unavailable() from exc
        self._pending_events = events
        return result

    async def flush_events(self) -> None:
        events, self._pending_events = getattr(self, "_pending_events", []), []
        await realtime.dispatch(events)

    async def read(self, selector: Callable[..., T], **kwargs: Any) -> T:
        try:
            return await database_sync_to_async(selector)(**kwargs)
        except (OperationalError, InterfaceError) as exc:
            raise Unavailable() from exc

    # --- groups --------------------------------------------------------

    async def join_groups(self, groups: list[str]) -> None:
        self.groups_joined = []
        for group in groups:
            try:
                await self.channel_layer.group_add(group, self.channel_name)
                self.groups_joined.append(group)
            except Exception:  # live events are lost until reconnect; resume recovers them
                logger.warning("group_add %s failed", group, exc_info=True)

    async def leave_groups(self) -> None:
        for group in getattr(self, "groups_joined", []):
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:
                logger.warning("group_discard %s failed", group, exc_info=True)

    # --- channel layer events ----------------------------------------------------------

    async def chat_forward(self, event: ForwardEvent) -> None:
        if event.get("exclude") != self.channel_name:
            await self.on_forward(event["frame"])

    async def chat_forward_many(self, event: ForwardManyEvent) -> None:
        for frame, exclude in event["items"]:
            if exclude != self.channel_name:
                await self.on_forward(frame)

    async def on_forward(self, frame: Frame) -> None:
        await self.send_frame(frame)

    async def socket_close(self, event: SocketCloseEvent) -> None:
        await self.close_with(event.get("code", realtime.CLOSE_FORBIDDEN))


async def _after(previous: asyncio.Task | None, answer: Awaitable[None]) -> None:
    if previous is not None:
        with contextlib.suppress(Exception):
            await previous
    try:
        await answer
    except Exception:  # one failed answer must not stop the ones after it
        logger.warning("socket answer failed", exc_info=True)
