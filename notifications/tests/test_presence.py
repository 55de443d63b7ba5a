"""Per-user agent presence (chat.presence's agent_user sets), which the sweep's
"members online" reads, against the configured store (Redis with REDIS_URL)."""

import pytest
from asgiref.sync import sync_to_async

from chat import presence
from testsupport.communicator import connected_agent


@pytest.fixture
def clock(monkeypatch):
    now = [presence.time.time()]
    monkeypatch.setattr(presence.time, "time", lambda: now[0])
    return now


def test_a_user_is_online_while_any_of_their_agent_sockets_is(clock):
    presence.agent_connected(website_ids=[1], connection_id="tab-1", user_id=7)
    presence.agent_connected(website_ids=[1], connection_id="tab-2", user_id=7)
    presence.agent_connected(website_ids=[2], connection_id="tab-3", user_id=8)
    assert presence.agent_users_online([7, 8, 9]) == {7, 8}
    presence.agent_disconnected(website_ids=[1], connection_id="tab-1", user_id=7)
    assert presence.agent_users_online([7, 8]) == {7, 8}
    presence.agent_disconnected(website_ids=[1], connection_id="tab-2", user_id=7)
    assert presence.agent_users_online([7, 8]) == {8}
    assert presence.agents_online(1) is False and presence.agents_online(2) is True
    assert presence.agent_users_online([]) == set()


def test_a_dead_sockets_user_drops_out_unless_renewed(clock):
    presence.agent_connected(website_ids=[1], connection_id="a", user_id=7)
    presence.agent_connected(website_ids=[1], connection_id="b", user_id=8)
    clock[0] += presence.TTL_SECONDS / 2
    presence.agent_renew(website_ids=[1], connection_id="a", user_id=7)
    clock[0] += presence.TTL_SECONDS / 2 + 1
    assert presence.agent_users_online([7, 8]) == {7}


def test_without_a_user_id_nothing_changes_for_the_website_sets(clock):
    assert presence.agent_connected(website_ids=[5], connection_id="x") == [5]
    assert presence.agent_entries(website_ids=[5], connection_id="x") == [(presence._key("agents", 5), "x")]
    assert presence.agent_disconnected(website_ids=[5], connection_id="x") == [5]


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_agent_socket_records_its_user(site, site_owner):
    socket, _ = await connected_agent(site_owner)
    assert await sync_to_async(presence.agent_users_online)([site_owner.id]) == {site_owner.id}
    await socket.close()
    assert await sync_to_async(presence.agent_users_online)([site_owner.id]) == set()
