"""A server process that is told to stop closes its sockets itself, each after
the acks of the messages it accepted (docs/protocol.md, "Flooding" and
"Delivery"): uvicorn's own shutdown closes every socket with 1012 at once,
dropping the acks still on their way, so a client resent messages that were
stored. Installed by the first socket of a process that runs under uvicorn
(uvicorn imports the application before it sets its own signal handlers): the
first SIGTERM or SIGINT drains the sockets (bounded), then hands the signal to
uvicorn.
"""

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from chatelly import realtime

from .heartbeat import heartbeat

# A signal handler as signal.signal() takes it (uvicorn's own).
_SignalHandler = Callable[[int, FrameType | None], Any]

logger = logging.getLogger("chatelly.drain")

DRAIN_SECONDS = 10.0


async def drain_sockets() -> int:
    """Close this loop's sockets with 1012, acks first (DRAIN_SECONDS at most); the
    number closed."""
    sockets = [s for s in list(heartbeat().sockets.values()) if hasattr(s, "close_with")]
    if sockets:
        closing = [asyncio.ensure_future(s.close_with(realtime.CLOSE_RESTART)) for s in sockets]
        with contextlib.suppress(Exception):
            await asyncio.wait(closing, timeout=DRAIN_SECONDS)
    return len(sockets)


_tried: set[int] = set()  # loops that looked already


def install_once() -> None:
    """Cheap after the first call on a loop: what every socket's accept calls."""
    loop = asyncio.get_running_loop()
    if id(loop) not in _tried:
        _tried.add(id(loop))
        install_under_uvicorn(loop)


def install_under_uvicorn(loop: asyncio.AbstractEventLoop) -> bool:
    """Wrap uvicorn's signal handlers, when this process is a uvicorn server's."""
    if threading.current_thread() is not threading.main_thread():
        return False
    installed = False
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)
        owner = getattr(previous, "__self__", None)
        if owner is None or not callable(previous) or not type(owner).__module__.startswith("uvicorn."):
            continue
        signal.signal(sig, _handler(loop, previous))
        installed = True
    return installed


def _handler(loop: asyncio.AbstractEventLoop, uvicorn_handler: _SignalHandler) -> _SignalHandler:
    state = {"draining": False}

    def on_signal(sig: int, frame: FrameType | None) -> Any:
        if state["draining"]:  # a second signal: stop now
            return uvicorn_handler(sig, frame)
        state["draining"] = True
        loop.call_soon_threadsafe(lambda: asyncio.ensure_future(_drain_then(uvicorn_handler, sig)))

    return on_signal


async def _drain_then(uvicorn_handler: _SignalHandler, sig: int) -> None:
    try:
        closed = await drain_sockets()
        logger.info("closed %d sockets for shutdown", closed)
    except Exception:
        logger.exception("draining sockets failed")
    finally:
        uvicorn_handler(sig, None)
