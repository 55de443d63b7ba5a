import pytest
from asgiref.sync import sync_to_async

from testsupport.communicator import connected_agent, connected_visitor

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

BOT_SETTINGS = {
    "greeting": "Welcome!",
    "away_message": "We are away; leave your email.",
    "auto_replies": [
        {"keywords": ["price", "cost"], "reply": "See our pricing page."},
        {"keywords": ["c++"], "reply": "We love C++."},
    ],
}


async def say(socket, content, client_id):
    await socket.send({"type": "message", "content": content, "client_id": client_id})
    ack = await socket.recv_type("ack")
    return ack["message"]


async def bot_messages(socket, count):
    frames = [await socket.recv_type("message") for _ in range(count)]
    assert await socket.nothing()
    return [f["message"] for f in frames]


async def test_greeting_then_away_then_auto_reply_on_the_first_message(make_site):
    site = await sync_to_async(make_site)(settings=BOT_SETTINGS)
    socket, _ = await connected_visitor(site.widget_key)
    first = await say(socket, "What does it COST?", "c1")
    assert first["seq"] == 1
    replies = await bot_messages(socket, 3)
    assert [(m["seq"], m["content"]) for m in replies] == [
        (2, "Welcome!"),
        (3, "We are away; leave your email."),
        (4, "See our pricing page."),
    ]
    for message in replies:
        assert (
            message["sender_type"] == "bot"
            and message["is_from_bot"] is True
            and message["sender_id"] == "bot"
        )
    await socket.close()


async def test_no_away_message_while_an_agent_is_online(make_site, site_owner):
    site = await sync_to_async(make_site)(settings=BOT_SETTINGS)
    agent, _ = await connected_agent(site_owner)
    socket, session = await connected_visitor(site.widget_key)
    assert session["agents_online"] is True
    await say(socket, "hello", "c1")
    assert [m["content"] for m in await bot_messages(socket, 1)] == ["Welcome!"]
    await socket.close()
    await agent.close()


async def test_keywords_match_whole_words_only_until_an_agent_replies(make_site, site_owner):
    site = await sync_to_async(make_site)(settings={"auto_replies": BOT_SETTINGS["auto_replies"]})
    socket, _ = await connected_visitor(site.widget_key)
    await say(socket, "priceless and costly", "c1")
    assert await socket.nothing()
    await say(socket, "I write c++ daily; price?", "c2")
    assert [m["content"] for m in await bot_messages(socket, 2)] == ["See our pricing page.", "We love C++."]
    agent, _ = await connected_agent(site_owner)
    chat_id = (await say(socket, "anyone?", "c3"))["chat_id"]
    await agent.send({"type": "message", "chat_id": chat_id, "content": "Hi, I am here", "client_id": "a1"})
    await agent.recv_type("ack")
    assert (await socket.recv_type("message"))["message"]["sender_type"] == "agent"
    await say(socket, "what is the price", "c4")
    assert await socket.nothing()
    await socket.close()
    await agent.close()


async def test_nothing_is_said_without_bot_settings(site):
    socket, _ = await connected_visitor(site.widget_key)
    await say(socket, "price?", "c1")
    assert await socket.nothing()
    await socket.close()
