"""The agent socket in-process: tickets, origins, every frame, access changes."""

import pytest
from asgiref.sync import sync_to_async

from accounts import services as account_services
from accounts.tokens import issue_token_pair
from chat.models import Message
from chat.sockets.tickets import ticket_issue
from conftest import PASSWORD
from testsupport.communicator import agent_socket, connected_agent, connected_visitor
from websites import services as website_services
from websites.models import Membership

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def visitor_with_chat(site, content="Hi", client_id="v1"):
    socket, session = await connected_visitor(site.widget_key)
    await socket.send({"type": "message", "content": content, "client_id": client_id})
    ack = await socket.recv_type("ack")
    return socket, ack["message"]["chat_id"], session


async def test_ready_lists_the_users_websites(site, make_site, site_owner, make_user):
    other = await sync_to_async(make_site)(name="Second")
    foreign = await sync_to_async(make_site)(owner=await sync_to_async(make_user)(), name="Foreign")
    socket, ready = await connected_agent(site_owner)
    assert ready == {
        "type": "ready",
        "user": {"id": site_owner.id, "name": "Olga"},
        "websites": sorted([site.id, other.id]),
    }
    assert foreign.id not in ready["websites"]
    await socket.close()


@pytest.mark.parametrize("ticket", ["", "nope", "x" * 43, None])
async def test_a_bad_ticket_is_accepted_then_closed_4401(site, ticket):
    socket, connected, _ = await agent_socket(ticket=ticket if ticket is not None else "")
    assert connected
    assert await socket.closed_with() == 4401


async def test_a_ticket_opens_one_socket_only(site_owner):
    ticket = await sync_to_async(ticket_issue)(user_id=site_owner.id)
    first, _, _ = await agent_socket(ticket=ticket)
    assert (await first.recv())["type"] == "ready"
    second, _, _ = await agent_socket(ticket=ticket)
    assert await second.closed_with() == 4401
    await first.close()


async def test_an_expired_ticket_is_refused(site_owner):
    from django.core.cache import cache

    ticket = await sync_to_async(ticket_issue)(user_id=site_owner.id)
    await sync_to_async(cache.delete)(f"ticket:{ticket}")  # what expiry does after 30 s
    socket, _, _ = await agent_socket(ticket=ticket)
    assert await socket.closed_with() == 4401


async def test_a_jwt_is_never_accepted_in_the_url(site_owner):
    access = await sync_to_async(lambda: issue_token_pair(site_owner)["access"])()
    socket, _, _ = await agent_socket(ticket=access)
    assert await socket.closed_with() == 4401


@pytest.mark.parametrize(
    "origin, allowed",
    [
        (None, True),
        ("http://testserver", True),
        ("https://dashboard.example.com", True),
        ("https://evil.example.net", False),
        ("null", False),
    ],
)
async def test_browser_origins_are_checked(site_owner, settings, origin, allowed):
    settings.CORS_ALLOWED_ORIGINS = ["https://dashboard.example.com"]
    socket, connected, _ = await agent_socket(site_owner, origin=origin)
    assert connected is allowed
    if connected:
        await socket.close()


async def test_agent_and_visitor_talk(site, site_owner):
    agent, _ = await connected_agent(site_owner)
    visitor, chat_id, _ = await visitor_with_chat(site)
    await agent.recv_type("message")
    await agent.send({"type": "message", "chat_id": chat_id, "content": "How can I help?", "client_id": "a1"})
    ack = await agent.recv()
    assert ack["type"] == "ack" and ack["client_id"] == "a1"
    assert ack["message"]["sender_type"] == "agent" and ack["message"]["sender_id"] == str(site_owner.id)
    assert ack["message"]["seq"] == 2
    assert await visitor.recv() == {"type": "message", "message": ack["message"]}
    assert await agent.nothing()  # not echoed to its sender
    again = await agent.send(
        {"type": "message", "chat_id": chat_id, "content": "How can I help?", "client_id": "a1"}
    )
    assert (await agent.recv())["message"]["id"] == ack["message"]["id"]
    assert again is None
    assert await sync_to_async(Message.objects.filter(sender_type="agent").count)() == 1
    await visitor.close()
    await agent.close()


async def test_other_agents_see_a_reply(site, site_owner, make_user):
    colleague = await sync_to_async(make_user)(email="colleague@shop.example.com")
    await sync_to_async(Membership.objects.create)(website=site, user=colleague, role="agent")
    agent, _ = await connected_agent(site_owner)
    other, _ = await connected_agent(colleague)
    visitor, chat_id, _ = await visitor_with_chat(site)
    await agent.recv_type("message")
    await other.recv_type("message")
    await agent.send({"type": "message", "chat_id": chat_id, "content": "Mine", "client_id": "a1"})
    await agent.recv_type("ack")
    assert (await other.recv_type("message"))["message"]["content"] == "Mine"
    for socket in (agent, other, visitor):
        await socket.close()


@pytest.mark.parametrize(
    "frame, code",
    [
        ({"type": "message", "chat_id": 999999, "content": "x", "client_id": "a"}, "not_found"),
        ({"type": "message", "chat_id": "1", "content": "x", "client_id": "a"}, "validation_error"),
        ({"type": "message", "content": "x", "client_id": "a"}, "validation_error"),
        ({"type": "message", "chat_id": "CHAT", "content": "x"}, "validation_error"),
        ({"type": "message", "chat_id": "CHAT", "content": "", "client_id": "a"}, "validation_error"),
        ({"type": "message", "chat_id": "CHAT", "content": "x" * 4001, "client_id": "a"}, "too_long"),
        ({"type": "typing", "chat_id": 999999, "is_typing": True}, "not_found"),
        ({"type": "typing", "chat_id": "CHAT", "is_typing": 1}, "validation_error"),
        ({"type": "read", "chat_id": "CHAT", "seq": -1}, "validation_error"),
        ({"type": "read", "chat_id": 999999, "seq": 1}, "not_found"),
        ({"type": "close_chat", "chat_id": 999999}, "not_found"),
        ({"type": "close_chat"}, "validation_error"),
        ({"type": "sync", "chats": []}, "validation_error"),
        ({"type": "sync", "chats": {"abc": 1}}, "validation_error"),
        ({"type": "sync", "chats": {"1": "x"}}, "validation_error"),
        ({"type": "resume", "after_seq": 0}, "unknown_type"),
        ({"type": "identify", "email": "a@b.co"}, "unknown_type"),
        ({"type": "end"}, "unknown_type"),
    ],
)
async def test_bad_agent_frames(site, site_owner, frame, code):
    visitor, chat_id, _ = await visitor_with_chat(site)
    frame = {k: (chat_id if v == "CHAT" else v) for k, v in frame.items()}
    agent, _ = await connected_agent(site_owner)
    await agent.send(frame)
    error = await agent.recv()
    assert error["type"] == "error" and error["code"] == code, error
    assert await sync_to_async(Message.objects.count)() == 1
    await agent.send({"type": "ping"})
    assert await agent.recv() == {"type": "pong"}
    await agent.close()
    await visitor.close()


async def test_a_chat_of_another_website_is_not_found(site, make_site, make_user):
    stranger = await sync_to_async(make_user)(email="stranger@else.example.com")
    await sync_to_async(make_site)(owner=stranger, name="Theirs")
    visitor, chat_id, _ = await visitor_with_chat(site)
    agent, _ = await connected_agent(stranger)
    for frame in (
        {"type": "message", "chat_id": chat_id, "content": "sneaky", "client_id": "s"},
        {"type": "typing", "chat_id": chat_id, "is_typing": True},
        {"type": "read", "chat_id": chat_id, "seq": 1},
        {"type": "close_chat", "chat_id": chat_id},
    ):
        await agent.send(frame)
        assert (await agent.recv())["code"] == "not_found"
    await agent.send({"type": "sync", "chats": {str(chat_id): 0}})
    assert await agent.recv() == {"type": "synced"}
    assert await visitor.nothing()
    await agent.close()
    await visitor.close()


async def test_posting_to_a_closed_chat_is_refused(site, site_owner):
    visitor, chat_id, _ = await visitor_with_chat(site)
    agent, _ = await connected_agent(site_owner)
    await agent.send({"type": "close_chat", "chat_id": chat_id})
    assert (await agent.recv())["type"] == "chat_status"
    assert (await visitor.recv_type("chat_status"))["status"] == "closed"
    await agent.send({"type": "message", "chat_id": chat_id, "content": "late", "client_id": "a"})
    error = await agent.recv()
    assert error["code"] == "chat_closed" and error["client_id"] == "a"
    await agent.close()
    await visitor.close()


async def test_sync_sends_what_each_chat_missed(site, site_owner):
    visitor_a, chat_a, _ = await visitor_with_chat(site, "a1", "a1")
    for n in range(2, 5):
        await visitor_a.send({"type": "message", "content": f"a{n}", "client_id": f"a{n}"})
        await visitor_a.recv_type("ack")
    visitor_b, chat_b, _ = await visitor_with_chat(site, "b1", "b1")
    agent, _ = await connected_agent(site_owner)
    await agent.send({"type": "sync", "chats": {str(chat_a): 2, str(chat_b): 1, "999999": 0}})
    history = await agent.recv()
    assert history["type"] == "history" and history["chat_id"] == chat_a
    assert [m["content"] for m in history["messages"]] == ["a3", "a4"]
    assert await agent.recv() == {"type": "synced"}
    for socket in (agent, visitor_a, visitor_b):
        await socket.close()


async def test_typing_read_and_close_reach_the_visitor(site, site_owner):
    visitor, chat_id, _ = await visitor_with_chat(site)
    agent, _ = await connected_agent(site_owner)
    assert await visitor.recv() == {"type": "agents_online", "online": True}
    await agent.send({"type": "typing", "chat_id": chat_id, "is_typing": True})
    assert await visitor.recv() == {"type": "typing", "chat_id": chat_id, "from": "agent", "is_typing": True}
    await agent.send({"type": "read", "chat_id": chat_id, "seq": 1})
    assert await visitor.recv() == {"type": "read", "chat_id": chat_id, "by": "agent", "seq": 1}
    read_at = await sync_to_async(lambda: Message.objects.get(seq=1).read_at)()
    assert read_at is not None
    await agent.send({"type": "close_chat", "chat_id": chat_id})
    assert await visitor.recv() == {
        "type": "chat_status",
        "chat_id": chat_id,
        "status": "closed",
        "assigned_to": None,
    }
    await agent.close()
    await visitor.close()


async def test_agents_online_and_visitor_presence(site, site_owner):
    visitor, chat_id, session = await visitor_with_chat(site)
    agent, _ = await connected_agent(site_owner)
    assert await visitor.recv() == {"type": "agents_online", "online": True}
    tab2, _ = await connected_visitor(site.widget_key, token=session["token"])
    assert await agent.nothing()  # a second tab is not news
    await tab2.close()
    await visitor.close()
    assert await agent.recv() == {
        "type": "visitor_presence",
        "chat_id": chat_id,
        "visitor_id": session["visitor_id"],
        "online": False,
    }
    back, _ = await connected_visitor(site.widget_key, token=session["token"])
    assert (await agent.recv())["online"] is True
    await agent.close()
    assert await back.recv_type("agents_online") == {"type": "agents_online", "online": False}
    await back.close()


async def test_removing_a_member_closes_their_socket_4403(site, site_owner, make_user):
    colleague = await sync_to_async(make_user)(email="colleague@shop.example.com")
    membership = await sync_to_async(Membership.objects.create)(website=site, user=colleague, role="agent")
    socket, _ = await connected_agent(colleague)
    await sync_to_async(website_services.member_remove)(membership=membership)
    assert await socket.closed_with() == 4403


async def test_deactivation_closes_4403_and_password_change_4401(site, site_owner, make_user):
    first = await sync_to_async(make_user)(email="first@shop.example.com")
    socket, _ = await connected_agent(first)
    await sync_to_async(account_services.user_deactivate)(user=first)
    assert await socket.closed_with() == 4403
    socket, _ = await connected_agent(site_owner)
    await sync_to_async(account_services.user_change_password)(
        user=site_owner, current_password=PASSWORD, new_password="a-Brand-new-secret-42"
    )
    assert await socket.closed_with() == 4401


async def test_a_deactivated_users_ticket_is_refused(site_owner):
    ticket = await sync_to_async(ticket_issue)(user_id=site_owner.id)
    await sync_to_async(account_services.user_deactivate)(user=site_owner)
    socket, _, _ = await agent_socket(ticket=ticket)
    assert await socket.closed_with() == 4403


async def test_agent_floods_are_refused(site, site_owner, settings):
    settings.CHATELLY_WS_MSG_RATE = "2/10s"
    visitor, chat_id, _ = await visitor_with_chat(site)
    agent, _ = await connected_agent(site_owner)
    codes = []
    for n in range(7):
        await agent.send({"type": "message", "chat_id": chat_id, "content": "x", "client_id": f"a{n}"})
        if n < 6:
            frame = await agent.recv()
            codes.append(frame.get("code", frame["type"]))
    assert codes == ["ack", "ack", "rate_limited", "rate_limited", "rate_limited", "rate_limited"]
    assert await agent.closed_with() == 4429
    await visitor.close()


async def test_a_website_joined_while_connected_is_live_at_once(site_owner, make_user):
    """Creating a website, or being added to one, needs no reconnect: the open
    socket is told `website_added` and gets that website's chats from then on."""
    agent, ready = await connected_agent(site_owner)
    assert ready["websites"] == []
    shop = await sync_to_async(website_services.website_create)(
        owner=site_owner, name="Shop", domain="shop.example.com"
    )
    assert await agent.recv() == {"type": "website_added", "website_id": shop.id}
    visitor, _ = await connected_visitor(shop.widget_key)
    await visitor.send({"type": "message", "content": "Hello", "client_id": "c1"})
    assert (await agent.recv_type("chat_started"))["chat"]["website_id"] == shop.id

    ada = await sync_to_async(make_user)(email="ada@example.com")
    other, ready = await connected_agent(ada)
    assert ready["websites"] == []
    await sync_to_async(website_services.member_add)(website=shop, email=ada.email, role="agent")
    assert await other.recv() == {"type": "website_added", "website_id": shop.id}
    await visitor.send({"type": "message", "content": "Anyone?", "client_id": "c2"})
    assert (await other.recv_type("message"))["message"]["content"] == "Anyone?"
    for socket in (agent, other, visitor):
        await socket.close()
