"""A visitor's connect answered on the event loop (services.visitor_session_on_loop):
the same visitor and visit as the database thread's path, which still answers
every other case."""

import asyncio
import contextvars
import datetime

import pytest
from asgiref.sync import sync_to_async
from django.core.cache import caches
from django.db import connection, connections
from django.utils import timezone

from analytics import services as analytics_services
from chat import services
from chat.models import Visitor
from chatelly import async_db
from testsupport.communicator import connected_visitor
from websites.widget_cache import cached_site

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only (CI sets DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),  # the loop's own connection sees committed rows only
]


@pytest.fixture(autouse=True)
def _close_loop_connections():
    yield
    async_db.close_all()


def _post(site, visitor, content="Hi"):
    snapshot = {"id": site.id, "settings": site.settings}
    services.visitor_message_post(site=snapshot, visitor=visitor, content=content, client_id="c1")


async def test_a_new_visitor_is_made_and_its_visit_counted(site):
    analytics_services.discard_pending()
    session = await services.visitor_session_on_loop(
        website_id=site.id, visitor_id="v_new-on-loop", known=False, user_agent="UA/1"
    )
    assert session.chat is None and session.history == []
    stored = await sync_to_async(Visitor.objects.get)(pk=session.visitor.pk)
    assert (stored.visitor_id, stored.user_agent, stored.session_id) == (
        "v_new-on-loop",
        "UA/1",
        session.visitor.session_id,
    )
    assert analytics_services.pending() == 1  # widget_loaded, once


async def test_a_returning_visitor_without_a_chat_is_renewed(site):
    made = await sync_to_async(services.visitor_connect)(website_id=site.id, visitor_id="v_back", known=False)
    long_ago = timezone.now() - datetime.timedelta(hours=2)
    await sync_to_async(Visitor.objects.filter(pk=made.pk).update)(last_seen=long_ago)
    session = await services.visitor_session_on_loop(
        website_id=site.id, visitor_id="v_back", known=True, user_agent="UA/2"
    )
    assert session.visitor.pk == made.pk and session.chat is None
    stored = await sync_to_async(Visitor.objects.get)(pk=made.pk)
    assert stored.last_seen > long_ago and stored.user_agent == "UA/2"
    assert stored.session_id != made.session_id  # the gap began a new visit


async def test_a_chat_is_read_in_the_database_thread_and_a_missing_row_made_there(site):
    visitor = await sync_to_async(services.visitor_connect)(
        website_id=site.id, visitor_id="v_chat", known=False
    )
    await sync_to_async(_post)(site, visitor)
    renewed = await services.visitor_session_on_loop(website_id=site.id, visitor_id="v_chat", known=True)
    assert renewed.chat_to_load and renewed.chat is None and renewed.visitor.pk == visitor.pk
    loaded = await sync_to_async(services.visitor_chat_session)(visitor=renewed.visitor)
    assert loaded.chat is not None and [m.content for m in loaded.history] == ["Hi"]
    full = await sync_to_async(services.visitor_session)(website_id=site.id, visitor_id="v_chat", known=True)
    assert full.chat == loaded.chat and [m.content for m in full.history] == ["Hi"]
    assert await services.visitor_session_on_loop(website_id=site.id, visitor_id="v_gone", known=True) is None


async def test_a_database_error_goes_to_the_database_thread(site):
    # A visitor id longer than the column: PostgreSQL refuses the INSERT.
    refused = await services.visitor_session_on_loop(website_id=site.id, visitor_id="v" * 100, known=False)
    assert refused is None


async def test_a_socket_connects_without_the_database_thread(site, monkeypatch):
    calls = []
    original = services.visitor_session
    monkeypatch.setattr(services, "visitor_session", lambda **kw: calls.append(kw) or original(**kw))
    socket, session = await connected_visitor(site.widget_key)
    assert session["chat"] is None and calls == []
    await socket.close()
    again, back = await connected_visitor(site.widget_key, token=session["token"])
    assert back["visitor_id"] == session["visitor_id"] and calls == []
    await again.send({"type": "message", "content": "Hi", "client_id": "c1"})
    await again.recv_type("ack")
    await again.close()
    # With a chat: the visit is renewed on the loop, only the chat read in the thread.
    chatting, resumed = await connected_visitor(site.widget_key, token=session["token"])
    assert resumed["chat"] is not None and calls == []
    history = await chatting.recv_type("history")
    assert [m["content"] for m in history["messages"]] == ["Hi"]
    await chatting.close()


async def test_a_connect_on_the_loop_builds_no_database_or_cache_object_of_its_own(site):
    """Under ASGI each socket runs in a context of its own, where Django's
    `connections` and `caches` would build a DatabaseWrapper and a cache backend."""

    async def connect_twice():
        await cached_site(site.widget_key)
        await services.visitor_session_on_loop(website_id=site.id, visitor_id="v_ctx", known=False)
        await services.visitor_session_on_loop(website_id=site.id, visitor_id="v_ctx", known=True)
        return connections.all(initialized_only=True), caches.all(initialized_only=True)

    task = asyncio.get_running_loop().create_task(connect_twice(), context=contextvars.Context())
    assert await task == ([], [])
    assert await sync_to_async(Visitor.objects.filter(visitor_id="v_ctx").exists)()
