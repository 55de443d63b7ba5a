"""The batched writer: many visitors' messages in one transaction, each with the
result it would have had alone; a gap-free seq; refusal, never loss, when behind."""

import asyncio
import contextlib
import threading

import pytest
from asgiref.sync import sync_to_async
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from chat import services
from chat.models import Attachment, Chat, ChatStatus, Message
from chat.writer import queue
from chatelly.errors import AppError
from testsupport.communicator import connected_visitor


def _snapshot(site) -> dict:
    return {"id": site.id, "settings": site.settings}


def _visitors(site, count):
    return [services.visitor_connect(website_id=site.id, visitor_id=None) for _ in range(count)]


def _jobs(site, visitors, prefix="m"):
    return [
        services.message_job(
            site=_snapshot(site), visitor=v, content=f"{prefix} {i}", client_id=f"{prefix}{i}"
        )
        for i, v in enumerate(visitors)
    ]


@pytest.mark.django_db
def test_a_batch_stores_every_job_in_its_own_chat_with_gap_free_seq(site):
    visitors = _visitors(site, 5)
    jobs = _jobs(site, visitors) + _jobs(site, visitors, prefix="n")
    services.visitor_messages_post(jobs=jobs)
    assert all(job.result.created for job in jobs)
    for visitor in visitors:
        chat = Chat.objects.get(visitor_record=visitor)
        seqs = list(chat.messages.order_by("seq").values_list("seq", "content"))
        assert [s for s, _ in seqs] == [1, 2]  # in the order the jobs came
        assert seqs[0][1].startswith("m ") and seqs[1][1].startswith("n ")
        assert chat.last_seq == 2 and chat.message_count == 2
        assert chat.last_message.content.startswith("n ")
        assert chat.first_visitor_message_at is not None


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_batch(site):
    def queries_for(count: int) -> int:
        visitors = _visitors(site, count)
        services.visitor_messages_post(jobs=_jobs(site, visitors, prefix="a"))  # chats exist now
        jobs = _jobs(site, visitors, prefix="b")
        with CaptureQueriesContext(connection) as captured:
            services.visitor_messages_post(jobs=jobs)
        assert all(job.result.created for job in jobs)
        return len(captured)

    assert queries_for(3) == queries_for(40)


@pytest.mark.django_db
def test_repeated_client_ids_store_once_in_and_across_batches(site):
    (visitor,) = _visitors(site, 1)
    snapshot = _snapshot(site)
    same = [
        services.message_job(site=snapshot, visitor=visitor, content="hi", client_id="dup") for _ in range(3)
    ]
    services.visitor_messages_post(jobs=same)
    assert [job.result.created for job in same] == [True, False, False]
    assert len({job.result.message.id for job in same}) == 1
    again = services.message_job(site=snapshot, visitor=visitor, content="hi", client_id="dup")
    services.visitor_messages_post(jobs=[again])
    assert again.result.created is False and again.result.message.id == same[0].result.message.id
    assert Message.objects.filter(client_id="dup").count() == 1


@pytest.mark.django_db
def test_a_retry_after_the_chat_closed_opens_no_new_chat(site):
    (visitor,) = _visitors(site, 1)
    snapshot = _snapshot(site)
    first = services.visitor_message_post(site=snapshot, visitor=visitor, content="hi", client_id="c1")
    services.chat_close_by_visitor(website_id=site.id, visitor=visitor)
    retry = services.visitor_message_post(site=snapshot, visitor=visitor, content="hi", client_id="c1")
    assert retry.created is False and retry.message.id == first.message.id
    assert not Chat.objects.filter(visitor_record=visitor, status=ChatStatus.ACTIVE).exists()


@pytest.mark.django_db
def test_one_bad_job_fails_alone(site):
    visitors = _visitors(site, 3)
    foreign = Attachment.objects.create(
        website=site,
        uploader_type="visitor",
        uploader_id="v_someone_else",
        name="x.png",
        size=1,
        content_type="image/png",
        file="attachments/x.png",
    )
    jobs = _jobs(site, visitors)
    jobs[1] = services.message_job(
        site=_snapshot(site), visitor=visitors[1], content="", client_id="bad", attachment_id=foreign.id
    )
    services.visitor_messages_post(jobs=jobs)
    assert isinstance(jobs[1].result, AppError) and jobs[1].result.code == "not_found"
    assert jobs[0].result.created and jobs[2].result.created
    assert not Chat.objects.filter(visitor_record=visitors[1]).exists()


@pytest.mark.django_db
def test_require_email_refuses_only_the_visitors_without_one(make_site):
    site = make_site(settings={"require_email": True})
    with_email, without = _visitors(site, 2)
    services.visitor_identify(visitor=with_email, email="a@example.org")
    jobs = _jobs(site, [with_email, without])
    services.visitor_messages_post(jobs=jobs)
    assert jobs[0].result.created
    assert isinstance(jobs[1].result, AppError) and jobs[1].result.code == "email_required"


@pytest.mark.django_db(transaction=True)
def test_two_writers_opening_the_same_chat_at_once_share_it(site):
    """Two processes' batches race to open one visitor's chat: the loser retries."""
    (visitor,) = _visitors(site, 1)
    snapshot = _snapshot(site)
    barrier = threading.Barrier(4)  # four writers start together
    results = {}

    def writer(name):
        try:
            barrier.wait(timeout=10)
            for n in range(5):
                job = services.message_job(
                    site=snapshot, visitor=visitor, content=f"{name} {n}", client_id=f"{name}{n}"
                )
                services.visitor_messages_post(jobs=[job])
                results[job.client_id] = job.result
        finally:
            close_old_connections()

    threads = [threading.Thread(target=writer, args=(name,)) for name in "abcd"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == 20 and all(r.created for r in results.values())
    chat = Chat.objects.get(visitor_record=visitor)
    assert list(chat.messages.order_by("seq").values_list("seq", flat=True)) == list(range(1, 21))


@pytest.mark.asyncio
async def test_the_writer_refuses_when_its_oldest_job_waited_too_long():
    writer = queue.MessageBatcher(max_wait=-1.0)  # any queued job is "too old"
    writer._writer = asyncio.ensure_future(asyncio.sleep(3600))  # hold the writer back
    try:
        first = writer.submit(object())
        with pytest.raises(queue.Busy):
            writer.submit(object())
        assert not first.done()
    finally:
        writer._writer.cancel()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_busy_writer_answers_unavailable_and_stores_nothing(site, settings):
    socket, _ = await connected_visitor(site.widget_key)
    writer = queue.batcher()
    writer._writer = asyncio.ensure_future(asyncio.sleep(3600))  # the writer is stuck
    writer.max_wait = -1.0
    await socket.send({"type": "message", "content": "one", "client_id": "q1"})  # queued
    await socket.send({"type": "message", "content": "two", "client_id": "q2"})  # refused
    assert await socket.nothing()  # answers keep the frames' order: q1's comes first
    writer._writer.cancel()
    writer.max_wait = settings.CHATELLY_WRITE_MAX_WAIT
    writer._writer = asyncio.ensure_future(writer._write_forever())
    writer._wakeup.set()
    ack = await socket.recv_type("ack")
    error = await socket.recv_type("error")
    assert ack["client_id"] == "q1"
    assert error["code"] == "unavailable" and error["client_id"] == "q2"
    contents = await sync_to_async(lambda: list(Message.objects.values_list("content", flat=True)))()
    assert contents == ["one"]
    await socket.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_end_right_after_message_closes_the_chat_with_the_message_in_it(site):
    socket, _ = await connected_visitor(site.widget_key)
    await socket.send({"type": "message", "content": "bye", "client_id": "e1"})
    await socket.send({"type": "end"})
    ack = await socket.recv_type("ack")
    status = await socket.recv_type("chat_status")
    assert status["status"] == "closed" and status["chat_id"] == ack["message"]["chat_id"]
    chats = await sync_to_async(lambda: list(Chat.objects.values_list("status", "message_count")))()
    assert chats == [("closed", 1)]
    await socket.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_lone_tab_gets_no_echo_of_its_own_message_but_other_tabs_do(site, site_owner):
    from channels.layers import get_channel_layer

    from chatelly import realtime

    layer = get_channel_layer()
    tab, session = await connected_visitor(site.widget_key)
    listener = await layer.new_channel()
    await layer.group_add(realtime.visitor_group(site.id, session["visitor_id"]), listener)
    await layer.group_add(realtime.agents_group(site.id), listener)
    await tab.send({"type": "message", "content": "alone", "client_id": "a1"})
    ack = await tab.recv_type("ack")
    # Only the agents' copy is published: the visitor's group has no one else to tell.
    frames = []
    with contextlib.suppress(asyncio.TimeoutError):
        while True:
            event = await asyncio.wait_for(layer.receive(listener), 1)
            frames += [item[0] for item in event["items"]] if "items" in event else [event["frame"]]
    copies = [f for f in frames if f["type"] == "message" and f["message"]["id"] == ack["message"]["id"]]
    assert len(copies) == 1 and [f["type"] for f in frames] == ["chat_started", "message"]

    second, _ = await connected_visitor(site.widget_key, token=session["token"])
    history = await second.recv_type("history")
    assert [m["content"] for m in history["messages"]] == ["alone"]  # read after the commit
    await tab.send({"type": "message", "content": "two tabs", "client_id": "a2"})
    await tab.recv_type("ack")
    assert (await second.recv_type("message"))["message"]["content"] == "two tabs"
    for socket in (tab, second):
        await socket.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_job_the_database_refuses_fails_alone_and_the_rest_of_its_batch_is_stored(site, make_site):
    """Validation keeps such text out (chat.sockets.frames); should a job still reach the
    database with a value it refuses, the other jobs of its batch, other
    websites' included, are stored and acked."""
    other = await sync_to_async(make_site)(domain="other.example.com")
    visitors = await sync_to_async(_visitors)(site, 2) + await sync_to_async(_visitors)(other, 1)
    bad = "x\ud800y"  # a lone surrogate: UTF-8, so neither PostgreSQL nor SQLite, can take it
    if connection.vendor == "postgresql":
        bad = "x\x00y"  # PostgreSQL's own refusal (DataError)
    jobs = [
        services.MessageJob(_snapshot(s), v, content, f"c{i}")
        for i, (s, v, content) in enumerate(
            [(site, visitors[0], "good one"), (site, visitors[1], bad), (other, visitors[2], "good two")]
        )
    ]
    writer = queue.MessageBatcher(max_wait=5.0)
    futures = [writer.submit(job) for job in jobs]  # queued together: one batch
    results = await asyncio.gather(*futures, return_exceptions=True)
    assert [r.message.content for r in results if not isinstance(r, BaseException)] == [
        "good one",
        "good two",
    ]
    assert isinstance(results[1], Exception)
    stored = await sync_to_async(lambda: sorted(Message.objects.values_list("content", flat=True)))()
    assert stored == ["good one", "good two"]
