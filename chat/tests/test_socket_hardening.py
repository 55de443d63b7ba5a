"""Both sockets against hostile frames: a frame never ends a socket or holds a
slot, every frame type has a budget, floods and closes keep their acks."""

import json

import pytest
from asgiref.sync import sync_to_async

from accounts.models import User
from chat import services
from chat.models import Message, Visitor
from chat.sockets.heartbeat import heartbeat
from chat.sockets.tickets import ticket_issue
from testsupport.communicator import agent_socket, connected_agent, connected_visitor, visitor_socket
from websites.models import Membership

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

count_messages = sync_to_async(lambda **f: Message.objects.filter(**f).count())
count_visitors = sync_to_async(lambda: Visitor.objects.count())


def nested(depth: int) -> str:
    return '{"type": "ping", "x": ' + "[" * depth + "]" * depth + "}"


async def assert_alive(socket) -> None:
    await socket.send({"type": "ping"})
    assert await socket.recv() == {"type": "pong"}


async def error_of(socket, frame) -> dict:
    await socket.send(frame)
    answer = await socket.recv()
    assert answer["type"] == "error", answer
    return answer


# --- a socket survives any frame ---------------------------------------------------


@pytest.mark.parametrize("depth", [9, 900, 3000, 100_000])
async def test_deep_nesting_is_refused_and_the_socket_lives(make_site, settings, depth):
    settings.CHATELLY_MAX_MESSAGE_CHARS = 100_000  # so that depth, not size, is what is refused
    site = await sync_to_async(make_site)(max_users=1)
    socket, _ = await connected_visitor(site.widget_key)
    answer = await error_of(socket, nested(depth))
    assert answer["code"] in {"invalid_frame", "validation_error"}
    await assert_alive(socket)
    await socket.close()
    # Its place among max_users is free again.
    newcomer, _ = await connected_visitor(site.widget_key)
    await newcomer.close()


@pytest.mark.parametrize(
    "frame, field",
    [
        ({"type": "message", "content": "a\x00b", "client_id": "c1"}, "content"),
        ({"type": "message", "content": "ok", "client_id": "c\x00"}, "client_id"),
        ({"type": "identify", "name": "Ada\x00"}, "name"),
        ({"type": "identify", "email": "a\x00@example.com"}, "email"),
        ({"type": "page_view", "url": "https://shop.example.com/\x00"}, "url"),
        ({"type": "page_view", "url": "https://shop.example.com/", "title": "\x00"}, "title"),
    ],
)
async def test_text_with_nul_is_a_validation_error(site, frame, field):
    socket, _ = await connected_visitor(site.widget_key)
    answer = await error_of(socket, frame)
    assert answer["code"] == "validation_error" and field in answer["message"]
    await assert_alive(socket)
    await socket.close()
    assert await count_messages() == 0
    assert not await sync_to_async(Visitor.objects.filter(name__contains="Ada").exists)()


async def test_a_lone_surrogate_is_a_validation_error(site):
    socket, _ = await connected_visitor(site.widget_key)
    await socket.send('{"type": "message", "content": "x\\ud800y", "client_id": "c1"}')
    answer = await socket.recv()
    assert answer["code"] == "validation_error" and answer["client_id"] == "c1"
    await socket.close()
    assert await count_messages() == 0


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "resume"},
        {"type": "resume", "after_seq": "3"},
        {"type": "resume", "after_seq": 10**30},
        {"type": "read", "seq": 10**30},
        {"type": "read", "seq": 1e400},
        {"type": "read"},
        {"type": "typing"},
        {"type": "message", "content": "hi"},
        {"type": "message", "content": "hi", "client_id": "c1", "attachment_id": 10**20},
    ],
)
async def test_missing_or_absurd_fields_are_validation_errors(site, frame):
    socket, _ = await connected_visitor(site.widget_key)
    text = json.dumps(frame).replace("Infinity", "1e400")
    assert (await error_of(socket, text))["code"] == "validation_error"
    await assert_alive(socket)
    await socket.close()


async def test_an_unexpected_error_in_a_handler_is_answered_and_releases_nothing(make_site, monkeypatch):
    site = await sync_to_async(make_site)(max_users=1)

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(services, "visitor_identify", broken)
    socket, _ = await connected_visitor(site.widget_key)
    answer = await error_of(socket, {"type": "identify", "name": "Ada"})
    assert answer["code"] == "server_error" and "bug" not in answer["message"]
    await assert_alive(socket)
    stranger, _, _ = await visitor_socket(site.widget_key, client=("10.1.1.1", 1))
    assert (await stranger.recv())["code"] == "rate_limited"  # the first still holds its place
    await socket.close()


async def test_a_crash_while_connecting_releases_the_place(make_site, monkeypatch):
    """Whatever ends a consumer releases its presence: a crash after the
    max_users slot was taken used to keep it (renewed) for good."""
    site = await sync_to_async(make_site)(max_users=1)
    real = services.visitor_session_on_loop

    async def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(services, "visitor_session_on_loop", broken)
    socket, connected, _ = await visitor_socket(site.widget_key)
    assert connected
    with pytest.raises(RuntimeError):
        await socket.comm.wait(timeout=3)
    monkeypatch.setattr(services, "visitor_session_on_loop", real)
    newcomer, _ = await connected_visitor(site.widget_key)
    await newcomer.close()


# --- budgets ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "identify", "name": "Ada"},
        {"type": "typing", "is_typing": True},
        {"type": "read", "seq": 0},
        {"type": "page_view", "url": "https://shop.example.com/a"},
        {"type": "resume", "after_seq": 0},
        {"type": "ping"},
        {"type": "no-such-type"},
        "not json",
    ],
)
async def test_every_frame_type_has_a_budget(site, settings, frame):
    name = frame["type"] if isinstance(frame, dict) and frame["type"] != "no-such-type" else "invalid"
    settings.CHATELLY_WS_FRAME_RATES = f"{name}=3/10s,invalid=3/10s"
    socket, _ = await connected_visitor(site.widget_key)
    codes = []
    for _ in range(9):
        await socket.send(frame)
        while True:  # identify and ping answer; typing, read and page_view do not
            out = await socket.comm.receive_nothing(timeout=0.05)
            if out:
                break
            answer = await socket.recv()
            codes.append(answer.get("code", answer["type"]))
    assert codes.count("rate_limited") == 6
    await socket.send(frame)
    assert await socket.closed_with() == 4429


async def test_a_flood_close_sends_the_acks_of_what_was_accepted(site, settings):
    settings.CHATELLY_WS_MSG_RATE = "20/10s"
    socket, _ = await connected_visitor(site.widget_key)
    for n in range(61):  # the 61st is over three times the rate: the socket closes
        await socket.send({"type": "message", "content": f"m{n}", "client_id": f"c{n}"})
    acked, refused = set(), 0
    while True:
        output = await socket.comm.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            assert output["code"] == 4429
            break
        frame = json.loads(output["text"])
        if frame["type"] == "ack":
            acked.add(frame["client_id"])
        else:
            refused += frame["code"] == "rate_limited"
    assert len(acked) == await count_messages() == 20
    assert refused == 41


async def test_connects_per_address_are_limited_before_accept(site, settings):
    settings.CHATELLY_WS_CONNECT_RATE = "3/m"
    for _ in range(3):
        socket, _ = await connected_visitor(site.widget_key, client=("2001:db8::1", 1))
        await socket.close()
    _, connected, _ = await visitor_socket(site.widget_key, client=("2001:db8::2", 1))
    assert not connected  # the same /64
    socket, _ = await connected_visitor(site.widget_key, client=("2001:db8:0:1::1", 1))
    await socket.close()
    assert await count_visitors() == 4


# --- the agent socket --------------------------------------------------------------


@pytest.mark.parametrize(
    "chats", [{"²": 0}, {"1": 10**30}, {"99999999999999999999": 0}, {"1": -1}, {"\uff11": 0}]
)
async def test_sync_keys_and_seqs_are_checked(site_owner, chats):
    agent, _ = await connected_agent(site_owner)
    answer = await error_of(agent, {"type": "sync", "chats": chats})
    assert answer["code"] == "validation_error"
    await assert_alive(agent)
    await agent.close()


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "typing", "chat_id": 10**30, "is_typing": True},
        {"type": "read", "chat_id": 1, "seq": 2**63},
        {"type": "close_chat", "chat_id": "1"},
        {"type": "message", "chat_id": 1, "content": "a\x00", "client_id": "c1"},
    ],
)
async def test_agent_frames_with_absurd_values_are_validation_errors(site_owner, frame):
    agent, _ = await connected_agent(site_owner)
    assert (await error_of(agent, frame))["code"] == "validation_error"
    await assert_alive(agent)
    await agent.close()


async def test_a_ticket_minted_before_a_password_change_is_refused(site_owner):
    ticket = await sync_to_async(ticket_issue)(user_id=site_owner.id)
    await sync_to_async(User.objects.filter(id=site_owner.id).update)(token_version=5)
    socket, connected, _ = await agent_socket(ticket=ticket)
    assert connected
    assert await socket.closed_with() == 4401


async def test_the_heartbeat_closes_an_agent_whose_membership_went(site, make_user):
    agent_user = await sync_to_async(make_user)(email="agent@example.com")
    await sync_to_async(Membership.objects.create)(website=site, user=agent_user, role="agent")
    agent, ready = await connected_agent(agent_user)
    assert ready["websites"] == [site.id]
    # Removed without the close event (a lost channel-layer message): the beat finds it.
    await sync_to_async(Membership.objects.filter(user=agent_user).delete)()
    await heartbeat().recheck_agents(list(heartbeat().sockets.values()))
    assert await agent.closed_with() == 4403


async def test_the_heartbeat_closes_an_agent_whose_tokens_were_revoked(site, site_owner):
    agent, _ = await connected_agent(site_owner)
    visitor, _ = await connected_visitor(site.widget_key)
    await sync_to_async(User.objects.filter(id=site_owner.id).update)(token_version=7)
    await heartbeat().recheck_agents(list(heartbeat().sockets.values()))
    assert await agent.closed_with() == 4401
    await assert_alive(visitor)  # visitors are not re-checked
    await visitor.close()


@pytest.mark.parametrize(
    "name, value",
    [
        ("CHATELLY_WS_FRAME_RATES", "typing=fast"),
        ("CHATELLY_WS_FRAME_RATES", "typing"),
        ("CHATELLY_WS_CONNECT_RATE", "60 a minute"),
        ("CHATELLY_WS_MSG_RATE", ""),
        ("CHATELLY_WS_IP_SHARE", 0),
    ],
)
async def test_a_bad_budget_setting_fails_the_start_up_checks(settings, name, value):
    from django.core import checks

    settings.__setattr__(name, value)
    errors = [e for e in checks.run_checks(tags=["chatelly"]) if e.id.startswith("chatelly.E10")]
    assert len(errors) == 1 and name in errors[0].msg
