"""Recording events: cheap for the caller, never able to break it.

`event_record` only queues the event after the caller's transaction commits;
a background thread writes the queue in batches. If writing fails, the events
are logged and dropped, and the message path never notices. `flush()` writes
what is queued at once (commands, tests, shutdown).
"""

import atexit
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from chatelly.db import execute, on_postgres

from .models import Event

logger = logging.getLogger("chatelly.analytics")

FLUSH_EVERY_SECONDS = 0.5
BATCH = 1000
MAX_QUEUED = 100_000  # beyond this (the database is gone for long) new events are dropped

_queue: deque = deque()
_lock = threading.Lock()
_wake = threading.Event()
_writer: threading.Thread | None = None
# Tests turn the thread off and call flush(): its own connection cannot see a
# test's uncommitted rows, so events it wrote there were refused and dropped.
background = True
failures = 0
dropped = 0


def event_record(
    *,
    website_id: int,
    event_type: str,
    visitor_id: str = "",
    session_id: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    """Queue an event once the current transaction commits (at once outside one)."""
    events_record(
        [
            {
                "website_id": website_id,
                "event_type": event_type,
                "visitor_id": visitor_id,
                "session_id": session_id,
                "data": data,
            }
        ]
    )


def events_record(events: list[dict]) -> None:
    """Several events (each as `event_record`'s arguments), with one commit hook."""
    rows = _rows(events)
    if rows:
        transaction.on_commit(lambda: _enqueue_all(rows))


def _enqueue_all(rows: list[tuple]) -> None:
    for row in rows:
        _enqueue(row)


def events_record_committed(events: list[dict]) -> None:
    """Events of a write already committed (an autocommit statement on the event
    loop, where there is no transaction to hook): queued at once."""
    for row in _rows(events):
        _enqueue(row)


def _rows(events: list[dict]) -> list[tuple]:
    if not settings.CHATELLY_ANALYTICS_ENABLED or not events:
        return []
    now = timezone.now()
    return [
        (e["website_id"], e["event_type"], e.get("data") or {}, e.get("visitor_id") or "",
         e.get("session_id") or "", now)
        for e in events
    ]  # fmt: skip


def _enqueue(event: tuple) -> None:
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
    if not background or (_writer is not None and _writer.is_alive()):
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
                _insert(batch)
                written += len(batch)
            except Exception:
                failures += 1
                logger.warning(
                    "dropped %d analytics events: database write failed", len(batch), exc_info=True
                )
                break
    return written


_COLUMNS = [
    ("website_id", "bigint"),
    ("event_type", "text"),
    ("event_data", "jsonb"),
    ("visitor_id", "text"),
    ("session_id", "text"),
    ("created_at", "timestamptz"),
]


def _insert(batch: list[tuple]) -> None:
    """One statement per batch. On PostgreSQL its text is the same for every batch
    (arrays through unnest), so the per-row cost is only the values' encoding."""
    if not on_postgres():
        fields = [name for name, _ in _COLUMNS]
        with transaction.atomic():
            Event.objects.bulk_create([Event(**dict(zip(fields, row, strict=True))) for row in batch])
        return
    columns: list[Sequence[Any]] = list(zip(*batch, strict=True))
    columns[2] = [json.dumps(data) for data in columns[2]]
    names = ", ".join(name for name, _ in _COLUMNS)
    arrays = ", ".join(f"%s::{kind}[]" for _, kind in _COLUMNS)
    execute(
        f"INSERT INTO {Event._meta.db_table} ({names}) SELECT * FROM unnest({arrays})",  # noqa: S608
        [list(column) for column in columns],
    )


def pending() -> int:
    return len(_queue)


def discard_pending() -> None:
    """Forget queued events (tests start clean)."""
    with _lock:
        _queue.clear()


atexit.register(lambda: flush() if _queue else None)
