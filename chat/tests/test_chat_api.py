"""The chat endpoints (the OpenAPI schema's chats tag)."""

import pytest

from chat import services
from chat.models import Chat, Message
from conftest import bearer
from websites.models import Membership

pytestmark = pytest.mark.django_db


def test_list_shows_chats_latest_message_first(owner_api, site, start_chat):
    first = start_chat("first")
    second = start_chat("second")
    services.agent_message_post(user=site.user, chat_id=first.id, content="bump")
    body = owner_api.get(f"/api/v1/websites/{site.id}/chats").json()
    assert body["count"] == 2
    assert [c["id"] for c in body["results"]] == [first.id, second.id]
    chat = body["results"][0]
    assert set(chat) == {
        "id", "website_id", "session_id", "visitor_id", "status", "started_at", "ended_at", "visitor",
        "message_count", "last_message", "assigned_to", "first_response_at", "unread_count",
        "last_activity_at",
    }  # fmt: skip
    assert chat["last_message"]["content"] == "bump"
    assert chat["message_count"] == 2
    assert chat["visitor"] == {"name": "", "email": "", "page_url": "", "user_agent": "UA/1"}
    assert chat["first_response_at"] is not None
    assert chat["session_id"].startswith("s_")


def test_list_filters_by_status_visitor_and_search(owner_api, site, start_chat):
    alice = start_chat("I need a refund", name="Alice Smith", email="alice@example.org")
    bob = start_chat("Shipping question", name="Bob")
    services.chat_close_by_agent(user=site.user, chat_id=bob.id)
    url = f"/api/v1/websites/{site.id}/chats"

    def ids(**params):
        return [c["id"] for c in owner_api.get(url, params).json()["results"]]

    assert ids(status="active") == [alice.id]
    assert ids(status="closed") == [bob.id]
    assert ids(visitor_id=bob.visitor_id) == [bob.id]
    assert ids(search="REFUND") == [alice.id]
    assert ids(search="smith") == [alice.id]
    assert ids(search="alice@example") == [alice.id]
    assert ids(search="nothing like it") == []
    assert owner_api.get(url, {"status": "open"}).status_code == 400


def test_list_queries_are_bounded(owner_api, site, start_chat, django_assert_max_num_queries):
    for n in range(25):
        start_chat(f"m{n}")
    with django_assert_max_num_queries(6):
        body = owner_api.get(f"/api/v1/websites/{site.id}/chats", {"page_size": 100}).json()
    assert len(body["results"]) == 25


def test_chats_of_a_foreign_website_are_404(api, site, start_chat, make_user):
    chat = start_chat()
    stranger = make_user()
    api.credentials(**bearer(stranger))
    for path in (
        f"/api/v1/websites/{site.id}/chats",
        f"/api/v1/chats/{chat.id}",
        f"/api/v1/chats/{chat.id}/messages",
        "/api/v1/chats/999999",
    ):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"] == "not_found"
    for path, body in (
        (f"/api/v1/chats/{chat.id}/messages", {"content": "x"}),
        (f"/api/v1/chats/{chat.id}/close", None),
        (f"/api/v1/chats/{chat.id}/assign", {"user_id": stranger.id}),
    ):
        assert api.post(path, body, format="json").status_code == 404, path
    chat.refresh_from_db()
    assert chat.status == "active" and chat.message_count == 1 and chat.assigned_to is None


def test_detail(owner_api, start_chat):
    chat = start_chat()
    body = owner_api.get(f"/api/v1/chats/{chat.id}/").json()
    assert body["id"] == chat.id and body["status"] == "active"


def test_messages_page_after_and_limit(owner_api, site, start_chat):
    chat = start_chat("m1")
    for n in range(2, 8):
        services.agent_message_post(user=site.user, chat_id=chat.id, content=f"m{n}")
    url = f"/api/v1/chats/{chat.id}/messages"
    page = owner_api.get(url, {"limit": 3}).json()
    assert [m["seq"] for m in page["results"]] == [1, 2, 3] and page["next_after"] == 3
    page = owner_api.get(url, {"after": 3, "limit": 3}).json()
    assert [m["seq"] for m in page["results"]] == [4, 5, 6] and page["next_after"] == 6
    page = owner_api.get(url, {"after": 6, "limit": 3}).json()
    assert [m["seq"] for m in page["results"]] == [7] and page["next_after"] is None
    assert len(owner_api.get(url).json()["results"]) == 7
    assert len(owner_api.get(url, {"limit": 0}).json()["results"]) == 1
    assert len(owner_api.get(url, {"limit": 5000}).json()["results"]) == 7
    message = owner_api.get(url).json()["results"][0]
    assert set(message) == {
        "id", "chat_id", "seq", "content", "type", "sender_type", "sender_id", "is_from_bot", "client_id",
        "attachment", "created_at", "read_at",
    }  # fmt: skip
    assert message["created_at"].endswith("Z")
    assert message["read_at"] is None  # nobody read it yet


def test_messages_say_when_the_other_side_read_them(owner_api, site, site_owner, start_chat):
    """read_at, over the fast page path and the ORM one alike: the dashboard
    shows "Seen" on an agent's message after a reload."""
    chat = start_chat("Hello")
    answer = owner_api.post(
        f"/api/v1/chats/{chat.id}/messages", {"content": "Hi!", "client_id": "a1"}, format="json"
    )
    assert answer.status_code == 201 and answer.json()["read_at"] is None
    visitor = chat.visitor_record
    services.messages_read_by_visitor(website_id=site.id, visitor=visitor, seq=answer.json()["seq"])
    page = owner_api.get(f"/api/v1/chats/{chat.id}/messages").json()["results"]
    by_content = {m["content"]: m for m in page}
    assert by_content["Hi!"]["read_at"].endswith("Z")
    assert by_content["Hello"]["read_at"] is None  # the visitor's own: read by no agent yet
    services.messages_read_by_agent(user=site_owner, chat_id=chat.id, seq=1)
    page = owner_api.get(f"/api/v1/chats/{chat.id}/messages").json()["results"]
    assert {m["content"]: m["read_at"] is not None for m in page} == {"Hello": True, "Hi!": True}


@pytest.mark.parametrize(
    "params, field", [({"after": "x"}, "after"), ({"after": -1}, "after"), ({"limit": "ten"}, "limit")]
)
def test_messages_bad_parameters(owner_api, start_chat, params, field):
    chat = start_chat()
    response = owner_api.get(f"/api/v1/chats/{chat.id}/messages", params)
    assert response.status_code == 400
    assert field in response.json()["details"]


def test_agent_reply_is_created_once_per_client_id(owner_api, site_owner, start_chat):
    chat = start_chat()
    url = f"/api/v1/chats/{chat.id}/messages"
    first = owner_api.post(url, {"content": "Hi!", "client_id": "r1"}, format="json")
    assert first.status_code == 201
    body = first.json()
    assert body["sender_type"] == "agent" and body["sender_id"] == str(site_owner.id) and body["seq"] == 2
    again = owner_api.post(url, {"content": "Hi!", "client_id": "r1"}, format="json")
    assert again.status_code == 200 and again.json() == body
    assert owner_api.post(url, {"content": "no id"}, format="json").status_code == 201
    assert Message.objects.filter(chat=chat, sender_type="agent").count() == 2


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "content"),
        ({"content": ""}, "content"),
        ({"content": "   "}, "content"),
        ({"content": 5}, "content"),
        ({"content": "x" * 4001}, "content"),
        ({"content": "x", "client_id": ""}, "client_id"),
        ({"content": "x", "client_id": "x" * 65}, "client_id"),
        ({"content": "x", "attachment_id": "a"}, "attachment_id"),
        ({"content": "x", "attachment_id": 999}, "attachment_id"),
    ],
)
def test_agent_reply_validation(owner_api, start_chat, body, field):
    chat = start_chat()
    response = owner_api.post(f"/api/v1/chats/{chat.id}/messages", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["details"]
    assert Message.objects.count() == 1


def test_reply_to_a_closed_chat_is_409(owner_api, start_chat):
    chat = start_chat()
    assert owner_api.post(f"/api/v1/chats/{chat.id}/close").json()["status"] == "closed"
    response = owner_api.post(f"/api/v1/chats/{chat.id}/messages", {"content": "late"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"] == "chat_closed"


def test_close_is_idempotent(owner_api, start_chat):
    chat = start_chat()
    first = owner_api.post(f"/api/v1/chats/{chat.id}/close")
    assert first.status_code == 200 and first.json()["ended_at"]
    again = owner_api.post(f"/api/v1/chats/{chat.id}/close")
    assert again.status_code == 200 and again.json()["ended_at"] == first.json()["ended_at"]


def test_assign_to_a_member_and_back(owner_api, site, start_chat, make_user):
    chat = start_chat()
    agent = make_user()
    Membership.objects.create(website=site, user=agent, role="agent")
    url = f"/api/v1/chats/{chat.id}/assign"
    assert owner_api.post(url, {"user_id": agent.id}, format="json").json()["assigned_to"] == agent.id
    assert owner_api.post(url, {"user_id": None}, format="json").json()["assigned_to"] is None


@pytest.mark.parametrize("body", [{}, {"user_id": "3"}, {"user_id": 0}, {"user_id": "NONMEMBER"}])
def test_assign_validation(owner_api, start_chat, make_user, body):
    chat = start_chat()
    if body.get("user_id") == "NONMEMBER":
        body = {"user_id": make_user().id}
    response = owner_api.post(f"/api/v1/chats/{chat.id}/assign", body, format="json")
    assert response.status_code == 400
    assert "user_id" in response.json()["details"]


def test_ticket(owner_api, api):
    response = owner_api.post("/api/v1/realtime/ticket")
    assert response.status_code == 201
    assert set(response.json()) == {"ticket", "expires_in"} and response.json()["expires_in"] == 30
    assert len(response.json()["ticket"]) >= 32
    assert api.post("/api/v1/realtime/ticket").status_code == 401


def test_deleting_a_website_takes_its_chats_messages_and_visitors(owner_api, site, start_chat):
    from chat.models import Visitor

    start_chat()
    assert owner_api.delete(f"/api/v1/websites/{site.id}").status_code == 204
    assert not Chat.objects.exists() and not Message.objects.exists() and not Visitor.objects.exists()
