"""The visitor sockets' batched message writer, one per event loop (process).

Sockets hand in checked jobs; one writer task stores whatever queued while the
previous batch was being written, in one transaction on the database thread
(`services.visitor_messages_post`), then answers every job and sends the
batch's events in one pipelined round trip. Nothing is answered before its
commit, so an ack still means "stored", and each chat's seq stays gap-free.

A batch the database refuses for a reason other than being down (one job's
value it cannot store) is written again job by job, so only that job fails.

With no load a batch is one message and waits for nothing. Under overload the
queue is bounded by the time its oldest job has waited: past
`CHATELLY_WRITE_MAX_WAIT` new jobs are refused at once (`unavailable`, nothing
stored, the widget retries with the same client_id), never dropped silently.
"""

import asyncio
import logging
import time
from typing import TypeAlias

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import InterfaceError, OperationalError

from chat import presence, services
from chatelly import metrics, realtime
from chatelly.events import GroupEvent
from chatelly.loops import for_this_loop

logger = logging.getLogger("chatelly.batching")

MAX_BATCH = 500

# (job, the future its socket awaits, when it was queued)
_Item: TypeAlias = tuple[services.MessageJob, asyncio.Future, float]


class Busy(Exception):
    """The writer is too far behind: the job was refused, nothing stored."""


class StorageDown(Exception):
    """The database did not answer: nothing of the batch was stored."""


class MessageBatcher:
    def __init__(self, max_wait: float):
        self.max_wait = max_wait
        self._queue: list[_Item] = []
        self._wakeup = asyncio.Event()
        self._writer: asyncio.Task | None = None
        self._sending: asyncio.Task | None = None

    def submit(self, job: services.MessageJob) -> asyncio.Future:
        """A future of the job's result (Posted or AppError); raises Busy when overloaded."""
        now = time.monotonic()
        if self._queue and now - self._queue[0][2] > self.max_wait:
            metrics.RATE_LIMITED.labels(scope="write_queue").inc()
            raise Busy()
        future = asyncio.get_running_loop().create_future()
        self._queue.append((job, future, now))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self._write_forever())
        self._wakeup.set()
        return future

    async def _write_forever(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                await self._write(batch)

    async def _write(self, batch: list[_Item]) -> None:
        jobs = [job for job, _, _ in batch]
        try:
            events = await database_sync_to_async(_store)(jobs)
        except (OperationalError, InterfaceError) as exc:
            logger.warning("database unavailable: %s", exc.__class__.__name__)
            _answer(batch, exception=StorageDown())
            return
        except Exception as exc:
            if len(batch) > 1:  # one job the database refused must not fail the others
                logger.warning("message batch failed; storing it job by job", exc_info=True)
                for item in batch:
                    await self._write([item])
                return
            logger.exception("a message could not be stored")
            _answer(batch, exception=exc)
            return
        metrics.WRITE_BATCH.observe(len(jobs))
        _answer(batch)
        # Events of batch n go out before those of batch n+1, while n+1 is written.
        previous, self._sending = self._sending, None
        self._sending = asyncio.ensure_future(_send_after(previous, events))


def _store(jobs: list[services.MessageJob]) -> list[GroupEvent]:
    started = time.perf_counter()
    with realtime.deferred() as events:
        services.visitor_messages_post(jobs=jobs)
    metrics.WRITE_BATCH_SECONDS.observe(time.perf_counter() - started)
    # Most visitors have one tab: their own group would only echo to the sender.
    senders = {(job.site["id"], job.visitor.visitor_id) for job in jobs if job.exclude}
    try:
        lone = presence.lone_visitors(senders) if senders else set()
    except Exception:  # presence is down: send everything
        logger.warning("presence lookup failed", exc_info=True)
        return events
    return realtime.without_lone_echoes(events, lone)


def _answer(batch: list[_Item], exception: Exception | None = None) -> None:
    for job, future, _ in batch:
        if future.done():  # the socket went away; its message is stored all the same
            continue
        if exception is not None:
            future.set_exception(exception)
        else:
            future.set_result(job.result)


async def _send_after(previous: asyncio.Task | None, events: list[GroupEvent]) -> None:
    if previous is not None:
        await previous
    await realtime.dispatch(events)


_batchers: dict[asyncio.AbstractEventLoop, MessageBatcher] = {}


def batcher() -> MessageBatcher:
    """This event loop's writer."""
    return for_this_loop(_batchers, lambda: MessageBatcher(settings.CHATELLY_WRITE_MAX_WAIT))
