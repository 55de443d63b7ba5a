"""REST writes reach the sockets live."""

import pytest
from asgiref.sync import sync_to_async
from rest_framework.test import APIClient

from conftest import bearer
from testsupport.communicator import connected_agent, connected_visitor

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_an_agent_reply_and_a_close_over_rest_reach_the_visitor_live(site, site_owner):
    visitor, _ = await connected_visitor(site.widget_key)
    agent, _ = await connected_agent(site_owner)
    await visitor.recv_type("agents_online")
    await visitor.send({"type": "message", "content": "Hello?", "client_id": "v1"})
    chat_id = (await visitor.recv_type("ack"))["message"]["chat_id"]
    await agent.recv_type("message")

    client = APIClient()
    client.credentials(**await sync_to_async(bearer)(site_owner))
    post = sync_to_async(lambda path, body=None: client.post(path, body, format="json"))
    reply = await post(f"/api/v1/chats/{chat_id}/messages", {"content": "Over REST", "client_id": "r1"})
    assert reply.status_code == 201
    assert await visitor.recv() == {"type": "message", "message": reply.json()}
    assert (await agent.recv_type("message"))["message"]["id"] == reply.json()["id"]

    assigned = await post(f"/api/v1/chats/{chat_id}/assign", {"user_id": site_owner.id})
    assert assigned.status_code == 200
    status = {"type": "chat_status", "chat_id": chat_id, "status": "active", "assigned_to": site_owner.id}
    assert await visitor.recv() == status
    assert await agent.recv_type("chat_status") == status

    closed = await post(f"/api/v1/chats/{chat_id}/close")
    assert closed.status_code == 200
    status = {**status, "status": "closed"}
    assert await visitor.recv() == status
    assert await agent.recv_type("chat_status") == status
    await visitor.close()
    await agent.close()
