"""A frame fuzzer against both sockets of a real uvicorn process: thousands of
random, malformed, deep, huge, wrong-typed, NUL and Unicode-digit frames.

Whatever comes, the server answers with documented error codes (never
`server_error`), never closes with 1011, holds no slot after the sockets are
gone, and goes on serving new visitors. Seeded, so a failure replays; bounded
in frames and time.
"""

import json
import random
import time

import pytest
from django.conf import settings
from websockets.exceptions import ConnectionClosed

from chat.models import Chat
from chat.tests.test_e2e import ORIGIN, agent_client, visitor_client
from testsupport.servers import ServerProcess, WsClient, server_env, ws_url
from websites import services as website_services

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.REDIS_URL, reason="server processes need Redis (set REDIS_URL)"),
]

SEED = 16
FRAMES_PER_SOCKET_KIND = 1500
DEADLINE_SECONDS = 150

DOCUMENTED = {
    "invalid_frame",
    "unknown_type",
    "validation_error",
    "too_long",
    "email_required",
    "rate_limited",
    "chat_closed",
    "not_found",
    "unavailable",
}
ALLOWED_CLOSES = {1000, 4429, 1009}  # 1009: a frame over uvicorn's --ws-max-size

VISITOR_TYPES = ["message", "resume", "typing", "read", "identify", "page_view", "end", "ping"]
AGENT_TYPES = ["message", "sync", "typing", "read", "close_chat", "ping"]
FIELDS = [
    "content", "client_id", "attachment_id", "after_seq", "is_typing", "seq", "name",
    "email", "url", "title", "chat_id", "chats",
]  # fmt: skip
TEXTS = [
    "", " ", "hello", "a\x00b", "\x00", "x" * 5000, "²", "\u0661\u0662\u0663", "\U0001d7d9\U0001d7da", "\u202eevil", "😀" * 50,
    "<script>alert(1)</script>", "ada@example.com", "https://shop.example.com/p?q=1", "\ufeff",
]  # fmt: skip
NUMBERS = [0, 1, -1, 7, 2**31, 2**53, 2**53 + 1, 2**63, -(2**63) - 1, 10**30, 1.5, 1e308, -0.0]


def random_value(rng: random.Random, chat_ids: list[int], depth: int = 0):
    roll = rng.random()
    if roll < 0.25:
        return rng.choice(TEXTS)
    if roll < 0.45:
        return rng.choice(NUMBERS + chat_ids)
    if roll < 0.55:
        return rng.choice([True, False, None])
    if roll < 0.7 and depth < 12:
        return [random_value(rng, chat_ids, depth + 1) for _ in range(rng.randint(0, 4))]
    if depth < 12:
        keys = [rng.choice(TEXTS + [str(c) for c in chat_ids] + FIELDS) for _ in range(rng.randint(0, 4))]
        return {key: random_value(rng, chat_ids, depth + 1) for key in keys}
    return "deep"


def random_frame(rng: random.Random, types: list[str], chat_ids: list[int]) -> str | bytes:
    """One frame's text (or bytes): mostly plausible frames with wrong values,
    some raw junk."""
    roll = rng.random()
    if roll < 0.09:
        return _junk(rng, roll)
    return _garbled(rng, json.dumps(_plausible_frame(rng, types, chat_ids)))


def _junk(rng: random.Random, roll: float) -> str | bytes:
    """Raw junk: nesting past the parser, over the size limit, not a frame, binary."""
    if roll < 0.04:
        depth = rng.choice([50, 1000, 3000, 20_000])
        return '{"type": "ping", "x": ' + "[" * depth + "]" * depth + "}"
    if roll < 0.06:
        return "x" * rng.choice([33_000, 100_000])  # over the app's limit, under uvicorn's
    if roll < 0.08:
        return rng.choice(["", "{", "null", "[]", '"ping"', "{}", '{"type": 5}', "1e999", "9" * 5000])
    return bytes(rng.randrange(256) for _ in range(16))


def _plausible_frame(rng: random.Random, types: list[str], chat_ids: list[int]) -> dict:
    """A frame of a known (or near) type with random fields, sometimes a whole message."""
    frame = {"type": rng.choice([*types, "bogus", "\x00", "MESSAGE", "²"])}
    for field in rng.sample(FIELDS, rng.randint(0, 4)):
        frame[field] = random_value(rng, chat_ids)
    if frame["type"] == "sync" and rng.random() < 0.5:
        frame["chats"] = {
            rng.choice(["²", "\u0661", "\U0001d7d9", "-1", "1.5", "00"] + [str(c) for c in chat_ids]): 0
        }
    if rng.random() < 0.3 and frame["type"] == "message":
        frame.setdefault("client_id", f"c{rng.randrange(10**6)}")
        frame.setdefault("content", rng.choice(TEXTS))
        if chat_ids:
            frame.setdefault("chat_id", rng.choice(chat_ids))
    return frame


def _garbled(rng: random.Random, text: str) -> str:
    """The frame's text, sometimes cut short or with a lone surrogate."""
    if rng.random() < 0.03:
        text = text[: rng.randrange(len(text))]  # cut short
    if rng.random() < 0.05:
        text = text.replace('"hello"', '"\\ud800"')  # a lone surrogate, escaped
    return text


class Fuzzed:
    """Answers and closes seen, across reconnects."""

    def __init__(self):
        self.codes: dict[str, int] = {}
        self.closes: dict[int, int] = {}

    def take(self, frames: list[dict]) -> None:
        for frame in frames:
            if frame.get("type") == "error":
                self.codes[frame["code"]] = self.codes.get(frame["code"], 0) + 1


def fuzz(connect, types, chat_ids, rng, seen: Fuzzed, deadline: float) -> None:
    client = connect()
    sent = 0
    while sent < FRAMES_PER_SOCKET_KIND and time.monotonic() < deadline:
        try:
            for _ in range(25):
                frame = random_frame(rng, types, chat_ids)
                client.conn.send(frame)
                sent += 1
            seen.take(client.frames_until_quiet(0.2))
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd else None
            seen.closes[code] = seen.closes.get(code, 0) + 1
            client = connect()
    client.close()


def test_both_sockets_survive_thousands_of_hostile_frames(site_owner):
    shop = website_services.website_create(
        owner=site_owner, name="Shop", domain="shop.example.com", max_users=3
    )
    budgets = ",".join(f"{t}=100000/10s" for t in {*VISITOR_TYPES, *AGENT_TYPES, "invalid"})
    env = server_env(
        CHATELLY_WS_MSG_RATE="100000/10s",
        CHATELLY_WS_FRAME_RATES=budgets,  # the handlers, not the budgets, are under test
        CHATELLY_WS_CONNECT_RATE="0/s",
        CHATELLY_WS_IP_SHARE="1",
        CHATELLY_MAX_MESSAGE_CHARS="4000",
    )
    server = ServerProcess(env=env, kind="uvicorn").start()
    rng = random.Random(SEED)
    deadline = time.monotonic() + DEADLINE_SECONDS
    try:
        first, session = visitor_client(server, shop.widget_key)
        first.send({"type": "message", "content": "hi", "client_id": "seed"})
        first.recv_type("ack")
        chat_ids = list(Chat.objects.values_list("id", flat=True))

        def visitor():
            return visitor_client(server, shop.widget_key, token=session["token"])[0]

        seen = Fuzzed()
        fuzz(visitor, VISITOR_TYPES, chat_ids, rng, seen, deadline)
        fuzz(lambda: agent_client(server, site_owner), AGENT_TYPES, chat_ids, rng, seen, deadline)
        first.close()

        print("fuzz answers:", seen.codes, "closes:", seen.closes)
        assert "server_error" not in seen.codes, seen.codes
        assert set(seen.codes) <= DOCUMENTED, seen.codes
        assert set(seen.closes) <= ALLOWED_CLOSES, seen.closes
        assert seen.codes.get("validation_error", 0) > 100 and seen.codes.get("invalid_frame", 0) > 20

        # No slot is stuck: the site's three places take three new visitors.
        time.sleep(0.5)
        newcomers = [visitor_client(server, shop.widget_key)[0] for _ in range(3)]
        extra = WsClient(ws_url(server, f"/widget/ws/{shop.widget_key}"), origin=ORIGIN)
        assert extra.recv()["code"] == "rate_limited"  # ... and a fourth is one too many
        for client in [*newcomers, extra]:
            client.close()
        assert "Traceback" not in server.log(), server.log()[-3000:]
    finally:
        server.stop()
