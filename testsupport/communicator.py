"""Socket helpers for in-process consumer tests (channels' WebsocketCommunicator)."""

import asyncio
import json

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from chat.sockets.tickets import ticket_issue
from chatelly.asgi import application

ORIGIN = "https://shop.example.com"


class Socket:
    """A connected communicator with frame helpers."""

    def __init__(self, communicator: WebsocketCommunicator):
        self.comm = communicator

    async def send(self, frame) -> None:
        await self.comm.send_to(text_data=frame if isinstance(frame, str) else json.dumps(frame))

    async def recv(self, timeout: float = 3) -> dict:  # noqa: ASYNC109 (mirrors the communicator's receive_*(timeout=))
        return json.loads(await self.comm.receive_from(timeout=timeout))

    async def recv_type(self, kind: str, timeout: float = 3) -> dict:  # noqa: ASYNC109 (mirrors the communicator's receive_*(timeout=))
        """The next frame of this type, skipping others."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"no {kind} frame")
            frame = await self.recv(left)
            if frame["type"] == kind:
                return frame

    async def nothing(self, timeout: float = 0.2) -> bool:  # noqa: ASYNC109 (mirrors the communicator's receive_*(timeout=))
        return await self.comm.receive_nothing(timeout=timeout)

    async def closed_with(self, timeout: float = 3) -> int | None:  # noqa: ASYNC109 (mirrors the communicator's receive_*(timeout=))
        """The close code the server sent, skipping frames before it."""
        while True:
            output = await self.comm.receive_output(timeout=timeout)
            if output["type"] == "websocket.close":
                return output.get("code")

    async def close(self) -> None:
        await self.comm.disconnect()


async def visitor_socket(
    widget_key: str, *, token=None, origin=ORIGIN, headers=(), client=("127.0.0.1", 5000)
):
    path = f"/widget/ws/{widget_key}" + (f"?token={token}" if token else "")
    all_headers = [(b"origin", origin.encode())] if origin else []
    all_headers += [(b"user-agent", b"pytest"), *list(headers)]
    communicator = WebsocketCommunicator(application, path, headers=all_headers)
    communicator.scope["client"] = list(client)
    connected, code = await communicator.connect(timeout=5)
    return Socket(communicator), connected, code


async def connected_visitor(widget_key: str, **kwargs) -> tuple[Socket, dict]:
    socket, connected, code = await visitor_socket(widget_key, **kwargs)
    assert connected, code
    session = await socket.recv()
    assert session["type"] == "session", session
    return socket, session


async def agent_socket(user=None, *, ticket=None, origin=None, host=b"testserver"):
    if ticket is None:
        ticket = await sync_to_async(ticket_issue)(user_id=user.id)
    headers = [(b"host", host)]
    if origin:
        headers.append((b"origin", origin.encode()))
    communicator = WebsocketCommunicator(application, f"/ws/agent/?ticket={ticket}", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return Socket(communicator), connected, code


async def connected_agent(user) -> tuple[Socket, dict]:
    socket, connected, code = await agent_socket(user)
    assert connected, code
    ready = await socket.recv()
    assert ready["type"] == "ready", ready
    return socket, ready
