"""A rolling restart of two uvicorn processes: SIGTERM closes sockets with 1012, nothing acked is lost."""

import signal
import time

import pytest
from django.conf import settings

from chat.models import Message
from chat.tests.test_e2e import ORIGIN, agent_client
from testsupport.servers import ServerProcess, WsClient, database_url_for_servers, server_env, ws_url
from websites import services as website_services

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.REDIS_URL, reason="two server processes need Redis (set REDIS_URL)"),
]


class Visitor:
    """A widget-like client: keeps its token, resends unacked messages, resumes after reconnecting."""

    def __init__(self, key: str):
        self.key, self.token, self.acked, self.unacked = key, None, {}, {}

    def connect(self, server) -> None:
        path = f"/widget/ws/{self.key}" + (f"?token={self.token}" if self.token else "")
        self.client = WsClient(ws_url(server, path), origin=ORIGIN)
        session = self.client.recv_type("session")
        self.token = session["token"]
        self.client.send({"type": "resume", "after_seq": max(self.acked, default=0)})
        for frame in [self.client.recv_type("history")]:
            for message in frame["messages"]:
                self.acked.setdefault(message["seq"], message)
        for client_id, content in list(self.unacked.items()):  # what the widget does on reconnect
            self.say(content, client_id)

    def say(self, content: str, client_id: str) -> bool:
        """True when acked; False when the server went away first."""
        from websockets.exceptions import ConnectionClosed

        self.unacked[client_id] = content
        try:
            self.client.send({"type": "message", "content": content, "client_id": client_id})
            while True:
                frame = self.client.recv(10)
                if frame["type"] == "ack":
                    self.acked[frame["message"]["seq"]] = frame["message"]
                    self.unacked.pop(frame["client_id"], None)
                    return True
        except ConnectionClosed:
            return False


def test_a_rolling_restart_closes_with_1012_and_loses_nothing(site_owner):
    shop = website_services.website_create(owner=site_owner, name="Shop", domain="shop.example.com")
    env = server_env(CHATELLY_WS_MSG_RATE="1000/10s")
    a, b = ServerProcess(env=env, kind="uvicorn").start(), ServerProcess(env=env, kind="uvicorn").start()
    try:
        agent = agent_client(b, site_owner)
        visitor = Visitor(shop.widget_key)
        visitor.connect(a)
        for n in range(10):
            assert visitor.say(f"m{n}", f"c{n}")

        # Restart A: its sockets are told 1012, the visitor moves to B and resumes.
        a.process.send_signal(signal.SIGTERM)
        assert visitor.client.close_code(timeout=15) == 1012
        a.process.wait(20)
        visitor.connect(b)
        for n in range(10, 20):
            assert visitor.say(f"m{n}", f"c{n}")
        a = ServerProcess(env=env, port=a.port, kind="uvicorn").start()

        # Restart B: the agent is told 1012 too, reconnects to A and syncs.
        seen = {}
        for frame in agent.frames_until_quiet(0.5):
            if frame["type"] == "message":
                seen.setdefault(frame["message"]["seq"], []).append(frame["message"])
        b.process.send_signal(signal.SIGTERM)
        assert agent.close_code(timeout=15) == 1012
        assert visitor.client.close_code(timeout=15) == 1012
        b.process.wait(20)
        visitor.connect(a)
        for n in range(20, 25):
            assert visitor.say(f"m{n}", f"c{n}")
        agent = agent_client(a, site_owner)
        chat_id = visitor.acked[1]["chat_id"]
        agent.send({"type": "sync", "chats": {str(chat_id): max(seen, default=0)}})
        while (frame := agent.recv())["type"] != "synced":
            for message in frame["messages"]:
                seen.setdefault(message["seq"], []).append(message)
        for frame in agent.frames_until_quiet(0.5):
            if frame["type"] == "message":
                seen.setdefault(frame["message"]["seq"], []).append(frame["message"])

        stored = list(Message.objects.filter(chat_id=chat_id).order_by("seq").values_list("seq", "client_id"))
        assert [seq for seq, _ in stored] == list(range(1, 26))
        assert sorted(visitor.acked) == list(range(1, 26)) and not visitor.unacked
        assert sorted({client_id for _, client_id in stored}) == sorted(f"c{n}" for n in range(25))
        assert sorted(seen) == list(range(1, 26))
        assert all(len(copies) == 1 for copies in seen.values())
        visitor.client.close()
        agent.close()
    finally:
        a.stop()
        b.stop()


def test_sigterm_lets_an_in_flight_request_finish(site):
    """A request whose body is still arriving when SIGTERM comes gets its full answer."""
    import socket
    import time

    server = ServerProcess(env=server_env(), kind="uvicorn").start()
    try:
        body = b'{"email": "slow@example.com", "password": "not-the-password-1"}'
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        sock.sendall(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body[:10]
        )
        time.sleep(0.3)
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert server.process.poll() is None  # still finishing the request
        sock.sendall(body[10:])
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        sock.close()
        assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
        assert b'"authentication_failed"' in answer
        assert server.process.wait(20) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal on exit
    finally:
        server.stop()


@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), reason="locks a PostgreSQL table"
)
def test_sigterm_sends_the_acks_of_accepted_messages_before_1012(site):
    """Messages accepted but not yet stored when SIGTERM comes are stored and
    acked before the socket is closed with 1012: stored equals acked."""
    import threading

    import psycopg

    server = ServerProcess(env=server_env(CHATELLY_WS_MSG_RATE="1000/10s"), kind="uvicorn").start()
    try:
        visitor = Visitor(site.widget_key)
        visitor.connect(server)
        assert visitor.say("first", "c0")  # the chat exists: the lock below holds only the messages
        with psycopg.connect(database_url_for_servers(), autocommit=False) as lock:
            lock.execute("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE")
            for n in range(1, 6):
                visitor.client.send({"type": "message", "content": f"m{n}", "client_id": f"c{n}"})
            time.sleep(0.5)  # accepted; their batch waits for the lock
            server.process.send_signal(signal.SIGTERM)
            threading.Timer(1.0, lock.rollback).start()  # the writes go on a second later
            frames, code = [], None
            from websockets.exceptions import ConnectionClosed

            try:
                while True:
                    frames.append(visitor.client.recv(15))
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd else None
        assert code == 1012
        acked = {f["client_id"] for f in frames if f["type"] == "ack"}
        stored = set(
            Message.objects.filter(client_id__in=[f"c{n}" for n in range(1, 6)]).values_list(
                "client_id", flat=True
            )
        )
        assert acked == stored == {f"c{n}" for n in range(1, 6)}
        server.process.wait(20)
    finally:
        server.stop()
