"""Under ASGI the middleware stack runs in async mode: no thread hop before the view."""

import inspect

import pytest
from django.core.handlers.asgi import ASGIHandler

from chatelly.logs import RequestLogMiddleware


def test_the_asgi_stack_has_no_sync_only_middleware_before_the_view():
    chain = ASGIHandler()._middleware_chain
    # Were the outer middleware sync-only, Django would have wrapped it in sync_to_async.
    assert inspect.iscoroutinefunction(chain)
    assert isinstance(chain.__wrapped__, RequestLogMiddleware) and chain.__wrapped__.is_async
    inner = chain.__wrapped__.get_response  # the metrics middleware, then WhiteNoise
    assert inspect.iscoroutinefunction(inner) and inner.__wrapped__.is_async
    assert inspect.iscoroutinefunction(inner.__wrapped__.get_response.__wrapped__.get_response)


@pytest.mark.asyncio
@pytest.mark.django_db
async def test_static_files_and_views_answer_through_the_async_stack(async_client):
    static = await async_client.get("/static/admin/css/base.css")
    assert static.status_code == 200 and static["Content-Type"].startswith("text/css")
    assert len(static["X-Request-ID"]) == 32
    health = await async_client.get("/healthz", headers={"X-Request-ID": "a" * 32})
    assert health.status_code == 200 and health["X-Request-ID"] == "a" * 32
    missing = await async_client.get("/static/nope.css")
    assert missing.status_code == 404


@pytest.mark.django_db(transaction=True)
async def test_a_login_saves_its_session_through_the_async_stack(async_client):
    # Django's session middleware runs inline here, except when the session must
    # be saved: that is a database write, done in a thread.
    from asgiref.sync import sync_to_async

    from accounts.models import User
    from conftest import PASSWORD

    await sync_to_async(User.objects.create_superuser)("staff@example.com", PASSWORD, name="Staff")
    login = await async_client.post(
        "/admin/login/", {"username": "staff@example.com", "password": PASSWORD, "next": "/admin/"}
    )
    assert login.status_code == 302 and login["Location"] == "/admin/"
    assert "sessionid" in login.cookies
    index = await async_client.get("/admin/")
    assert index.status_code == 200 and b"Site administration" in index.content
    logout = await async_client.post("/admin/logout/")
    assert logout.status_code == 200
    assert (await async_client.get("/admin/")).status_code == 302
