"""Outages of PostgreSQL and Redis for a real server process, through a TCP proxy we cut."""

import time

import pytest
from django.conf import settings
from django.db import connection

from chat.models import Message
from testsupport.faults import TcpProxy
from testsupport.servers import ServerProcess, WsClient, database_url_for_servers, server_env, ws_url
from websites import services as website_services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ORIGIN = "https://shop.example.com"
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the database outage test needs PostgreSQL (set DATABASE_URL)"
)
on_redis = pytest.mark.skipif(
    not settings.REDIS_URL, reason="the Redis outage test needs Redis (set REDIS_URL)"
)


@pytest.fixture
def shop(site_owner):
    return website_services.website_create(owner=site_owner, name="Shop", domain="shop.example.com")


def say(client, content, client_id):
    client.send({"type": "message", "content": content, "client_id": client_id})
    while True:
        frame = client.recv(10)
        if frame["type"] in ("ack", "error"):
            return frame


@on_postgres
def test_with_postgres_down_nothing_is_stored_or_acked_and_the_process_survives(shop):
    db = connection.settings_dict
    proxy = TcpProxy(int(db["PORT"] or 5432), db["HOST"] or "127.0.0.1").start()
    url = database_url_for_servers().replace(f":{db['PORT'] or 5432}/", f":{proxy.port}/")
    server = ServerProcess(env=server_env(DATABASE_URL=url)).start()
    try:
        visitor = WsClient(ws_url(server, f"/widget/ws/{shop.widget_key}"), origin=ORIGIN)
        session = visitor.recv()
        assert say(visitor, "before", "c1")["type"] == "ack"
        proxy.cut()
        error = say(visitor, "during", "c2")
        assert error == {
            "type": "error",
            "code": "unavailable",
            "message": "Storage is down: nothing was stored, retry later.",
            "client_id": "c2",
        }
        assert server.get("/readyz")[0] == 503
        proxy.restore()
        deadline = time.monotonic() + 15
        while (frame := say(visitor, "after", "c2"))["type"] != "ack" and time.monotonic() < deadline:
            time.sleep(0.5)  # the retry a widget makes
        assert frame["type"] == "ack" and frame["message"]["seq"] == 2
        assert list(Message.objects.order_by("seq").values_list("content", flat=True)) == ["before", "after"]
        assert server.process.poll() is None
        visitor.close()
        # A new socket while the database is down gets `unavailable`, then 1011.
        proxy.cut()
        fresh = WsClient(
            ws_url(server, f"/widget/ws/{shop.widget_key}?token={session['token']}"), origin=ORIGIN
        )
        assert fresh.recv()["code"] == "unavailable"
        assert fresh.close_code() == 1011
        proxy.restore()
    finally:
        server.stop()
        proxy.stop()


@on_redis
def test_with_redis_down_messages_are_stored_and_acked_and_clients_catch_up(shop, site_owner):
    from chat.tests.test_e2e import agent_client

    host, port = settings.REDIS_URL.split("//", 1)[1].split("/", 1)[0].split(":")
    proxy = TcpProxy(int(port), host).start()
    redis_url = settings.REDIS_URL.replace(f":{port}/", f":{proxy.port}/")
    env = server_env(REDIS_URL=redis_url)
    server = ServerProcess(env=env).start()
    try:
        agent = agent_client(server, site_owner)
        visitor = WsClient(ws_url(server, f"/widget/ws/{shop.widget_key}"), origin=ORIGIN)
        visitor.recv_type("session")
        first = say(visitor, "before", "c1")
        chat_id = first["message"]["chat_id"]
        assert agent.recv_type("message")["message"]["seq"] == 1
        proxy.cut()
        acked = [say(visitor, f"during {n}", f"d{n}") for n in range(3)]
        assert [frame["type"] for frame in acked] == ["ack", "ack", "ack"]
        assert [frame["message"]["seq"] for frame in acked] == [2, 3, 4]
        assert server.process.poll() is None
        proxy.restore()
        time.sleep(1.5)
        # Whatever the agent missed while Redis was down, sync brings back.
        seen = {m["message"]["seq"] for m in agent.frames_until_quiet(0.5) if m["type"] == "message"} | {1}
        agent.send({"type": "sync", "chats": {str(chat_id): 1}})
        while (frame := agent.recv())["type"] != "synced":
            seen |= {m["seq"] for m in frame.get("messages", [])}
        assert seen == {1, 2, 3, 4}
        # Live delivery works again once Redis is back.
        deadline = time.monotonic() + 15
        delivered = False
        n = 0
        while not delivered and time.monotonic() < deadline:
            n += 1
            seq = say(visitor, f"after {n}", f"a{n}")["message"]["seq"]
            delivered = any(
                f["type"] == "message" and f["message"]["seq"] == seq for f in agent.frames_until_quiet(1.0)
            )
        assert delivered
        visitor.close()
        agent.close()
    finally:
        server.stop()
        proxy.stop()
