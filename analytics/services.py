"""Recording events: cheap for the caller, never able to break it.

`event_record` only queues the event after the caller's transaction commits;
a background thread writes the queue in batches. If writing fails, the events
are logged and dropped, and the message path never notices. `flush()` writes
what is queued at once (commands, tests, shutdown).
"""

import atexit
import logging
import threading
import time
from collections import deque

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from .models import Event

logger = logging.getLogger("chatelly.analytics")

FLUSH_EVERY_SECONDS = 0.5
BATCH = 1000
MAX_QUEUED = 100_000  # beyond this (the database is gone for long) new events are dropped

_queue: deque = deque()
_lock = threading.Lock()
_wake = threading.Event()
_writer: threading.Thread | None = None
failures = 0
dropped = 0


def event_record(
    *, website_id: int, event_type: str, visitor_id: str = "", session_id: str = "", data=None
) -> None:
    """Queue an event once the current transaction commits (at once outside one)."""
    if not settings.CHATELLY_ANALYTICS_ENABLED:
        return
    event = Event(
        website_id=website_id,
        event_type=event_type,
        event_data=data or {},
        visitor_id=visitor_id or "",
        session_id=session_id or "",
        created_at=timezone.now(),
    )
    transaction.on_commit(lambda: _enqueue(event))


def _enqueue(event: Event) -> None:
    global dropped
    if len(_queue) >= MAX_QUEUED:
        dropped += 1
        return
    _queue.append(event)
    _ensure_writer()
    if len(_queue) >= BATCH:
        _wake.set()


def _ensure_writer() -> None:
    global _writer
    if _writer is not None and _writer.is_alive():
        return
    with _lock:
        if _writer is None or not _writer.is_alive():
            _writer = threading.Thread(target=_write_forever, name="chatelly-analytics", daemon=True)
            _writer.start()


def _write_forever() -> None:
    while True:
        _wake.wait(FLUSH_EVERY_SECONDS)
        _wake.clear()
        try:
            close_old_connections()  # this thread's own connection
            flush()
            close_old_connections()  # closes it where CONN_MAX_AGE is 0
        except Exception:  # never let the writer die
            logger.exception("analytics writer failed")
            time.sleep(1)


def flush() -> int:
    """Write every queued event now; the number written."""
    global failures
    written = 0
    with _lock:
        while _queue:
            batch = [_queue.popleft() for _ in range(min(BATCH, len(_queue)))]
            try:
                with transaction.atomic():
                    Event.objects.bulk_create(batch)
                written += len(batch)
            except Exception:
                failures += 1
                logger.warning(
                    "dropped %d analytics events: database write failed", len(batch), exc_info=True
                )
                break
    return written


def pending() -> int:
    return len(_queue)


def discard_pending() -> None:
    """Forget queued events (tests start clean)."""
    with _lock:
        _queue.clear()


atexit.register(lambda: flush() if _queue else None)
