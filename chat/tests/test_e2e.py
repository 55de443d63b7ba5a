"""End to end: real daphne processes sharing PostgreSQL and Redis, real WebSocket clients."""

import json
import signal
import threading

import pytest
from django.conf import settings

from accounts.tokens import issue_token_pair
from chat.models import Message
from testsupport.servers import ServerProcess, WsClient, server_env, ws_url
from websites import services as website_services

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.REDIS_URL, reason="two server processes need Redis (set REDIS_URL)"),
]

ORIGIN = "https://shop.example.com"


@pytest.fixture
def servers():
    env = server_env(CHATELLY_WS_MSG_RATE="1000/10s")  # these tests send fast on purpose
    started = [ServerProcess(env=env).start(), ServerProcess(env=env).start()]
    yield started
    for server in started:
        server.stop()


@pytest.fixture
def shop(site_owner):
    return website_services.website_create(owner=site_owner, name="Shop", domain="shop.example.com")


def ticket(server, user) -> str:
    access = issue_token_pair(user)["access"]
    status, body = server.request(
        "POST", "/api/v1/realtime/ticket", headers={"Authorization": f"Bearer {access}"}
    )
    assert status == 201, body
    return json.loads(body)["ticket"]


def agent_client(server, user) -> WsClient:
    client = WsClient(ws_url(server, f"/ws/agent/?ticket={ticket(server, user)}"))
    assert client.recv()["type"] == "ready"
    return client


def visitor_client(server, key, token=None) -> tuple[WsClient, dict]:
    path = f"/widget/ws/{key}" + (f"?token={token}" if token else "")
    client = WsClient(ws_url(server, path), origin=ORIGIN)
    session = client.recv()
    assert session["type"] == "session"
    return client, session


def test_a_visitor_and_an_agent_on_different_processes_talk(servers, shop, site_owner):
    a, b = servers
    agent = agent_client(b, site_owner)
    visitor, session = visitor_client(a, shop.widget_key)
    assert session["agents_online"] is True

    visitor.send({"type": "message", "content": "Hello from A", "client_id": "v1"})
    ack = visitor.recv_type("ack")
    chat_id = ack["message"]["chat_id"]
    assert agent.recv_type("chat_started")["chat"]["id"] == chat_id
    assert agent.recv_type("message")["message"] == ack["message"]

    agent.send({"type": "message", "chat_id": chat_id, "content": "Hi from B", "client_id": "a1"})
    reply = agent.recv_type("ack")["message"]
    assert visitor.recv_type("message")["message"] == reply

    visitor.send({"type": "typing", "is_typing": True})
    assert agent.recv_type("typing") == {
        "type": "typing",
        "chat_id": chat_id,
        "from": "visitor",
        "is_typing": True,
    }
    agent.send({"type": "typing", "chat_id": chat_id, "is_typing": False})
    assert visitor.recv_type("typing") == {
        "type": "typing",
        "chat_id": chat_id,
        "from": "agent",
        "is_typing": False,
    }

    visitor.send({"type": "read", "seq": 2})
    assert agent.recv_type("read") == {"type": "read", "chat_id": chat_id, "by": "visitor", "seq": 2}
    agent.send({"type": "read", "chat_id": chat_id, "seq": 1})
    assert visitor.recv_type("read") == {"type": "read", "chat_id": chat_id, "by": "agent", "seq": 1}

    agent.send({"type": "close_chat", "chat_id": chat_id})
    expected = {"type": "chat_status", "chat_id": chat_id, "status": "closed", "assigned_to": None}
    assert visitor.recv_type("chat_status") == expected
    assert agent.recv_type("chat_status") == expected
    visitor.close()
    agent.close()


def test_three_tabs_and_an_agent_sending_at_once_leave_a_gap_free_chat(servers, shop, site_owner):
    a, b = servers
    first, session = visitor_client(a, shop.widget_key)
    first.send({"type": "message", "content": "start", "client_id": "start"})
    chat_id = first.recv_type("ack")["message"]["chat_id"]
    tabs = [
        first,
        visitor_client(a, shop.widget_key, session["token"])[0],
        visitor_client(b, shop.widget_key, session["token"])[0],
    ]
    agent = agent_client(b, site_owner)
    per_sender = 25
    acked: list[int] = []
    lock = threading.Lock()

    def run(send, name):
        for n in range(per_sender):
            send(n, f"{name}-{n}")

    def tab_sender(tab):
        def send(n, client_id):
            tab.send({"type": "message", "content": client_id, "client_id": client_id})
            with lock:
                acked.append(tab.recv_type("ack", timeout=10)["message"]["seq"])

        return send

    def agent_send(n, client_id):
        agent.send({"type": "message", "chat_id": chat_id, "content": client_id, "client_id": client_id})
        with lock:
            acked.append(agent.recv_type("ack", timeout=10)["message"]["seq"])

    threads = [threading.Thread(target=run, args=(tab_sender(tab), f"tab{i}")) for i, tab in enumerate(tabs)]
    threads.append(threading.Thread(target=run, args=(agent_send, "agent")))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    total = 1 + 4 * per_sender
    assert sorted(acked) == list(range(2, total + 1))
    seqs = list(Message.objects.filter(chat_id=chat_id).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, total + 1))
    for client in [*tabs, agent]:
        client.close()


def test_killing_a_process_loses_no_acked_message(servers, shop, site_owner):
    a, b = servers
    agent = agent_client(b, site_owner)
    visitor, session = visitor_client(a, shop.widget_key)
    acked = {}
    for n in range(20):
        visitor.send({"type": "message", "content": f"m{n}", "client_id": f"c{n}"})
        message = visitor.recv_type("ack")["message"]
        acked[message["seq"]] = message
    a.stop(signal.SIGKILL)  # mid-conversation, no goodbye
    # The visitor comes back on the other process and resumes from what it holds.
    visitor, session = visitor_client(b, shop.widget_key, session["token"])
    history = visitor.recv_type("history")
    held = {m["seq"]: m for m in history["messages"]}
    assert set(acked) <= set(held)
    for n in range(20, 25):
        visitor.send({"type": "message", "content": f"m{n}", "client_id": f"c{n}"})
        message = visitor.recv_type("ack")["message"]
        acked[message["seq"]] = message
    visitor.send({"type": "resume", "after_seq": 20})
    assert [m["seq"] for m in visitor.recv_type("history")["messages"]] == list(range(21, 26))
    # The agent holds every message once it syncs, each exactly once.
    seen = {}
    for frame in agent.frames_until_quiet(1.0):
        if frame["type"] == "message":
            seen.setdefault(frame["message"]["seq"], []).append(frame["message"])
    agent.send({"type": "sync", "chats": {str(history["chat_id"]): max(seen, default=0)}})
    for frame in iter(lambda: agent.recv(), None):
        if frame["type"] == "synced":
            break
        for message in frame["messages"]:
            seen.setdefault(message["seq"], []).append(message)
    assert sorted(seen) == list(range(1, 26))
    assert all(len(copies) == 1 for copies in seen.values())
    stored = list(
        Message.objects.filter(chat_id=history["chat_id"]).order_by("seq").values_list("seq", flat=True)
    )
    assert stored == list(range(1, 26))
    assert set(acked) == set(stored)
    visitor.close()
    agent.close()


def test_bad_handshakes_against_a_real_server(servers, shop):
    from websockets.exceptions import InvalidStatus

    a, _ = servers
    for path, origin in (
        (f"/widget/ws/{shop.widget_key}", "https://evil.example.net"),
        ("/widget/ws/unknown-key-0123456789abcdef", ORIGIN),
        ("/nope/ws/", ORIGIN),
    ):
        with pytest.raises(InvalidStatus) as refused:
            WsClient(ws_url(a, path), origin=origin)
        assert refused.value.response.status_code == 403
    agent = WsClient(ws_url(a, "/ws/agent/?ticket=bad"))
    assert agent.close_code() == 4401
