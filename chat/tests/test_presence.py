"""Presence against the configured store (Redis in CI): limits, tabs, and expiry of the dead."""

import pytest

from chat import presence


@pytest.fixture
def clock(monkeypatch):
    """Move presence's clock forward, as time passes for a process that died."""
    now = [presence.time.time()]
    monkeypatch.setattr(presence.time, "time", lambda: now[0])
    return now


@pytest.fixture(autouse=True)
def no_share_cap(settings):
    """One address may take all of a website here; the share has tests of its own."""
    settings.CHATELLY_WS_IP_SHARE = 1.0


def join(visitor, conn, ip="10.0.0.1", max_users=2):
    return presence.visitor_join(
        ip=ip, website_id=1, visitor_id=visitor, connection_id=conn, max_users=max_users
    )


def test_tabs_count_once_and_the_last_tab_frees_the_place(clock):
    assert join("v1", "c1") == 1
    assert join("v1", "c2") == 2
    assert join("v2", "c3") == 1
    assert join("v3", "c4") == presence.WEBSITE_FULL
    assert presence.visitors_connected(1) == 2
    assert presence.visitor_leave(ip="10.0.0.1", website_id=1, visitor_id="v1", connection_id="c1") == 1
    assert presence.visitor_online(website_id=1, visitor_id="v1")
    assert presence.visitor_leave(ip="10.0.0.1", website_id=1, visitor_id="v1", connection_id="c2") == 0
    assert not presence.visitor_online(website_id=1, visitor_id="v1")
    assert join("v3", "c4") == 1


def test_the_ip_limit(clock, settings):
    settings.CHATELLY_WS_CONN_PER_IP = 2
    assert join("v1", "c1", max_users=0) == 1
    assert join("v2", "c2", max_users=0) == 1
    assert join("v3", "c3", max_users=0) == presence.IP_LIMIT
    assert join("v3", "c3", ip="10.0.0.2", max_users=0) == 1


def test_a_dead_processes_sockets_expire_within_the_ttl(clock):
    assert join("v1", "c1", max_users=1) == 1
    assert presence.agent_connected(website_ids=[1, 2], connection_id="agent-1") == [1, 2]
    assert presence.agents_online(1)
    clock[0] += presence.TTL_SECONDS / 2
    presence.agent_renew(website_ids=[1], connection_id="agent-1")  # still alive on website 1's heartbeat
    clock[0] += presence.TTL_SECONDS / 2 + 1
    # Nobody said goodbye, yet the place is free and the agent is gone where not renewed.
    assert presence.visitors_connected(1) == 0
    assert join("v2", "c2", max_users=1) == 1
    assert presence.agents_online(1) is True
    assert presence.agents_online(2) is False
    clock[0] += presence.TTL_SECONDS
    assert presence.agents_online(1) is False


def test_agents_come_and_go(clock):
    assert presence.agent_connected(website_ids=[7], connection_id="a") == [7]
    assert presence.agent_connected(website_ids=[7], connection_id="b") == []
    assert presence.agent_disconnected(website_ids=[7], connection_id="a") == []
    assert presence.agent_disconnected(website_ids=[7], connection_id="b") == [7]
    assert not presence.agents_online(7)


async def test_the_event_loop_join_and_leave_share_the_sets_with_the_sync_ones(clock, settings):
    """visitor_join_async / visitor_leave_async (the connect path's) against the same store."""
    settings.CHATELLY_WS_CONN_PER_IP = 4

    async def join_async(visitor, conn, ip="10.0.0.1", max_users=2):
        return await presence.visitor_join_async(
            ip=ip, website_id=1, visitor_id=visitor, connection_id=conn, max_users=max_users
        )

    assert await join_async("v1", "c1") == 1
    assert join("v1", "c2") == 2  # the sync join sees the async one's tab
    assert await join_async("v2", "c3") == 1
    assert await join_async("v3", "c4") == presence.WEBSITE_FULL
    assert await join_async("v3", "c4", max_users=0) == 1
    assert await join_async("v4", "c5", max_users=0) == presence.IP_LIMIT
    left = await presence.visitor_leave_async(
        ip="10.0.0.1", website_id=1, visitor_id="v1", connection_id="c2"
    )
    assert left == 1
    assert presence.visitor_leave(ip="10.0.0.1", website_id=1, visitor_id="v1", connection_id="c1") == 0
    assert not presence.visitor_online(website_id=1, visitor_id="v1")


def test_one_address_takes_at_most_its_share_of_max_users(clock, settings):
    settings.CHATELLY_WS_IP_SHARE = 0.25
    assert presence.ip_share(8) == 2 and presence.ip_share(3) == 1 and presence.ip_share(0) == 0
    assert join("v1", "c1", max_users=8) == 1
    assert join("v1", "c2", max_users=8) == 2  # a visitor's second tab is not a second visitor
    assert join("v2", "c3", max_users=8) == 1
    assert join("v3", "c4", max_users=8) == presence.IP_SHARE
    assert join("v3", "c4", ip="10.0.0.2", max_users=8) == 1  # another address has its own share
    # The last tab of a visitor frees its place in the address's share.
    presence.visitor_leave(ip="10.0.0.1", website_id=1, visitor_id="v2", connection_id="c3")
    assert join("v4", "c5", max_users=8) == 1


def test_an_ipv6_client_counts_by_its_64(clock, settings):
    settings.CHATELLY_WS_CONN_PER_IP = 2
    assert join("v1", "c1", ip="2001:db8:1:2::1", max_users=0) == 1
    assert join("v2", "c2", ip="2001:db8:1:2:ffff::9", max_users=0) == 1
    assert join("v3", "c3", ip="2001:db8:1:2:abcd::7", max_users=0) == presence.IP_LIMIT
    assert join("v3", "c3", ip="2001:db8:1:3::1", max_users=0) == 1  # the next /64


def test_an_expired_share_entry_frees_the_place(clock, settings):
    """A process that died without leaving: its visitors drop out of the share too."""
    settings.CHATELLY_WS_IP_SHARE = 0.25
    assert join("v1", "c1", max_users=4) == 1
    assert join("v2", "c2", max_users=4) == presence.IP_SHARE
    clock[0] += presence.TTL_SECONDS + 1
    assert join("v2", "c2", max_users=4) == 1
