"""GET /chats/:id/messages on the event loop (chat/message_page.py): the same bytes
as the DRF view for the plain case, and the DRF view's own answer for every other.

The async client's requests are ASGI requests (the fast path); APIClient's go
straight to the DRF view, so each case compares the two on the same data.
"""

import datetime

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import User
from chat import services
from chat.models import Message
from chat.views import ChatMessagesView
from chatelly import async_db
from conftest import bearer
from websites.models import Membership

pytestmark = [
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="the event-loop read is PostgreSQL's (CI sets DATABASE_URL); SQLite always takes DRF",
    ),
    pytest.mark.django_db(transaction=True),
]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _close_loop_connections():
    yield
    async_db.close_all()


@pytest.fixture
def drf_calls(monkeypatch):
    """How many requests reached the DRF view's get()."""
    calls = []
    original = ChatMessagesView.get

    def counted(self, request, chat_id):
        calls.append(chat_id)
        return original(self, request, chat_id)

    monkeypatch.setattr(ChatMessagesView, "get", counted)
    return calls


@pytest.fixture
def chat(site, site_owner, local_media):
    visitor = services.visitor_connect(website_id=site.id, visitor_id=None, user_agent="UA/1")
    snapshot = {"id": site.id, "settings": site.settings}
    first = services.visitor_message_post(
        site=snapshot, visitor=visitor, content="Hi\u2028there 👋", client_id="c1"
    )
    chat_id = first.message.chat_id
    upload = services.attachment_create(
        website_id=site.id,
        uploader_type="agent",
        uploader_id=str(site_owner.id),
        upload=SimpleUploadedFile("photo.png", PNG),
    )
    services.agent_message_post(user=site_owner, chat_id=chat_id, content="", attachment_id=upload.id)
    for n in range(3, 8):
        services.agent_message_post(user=site_owner, chat_id=chat_id, content=f'm{n} "quoted" \\ </script>')
    # Microseconds that round up, to check the millisecond is truncated as iso() does.
    Message.objects.filter(chat_id=chat_id, seq=3).update(
        created_at=datetime.datetime(2026, 1, 2, 3, 4, 5, 999_999, tzinfo=datetime.UTC)
    )
    return chat_id


def _as_headers(meta: dict) -> dict:
    """META-style HTTP_* keys (APIClient's) as header names (AsyncClient's)."""
    return {key.removeprefix("HTTP_").replace("_", "-").title(): value for key, value in meta.items()}


async def _fast(async_client, path: str, headers: dict):
    return await async_client.get(path, headers=_as_headers(headers))


async def _via_drf(path: str, headers: dict):
    return await sync_to_async(APIClient().get)(path, **headers)


@pytest.mark.parametrize(
    "query", ["", "?limit=3", "?after=3&limit=3", "?after=6&limit=3", "?after=99", "?limit=0", "?limit=5000"]
)
async def test_the_page_is_the_drf_views_byte_for_byte(async_client, chat, site_owner, drf_calls, query):
    headers = await sync_to_async(bearer)(site_owner)
    path = f"/api/v1/chats/{chat}/messages{query}"
    fast = await _fast(async_client, path, headers)
    assert drf_calls == []  # answered on the event loop
    slow = await _via_drf(path, headers)
    assert drf_calls == [chat]
    assert fast.status_code == slow.status_code == 200
    assert fast.content == slow.content
    for header in ("Content-Type", "Allow", "X-Frame-Options", "X-Content-Type-Options"):
        assert fast[header] == slow[header]
    assert len(fast["X-Request-ID"]) == 32


async def test_the_page_carries_attachments_and_exact_timestamps(async_client, chat, site_owner):
    headers = await sync_to_async(bearer)(site_owner)
    results = (await _fast(async_client, f"/api/v1/chats/{chat}/messages", headers)).json()["results"]
    assert [m["seq"] for m in results] == list(range(1, 8))
    assert results[0]["content"] == "Hi\u2028there 👋"
    assert results[1]["attachment"]["name"] == "photo.png" and results[1]["attachment"]["url"]
    assert results[2]["created_at"] == "2026-01-02T03:04:05.999Z"


async def _revoke(user):
    await sync_to_async(User.objects.filter(id=user.id).update)(token_version=user.token_version + 1)


async def _deactivate(user):
    await sync_to_async(User.objects.filter(id=user.id).update)(is_active=False)


async def _leave(user):
    await sync_to_async(Membership.objects.filter(user=user).delete)()


@pytest.mark.parametrize(
    "case, status",
    [
        ("no token", 401),
        ("garbage token", 401),
        ("other scheme", 401),
        ("revoked token", 401),
        ("inactive user", 401),
        ("not a member", 404),
        ("unknown chat", 404),
        ("bad after", 400),
        ("negative after", 400),
        ("bad limit", 400),
        ("limit far below", 400),
    ],
)
async def test_every_other_case_is_the_drf_views_answer(
    async_client, chat, site_owner, drf_calls, case, status
):
    headers = await sync_to_async(bearer)(site_owner)
    path = f"/api/v1/chats/{chat}/messages"
    if case == "no token":
        headers = {}
    elif case == "garbage token":
        headers = {"HTTP_AUTHORIZATION": "Bearer abc.def.ghi"}
    elif case == "other scheme":
        headers = {"HTTP_AUTHORIZATION": headers["HTTP_AUTHORIZATION"].replace("Bearer", "Token")}
    elif case == "revoked token":
        await _revoke(site_owner)
    elif case == "inactive user":
        await _deactivate(site_owner)
    elif case == "not a member":
        await _leave(site_owner)
    elif case == "unknown chat":
        path = f"/api/v1/chats/{chat + 1000}/messages"
    else:
        path += {
            "bad after": "?after=x",
            "negative after": "?after=-1",
            "bad limit": "?limit=ten",
            "limit far below": "?limit=-10000000000",
        }[case]
    fast = await _fast(async_client, path, headers)
    assert len(drf_calls) == (
        0 if case in ("no token", "garbage token", "other scheme", "revoked token", "inactive user") else 1
    )
    slow = await _via_drf(path, headers)
    assert fast.status_code == slow.status_code == status
    assert fast.json() == slow.json() and set(fast.json()) >= {"error", "message", "code"}


@pytest.mark.skipif(not settings.REDIS_URL, reason="the event loop counts calls in Redis (CI sets REDIS_URL)")
async def test_both_paths_count_in_one_rate_limit(async_client, chat, site_owner, drf_calls, settings):
    settings.CHATELLY_RATE_API = "3/m"
    headers = await sync_to_async(bearer)(site_owner)
    path = f"/api/v1/chats/{chat}/messages"
    assert (await _via_drf(path, headers)).status_code == 200  # DRF counts 1
    assert (await _fast(async_client, path, headers)).status_code == 200  # the loop counts 2
    assert (await _fast(async_client, path, headers)).status_code == 200  # 3
    assert len(drf_calls) == 1
    over = await _fast(async_client, path, headers)
    assert over.status_code == 429 and over.json()["error"] == "rate_limited"
    assert (await _via_drf(path, headers)).status_code == 429


async def test_a_lost_database_connection_is_dropped_and_the_drf_view_answers(
    async_client, chat, site_owner, drf_calls
):
    headers = await sync_to_async(bearer)(site_owner)
    path = f"/api/v1/chats/{chat}/messages"
    assert (await _fast(async_client, path, headers)).status_code == 200
    backend_pids = [row[0] for row in await async_db.fetch("SELECT pg_backend_pid()", [])]

    def terminate():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", backend_pids)

    await sync_to_async(terminate)()
    assert drf_calls == []
    answered = await _fast(async_client, path, headers)
    assert answered.status_code == 200 and len(answered.json()["results"]) == 7
    assert len(drf_calls) == 1  # the broken connection's request went to DRF
    assert (await _fast(async_client, path, headers)).status_code == 200
    assert len(drf_calls) == 1  # a new connection serves the next one


async def test_when_the_loop_cannot_reach_postgresql_the_drf_view_answers(
    async_client, chat, site_owner, drf_calls, monkeypatch
):
    params = async_db._params()
    assert params["connect_timeout"] == async_db.CONNECT_TIMEOUT_SECONDS  # never the TCP timeout
    assert "synchronous_commit=off" in params["options"]
    monkeypatch.setattr(async_db, "_params", lambda: {**params, "port": 1})  # nothing listens there
    headers = await sync_to_async(bearer)(site_owner)
    answered = await _fast(async_client, f"/api/v1/chats/{chat}/messages", headers)
    assert answered.status_code == 200 and len(answered.json()["results"]) == 7
    assert drf_calls == [chat]
