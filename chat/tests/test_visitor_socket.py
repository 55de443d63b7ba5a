"""The visitor socket in-process: every frame of docs/protocol.md, good and bad."""

import json

import pytest
from asgiref.sync import sync_to_async

from chat.models import Chat, Message, Visitor
from chat.sockets.visitor_tokens import visitor_token_make
from testsupport.communicator import connected_agent, connected_visitor, visitor_socket
from websites import services as website_services

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

count_messages = sync_to_async(lambda **f: Message.objects.filter(**f).count())
count_chats = sync_to_async(lambda **f: Chat.objects.filter(**f).count())
count_visitors = sync_to_async(lambda: Visitor.objects.count())


async def send_message(socket, content="Hello", client_id="c1", **extra):
    await socket.send({"type": "message", "content": content, "client_id": client_id, **extra})
    return await socket.recv()


async def test_a_new_visitor_gets_a_session_and_token(site):
    socket, session = await connected_visitor(site.widget_key)
    assert set(session) == {"type", "visitor_id", "token", "chat", "agents_online"}
    assert session["visitor_id"].startswith("v_")
    assert session["chat"] is None and session["agents_online"] is False
    assert await socket.nothing()  # no history without a chat
    await socket.close()
    assert await count_visitors() == 1


@pytest.mark.parametrize(
    "origin",
    [
        None,
        "https://evil.example.net",
        "null",
        "https://shop.example.com.evil.net",
        "https://notshop.example.com",
    ],
)
async def test_a_foreign_origin_is_refused_at_the_handshake(site, settings, origin):
    settings.PRODUCTION = True
    _socket, connected, _code = await visitor_socket(site.widget_key, origin=origin)
    assert not connected
    assert await count_visitors() == 0


async def test_other_origins_of_the_website_are_accepted(make_site, settings):
    settings.PRODUCTION = True
    site = await sync_to_async(make_site)(
        domain="*.example.com", settings={"allowed_origins": ["https://app.other.org"]}
    )
    for origin in ("http://example.com:8080", "https://a.b.example.com", "https://app.other.org"):
        socket, connected, _ = await visitor_socket(site.widget_key, origin=origin)
        assert connected, origin
        await socket.close()


async def test_development_allows_localhost_origins(site, settings):
    settings.PRODUCTION = False
    socket, connected, _ = await visitor_socket(site.widget_key, origin="http://localhost:3000")
    assert connected
    await socket.close()
    settings.PRODUCTION = True
    socket, connected, _ = await visitor_socket(site.widget_key, origin="http://localhost:3000")
    assert not connected


async def test_unknown_and_inactive_keys_are_refused(site):
    _socket, connected, _ = await visitor_socket("unknown-key-0123456789abcdef")
    assert not connected
    await sync_to_async(website_services.website_update)(website=site, is_active=False)
    _socket, connected, _ = await visitor_socket(site.widget_key)
    assert not connected
    assert await count_visitors() == 0


async def test_rotation_closes_open_sockets_and_refuses_the_old_key(site):
    socket, _ = await connected_visitor(site.widget_key)
    old_key = site.widget_key
    await sync_to_async(website_services.website_rotate_key)(website=site)
    assert await socket.closed_with() == 4403
    _, connected, _ = await visitor_socket(old_key)
    assert not connected


async def test_a_token_brings_back_the_visitor_with_chat_and_history(site):
    first, session = await connected_visitor(site.widget_key)
    for n in range(3):
        await send_message(first, f"m{n}", f"c{n}")
    await first.close()
    again, session2 = await connected_visitor(site.widget_key, token=session["token"])
    assert session2["visitor_id"] == session["visitor_id"]
    assert session2["chat"]["message_count"] == 3
    assert session2["chat"]["last_message"]["content"] == "m2"
    history = await again.recv()
    assert history["type"] == "history" and history["chat_id"] == session2["chat"]["id"]
    assert [m["content"] for m in history["messages"]] == ["m0", "m1", "m2"]
    await again.close()


async def test_history_holds_the_last_200_messages(site):
    socket, session = await connected_visitor(site.widget_key)
    chat_id = (await send_message(socket, "first", "c0"))["message"]["chat_id"]

    def fill():
        chat = Chat.objects.get(id=chat_id)
        Message.objects.bulk_create(
            [
                Message(
                    chat=chat,
                    website_id=chat.website_id,
                    seq=n,
                    content=f"m{n}",
                    sender_type="visitor",
                    sender_id="x",
                )
                for n in range(2, 251)
            ]
        )
        Chat.objects.filter(id=chat_id).update(last_seq=250, message_count=250)

    await sync_to_async(fill)()
    await socket.close()
    again, _ = await connected_visitor(site.widget_key, token=session["token"])
    history = await again.recv()
    assert [m["seq"] for m in history["messages"]] == list(range(51, 251))
    await again.close()


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 600])
async def test_a_bad_token_makes_a_new_visitor(site, token):
    socket, session = await connected_visitor(site.widget_key, token=token)
    assert session["token"] != token
    await socket.close()


async def test_another_websites_token_counts_as_none(site, make_site):
    other = await sync_to_async(make_site)(name="Other")
    foreign = visitor_token_make(website_id=other.id, visitor_id="v_someone_else_entirely")
    socket, session = await connected_visitor(site.widget_key, token=foreign)
    assert session["visitor_id"] != "v_someone_else_entirely"
    await socket.close()


async def test_the_same_client_id_is_acked_again_and_stored_once(site):
    socket, _ = await connected_visitor(site.widget_key)
    first = await send_message(socket, "once", "same")
    again = await send_message(socket, "once", "same")
    assert again == first
    assert await count_messages() == 1
    await socket.close()


async def test_content_is_stored_and_returned_byte_for_byte(site, site_owner):
    agent, _ = await connected_agent(site_owner)
    socket, _ = await connected_visitor(site.widget_key)
    content = '<script>alert("x")</script> &amp; \u202e emoji 🎉\n  two lines\t'
    ack = await send_message(socket, content)
    assert ack["message"]["content"] == content
    await agent.recv_type("chat_started")
    assert (await agent.recv_type("message"))["message"]["content"] == content
    stored = await sync_to_async(lambda: Message.objects.get().content)()
    assert stored == content
    await socket.close()
    await agent.close()


@pytest.mark.parametrize(
    "raw, code",
    [
        ("not json", "invalid_frame"),
        ("[1, 2]", "invalid_frame"),
        ('"text"', "invalid_frame"),
        ('{"content": "no type"}', "invalid_frame"),
        ('{"type": 5}', "invalid_frame"),
        ('{"type": "shout"}', "unknown_type"),
        ('{"type": "sync", "chats": {}}', "unknown_type"),
        ('{"type": "close_chat", "chat_id": 1}', "unknown_type"),
        ('{"type": "message", "content": "x"}', "validation_error"),
        ('{"type": "message", "content": "x", "client_id": ""}', "validation_error"),
        ('{"type": "message", "content": "x", "client_id": 7}', "validation_error"),
        ('{"type": "message", "content": "", "client_id": "c"}', "validation_error"),
        ('{"type": "message", "content": "  \\n\\t ", "client_id": "c"}', "validation_error"),
        ('{"type": "message", "content": 42, "client_id": "c"}', "validation_error"),
        ('{"type": "message", "content": null, "client_id": "c"}', "validation_error"),
        ('{"type": "message", "content": "x", "client_id": "c", "attachment_id": "1"}', "validation_error"),
        ('{"type": "message", "content": "x", "client_id": "c", "attachment_id": 999}', "not_found"),
        ('{"type": "resume", "after_seq": "1"}', "validation_error"),
        ('{"type": "resume", "after_seq": -1}', "validation_error"),
        ('{"type": "typing", "is_typing": "yes"}', "validation_error"),
        ('{"type": "read", "seq": "3"}', "validation_error"),
        ('{"type": "identify", "email": "not-an-email"}', "validation_error"),
        ('{"type": "identify", "name": 5}', "validation_error"),
        ('{"type": "page_view", "url": 5}', "validation_error"),
        ('{"type": "page_view", "url": ""}', "validation_error"),
    ],
)
async def test_bad_frames_get_their_error_and_store_nothing(site, raw, code):
    socket, _ = await connected_visitor(site.widget_key)
    await socket.send(raw)
    error = await socket.recv()
    assert error["type"] == "error" and error["code"] == code, error
    assert isinstance(error["message"], str)
    if '"client_id": "c"' in raw:
        assert error["client_id"] == "c"
    # The socket stays open.
    await socket.send({"type": "ping"})
    assert await socket.recv() == {"type": "pong"}
    await socket.close()
    assert await count_messages() == 0
    assert await count_chats() == 0


async def test_too_long_content_is_refused(site, settings):
    socket, _ = await connected_visitor(site.widget_key)
    error = await send_message(socket, "x" * (settings.CHATELLY_MAX_MESSAGE_CHARS + 1))
    assert error["code"] == "too_long" and error["client_id"] == "c1"
    ok = await send_message(socket, "x" * settings.CHATELLY_MAX_MESSAGE_CHARS, "c2")
    assert ok["type"] == "ack"
    await socket.send(json.dumps({"type": "message", "content": "y" * 200_000, "client_id": "c3"}))
    assert (await socket.recv())["code"] == "too_long"
    await socket.close()
    assert await count_messages() == 1


async def test_binary_frames_are_invalid(site):
    socket, _ = await connected_visitor(site.widget_key)
    await socket.comm.send_to(bytes_data=b"\x00\x01")
    assert (await socket.recv())["code"] == "invalid_frame"
    await socket.close()


async def test_require_email_asks_for_identify_first(make_site):
    site = await sync_to_async(make_site)(settings={"require_email": True})
    socket, _ = await connected_visitor(site.widget_key)
    error = await send_message(socket)
    assert error["code"] == "email_required" and error["client_id"] == "c1"
    await socket.send({"type": "identify", "name": "Vera", "email": "vera@example.org"})
    assert await socket.recv() == {"type": "identified"}
    assert (await send_message(socket))["type"] == "ack"
    visitor = await sync_to_async(Visitor.objects.get)()
    assert (visitor.name, visitor.email) == ("Vera", "vera@example.org")
    await socket.close()


async def test_identify_in_another_tab_counts(make_site):
    site = await sync_to_async(make_site)(settings={"require_email": True})
    tab1, session = await connected_visitor(site.widget_key)
    tab2, _ = await connected_visitor(site.widget_key, token=session["token"])
    await tab2.send({"type": "identify", "email": "vera@example.org"})
    await tab2.recv_type("identified")
    assert (await send_message(tab1))["type"] == "ack"
    await tab1.close()
    await tab2.close()


async def test_page_view_is_shown_as_the_visitors_page(site, site_owner):
    socket, _ = await connected_visitor(site.widget_key)
    await socket.send({"type": "page_view", "url": "https://shop.example.com/cart", "title": "Cart"})
    await send_message(socket)
    chat = await sync_to_async(lambda: Chat.objects.select_related("visitor_record").get())()
    assert chat.visitor_record.page_url == "https://shop.example.com/cart"
    await socket.close()


def _panel_location(owner, chat_id):
    from rest_framework.test import APIClient

    from analytics import services as analytics_services
    from conftest import bearer

    analytics_services.flush()
    client = APIClient()
    client.credentials(**bearer(owner))
    response = client.get(f"/api/v1/chats/{chat_id}/visitor")
    assert response.status_code == 200, response.content
    return response.json()["location"]


@pytest.mark.parametrize(
    "setting, sent, location",
    [
        ("CF-IPCountry", b"de", {"country": "DE", "city": None}),
        ("X-Country-Code", b" FR ", {"country": "FR", "city": None}),
        ("CF-IPCountry", b"XX", None),  # the proxy's "unknown"
        ("CF-IPCountry", b"DEU", None),
        ("CF-IPCountry", b"1A", None),
        ("CF-IPCountry", "d\xe9".encode("latin-1"), None),
        ("", b"DE", None),  # no header configured: a visitor's own header is ignored
    ],
)
async def test_the_proxys_country_header_is_the_visitors_location(
    site, site_owner, settings, setting, sent, location
):
    settings.CHATELLY_COUNTRY_HEADER = setting
    header = (setting or "CF-IPCountry").lower().encode()
    socket, _ = await connected_visitor(site.widget_key, headers=[(header, sent)])
    await socket.send({"type": "page_view", "url": "https://shop.example.com/", "title": "Home"})
    ack = await send_message(socket)
    assert ack["type"] == "ack", ack
    chat_id = await sync_to_async(lambda: Chat.objects.get().id)()
    assert await sync_to_async(_panel_location)(site_owner, chat_id) == location
    await socket.close()


async def test_resume_sends_what_came_after(site):
    socket, _ = await connected_visitor(site.widget_key)
    await socket.send({"type": "resume", "after_seq": 0})
    assert await socket.recv() == {"type": "history", "chat_id": None, "messages": []}
    for n in range(4):
        await send_message(socket, f"m{n}", f"c{n}")
    await socket.send({"type": "resume", "after_seq": 2})
    history = await socket.recv()
    assert [m["seq"] for m in history["messages"]] == [3, 4]
    await socket.send({"type": "resume", "after_seq": 4})
    assert (await socket.recv())["messages"] == []
    await socket.close()


async def test_other_tabs_see_the_message_but_the_sender_only_its_ack(site):
    tab1, session = await connected_visitor(site.widget_key)
    tab2, _ = await connected_visitor(site.widget_key, token=session["token"])
    ack = await send_message(tab1)
    assert await tab2.recv() == {"type": "message", "message": ack["message"]}
    assert await tab1.nothing()
    await tab1.close()
    await tab2.close()


async def test_end_closes_the_chat_and_the_next_message_starts_another(site, site_owner):
    agent, _ = await connected_agent(site_owner)
    socket, _ = await connected_visitor(site.widget_key)
    first = (await send_message(socket))["message"]
    await socket.send({"type": "end"})
    status = await socket.recv()
    assert status == {
        "type": "chat_status",
        "chat_id": first["chat_id"],
        "status": "closed",
        "assigned_to": None,
    }
    assert (await agent.recv_type("chat_status"))["status"] == "closed"
    second = (await send_message(socket, "again", "c2"))["message"]
    assert second["chat_id"] != first["chat_id"] and second["seq"] == 1
    assert await count_chats(status="active") == 1
    await socket.close()
    await agent.close()


async def test_typing_and_read_reach_the_agents(site, site_owner):
    agent, _ = await connected_agent(site_owner)
    socket, _ = await connected_visitor(site.widget_key)
    await socket.send({"type": "typing", "is_typing": True})  # no chat yet: ignored
    chat_id = (await send_message(socket))["message"]["chat_id"]
    await agent.recv_type("message")
    await socket.send({"type": "typing", "is_typing": True})
    assert await agent.recv() == {"type": "typing", "chat_id": chat_id, "from": "visitor", "is_typing": True}
    await socket.send({"type": "read", "seq": 1})
    assert await agent.recv() == {"type": "read", "chat_id": chat_id, "by": "visitor", "seq": 1}
    await socket.close()
    await agent.close()


async def test_ping_pong(site):
    socket, _ = await connected_visitor(site.widget_key)
    await socket.send({"type": "ping", "extra": "ignored"})
    assert await socket.recv() == {"type": "pong"}
    await socket.close()


async def test_floods_are_refused_then_closed(site, settings):
    settings.CHATELLY_WS_MSG_RATE = "3/10s"
    socket, _ = await connected_visitor(site.widget_key)
    for n in range(3):
        assert (await send_message(socket, f"m{n}", f"c{n}"))["type"] == "ack"
    for n in range(3, 9):
        error = await send_message(socket, f"m{n}", f"c{n}")
        assert error["code"] == "rate_limited" and error["client_id"] == f"c{n}"
    await socket.send({"type": "message", "content": "last", "client_id": "c9"})
    assert await socket.closed_with() == 4429
    assert await count_messages() == 3


async def test_max_users_counts_visitors_not_tabs(make_site):
    site = await sync_to_async(make_site)(max_users=1)
    tab1, session = await connected_visitor(site.widget_key)
    tab2, _ = await connected_visitor(site.widget_key, token=session["token"])
    stranger, connected, _ = await visitor_socket(site.widget_key)
    assert connected
    error = await stranger.recv()
    assert error["type"] == "error" and error["code"] == "rate_limited"
    assert await stranger.closed_with() == 4429
    assert await count_visitors() == 1
    await tab1.close()
    await tab2.close()
    # The place is free again once the visitor's last tab closed.
    newcomer, _ = await connected_visitor(site.widget_key)
    await newcomer.close()


async def test_connections_per_ip_are_limited(site, settings):
    settings.CHATELLY_WS_CONN_PER_IP = 2
    sockets = [(await connected_visitor(site.widget_key))[0] for _ in range(2)]
    third, _connected, _ = await visitor_socket(site.widget_key)
    assert (await third.recv())["code"] == "rate_limited"
    assert await third.closed_with() == 4429
    other_ip, _ = await connected_visitor(site.widget_key, client=("10.9.9.9", 1234))
    for socket in [*sockets, other_ip]:
        await socket.close()


async def test_a_spoofed_forwarded_for_does_not_escape_the_ip_limit(site, settings):
    settings.CHATELLY_WS_CONN_PER_IP = 1
    first, _ = await connected_visitor(site.widget_key)
    spoofed, _, _ = await visitor_socket(site.widget_key, headers=[(b"x-forwarded-for", b"1.2.3.4")])
    assert (await spoofed.recv())["code"] == "rate_limited"
    await first.close()
