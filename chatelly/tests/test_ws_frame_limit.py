"""Production commands cap WebSocket frames near the app's own limit (issue 16, point 9)."""

import re
import shlex
from pathlib import Path

import pytest
from django.conf import settings

from chat.sockets.base import ChatSocket
from testsupport.servers import UVICORN_ARGS, WS_MAX_SIZE, ServerProcess, WsClient, server_env, ws_url
from websites import services as website_services

ROOT = Path(settings.BASE_DIR)


def readme_uvicorn_flags() -> list[str]:
    """The flags of README.md's production uvicorn line."""
    text = (ROOT / "README.md").read_text()
    command = re.search(r"uvicorn chatelly\.asgi:application (.*?)\n# and the same", text, re.S)
    assert command, "README.md's production command is gone"
    return shlex.split(command.group(1).replace("\\\n", " "))


def flag(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def test_every_production_command_sets_the_same_frame_limit():
    assert flag(readme_uvicorn_flags(), "--ws-max-size") == str(WS_MAX_SIZE)
    assert flag(UVICORN_ARGS, "--ws-max-size") == str(WS_MAX_SIZE)
    assert f'"--ws-max-size", "{WS_MAX_SIZE}"' in (ROOT / "Dockerfile").read_text()
    assert f"--ws-max-size {WS_MAX_SIZE}" in (ROOT / "deploy" / "README.md").read_text()
    # Close to the app's limit: every frame the app takes fits (4 UTF-8 bytes a
    # character at most), and not much more is read before the app refuses it.
    app_chars = max(16_384, settings.CHATELLY_MAX_MESSAGE_CHARS * 8)
    assert ChatSocket.max_frame_chars(None) == app_chars
    assert 4 * app_chars <= WS_MAX_SIZE <= 5 * app_chars


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not settings.REDIS_URL, reason="a server process needs Redis (set REDIS_URL)")
def test_uvicorn_with_the_readme_flags_refuses_an_oversized_frame(site_owner):
    from websockets.exceptions import ConnectionClosed

    shop = website_services.website_create(owner=site_owner, name="Shop", domain="shop.example.com")
    assert flag(UVICORN_ARGS, "--ws-max-size") == flag(readme_uvicorn_flags(), "--ws-max-size")
    with ServerProcess(env=server_env(), kind="uvicorn") as server:
        url = ws_url(server, f"/widget/ws/{shop.widget_key}")
        normal = WsClient(url, origin="https://shop.example.com")
        normal.recv_type("session")
        # A frame the app refuses itself (too long) but uvicorn lets through...
        normal.conn.send('{"type": "message", "content": "' + "é" * 40_000 + '"}')  # 80 KB
        assert normal.recv_type("error")["code"] == "too_long"
        # ...and an ordinary one, on the same socket, is answered.
        normal.send({"type": "message", "content": "hello", "client_id": "c1"})
        assert normal.recv_type("ack")["client_id"] == "c1"
        normal.close()

        big = WsClient(url, origin="https://shop.example.com")
        big.recv_type("session")
        big.conn.send("x" * (WS_MAX_SIZE + 1))
        assert big.close_code() == 1009  # "message too big", before the app reads it
        with pytest.raises(ConnectionClosed):
            big.send({"type": "ping"})
            big.recv()
        big.close()
