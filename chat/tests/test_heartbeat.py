"""The process's one presence heartbeat, against the configured store (Redis in CI)."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from chat import presence
from chat.sockets.heartbeat import heartbeat
from testsupport.communicator import connected_agent, connected_visitor

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture
def clock(monkeypatch):
    now = [presence.time.time()]
    monkeypatch.setattr(presence.time, "time", lambda: now[0])
    return now


async def test_one_beat_keeps_every_socket_of_the_process_present(site, site_owner, clock):
    visitors = [(await connected_visitor(site.widget_key))[0] for _ in range(3)]
    agent, _ = await connected_agent(site_owner)
    for socket in visitors:
        await socket.recv_type("agents_online")
    clock[0] += presence.TTL_SECONDS * 0.75
    await heartbeat().beat()
    clock[0] += presence.TTL_SECONDS * 0.75  # past the first expiry: only the beat kept them
    assert await sync_to_async(presence.visitors_connected)(site.id) == 3
    assert await sync_to_async(presence.agents_online)(site.id) is True
    for socket in visitors:
        assert await socket.nothing()  # nothing changed: no frame
    for socket in [*visitors, agent]:
        await socket.close()
    assert await sync_to_async(presence.visitors_connected)(site.id) == 0


async def test_a_beat_tells_visitors_when_the_agents_process_died(site, site_owner, clock):
    visitor, session = await connected_visitor(site.widget_key)
    assert session["agents_online"] is False
    # An agent of another process, which then dies without saying goodbye.
    await sync_to_async(presence.agent_connected)(website_ids=[site.id], connection_id="elsewhere")
    clock[0] += presence.TTL_SECONDS / 2
    await heartbeat().beat()
    assert await visitor.recv() == {"type": "agents_online", "online": True}
    clock[0] += presence.TTL_SECONDS
    await heartbeat().beat()
    assert await visitor.recv() == {"type": "agents_online", "online": False}
    await visitor.close()


async def test_a_burst_of_questions_reads_redis_once(site, monkeypatch):
    reads = []
    real = presence.agents_online

    def counted(website_id):
        reads.append(website_id)
        return real(website_id)

    monkeypatch.setattr(presence, "agents_online", counted)
    beat = heartbeat()
    answers = await asyncio.gather(*(beat.agents_online(site.id) for _ in range(50)))
    assert answers == [False] * 50 and reads == [site.id]
    await sync_to_async(presence.agent_connected)(website_ids=[site.id], connection_id="a1")
    # An event about a change made after the cached read forces a new read.
    assert await beat.agents_online(site.id, not_before=presence.time.time()) is True
    assert reads == [site.id, site.id]


async def test_closed_sockets_leave_the_heartbeat(site):
    sockets = [(await connected_visitor(site.widget_key))[0] for _ in range(2)]
    beat = heartbeat()
    assert len(beat.sockets) == 2
    for socket in sockets:
        await socket.close()
    assert beat.sockets == {}


async def test_last_seen_is_stored_in_one_batch_after_the_last_tab_closes(site, monkeypatch):
    from chat.models import Visitor
    from chat.sockets import heartbeat as heartbeat_module

    monkeypatch.setattr(heartbeat_module, "SEEN_SECONDS", 0.05)
    sockets = [await connected_visitor(site.widget_key) for _ in range(3)]
    before = {v.pk: v.last_seen for v in await sync_to_async(list)(Visitor.objects.all())}
    await asyncio.sleep(0.01)
    for socket, _ in sockets:
        await socket.close()
    await asyncio.sleep(0.3)
    after = {v.pk: v.last_seen for v in await sync_to_async(list)(Visitor.objects.all())}
    assert len(after) == 3 and all(after[pk] > before[pk] for pk in before)


async def test_a_returning_visitor_keeps_its_session_within_the_gap_and_gets_a_new_one_after(site):
    from datetime import timedelta

    from chat import services
    from chat.models import Visitor

    first, session = await connected_visitor(site.widget_key)
    await first.close()
    visitor = await sync_to_async(Visitor.objects.get)(visitor_id=session["visitor_id"])
    again, _ = await connected_visitor(site.widget_key, token=session["token"])
    await again.close()
    same = await sync_to_async(Visitor.objects.get)(pk=visitor.pk)
    assert same.session_id == visitor.session_id and same.last_seen >= visitor.last_seen
    old = same.last_seen - services.VISIT_GAP - timedelta(minutes=1)
    await sync_to_async(Visitor.objects.filter(pk=visitor.pk).update)(last_seen=old)
    later, _ = await connected_visitor(site.widget_key, token=session["token"])
    renewed = await sync_to_async(Visitor.objects.get)(pk=visitor.pk)
    assert renewed.session_id != visitor.session_id and renewed.last_seen > old
    await later.close()
