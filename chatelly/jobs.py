"""Background jobs: the one Celery app, and how the project queues a job.

Jobs are Celery tasks declared with ``@shared_task`` in an app's ``tasks.py``.
Code queues them with ``on_commit(task, *args)``: the job reaches the queue only
if the transaction that caused it commits, and never from inside it. A worker
acknowledges a job when it ends (settings: ``CELERY_TASK_ACKS_LATE``), so one
killed mid-job leaves the job to another. Jobs must therefore be idempotent:
the ones that send anything check a delivery row first (mail.models).

``make run`` needs no worker: without Redis jobs run in the queuing process,
right after the commit, and the periodic ones on a thread (`run_periodic`).
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NoReturn

from celery import Celery, Task
from django.db import close_old_connections, transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatelly.settings")

app = Celery("chatelly")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

log = logging.getLogger(__name__)


# Under `make run` eager jobs run on this one thread, off the request's path.
_background: ThreadPoolExecutor | None = None


def on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """Queue `task(*args, **kwargs)` once the current transaction commits (at
    once outside one)."""
    # robust: a queue that cannot be reached (Redis down) is logged, and the
    # committed change stands; jobs that send keep a row a sweep re-queues.
    transaction.on_commit(lambda: _queue(task, args, kwargs), robust=True)


def _queue(task: Task, args: tuple, kwargs: dict) -> None:
    if _background is not None and app.conf.task_always_eager:
        _background.submit(_run_logged, task, args, kwargs)
    else:
        task.apply_async(args=args, kwargs=kwargs)


def _run_logged(task: Task, args: tuple, kwargs: dict) -> None:
    try:
        task.apply(args=args, kwargs=kwargs)
    finally:
        close_old_connections()


def backoff_seconds(retries: int, first: float = 30.0) -> float:
    """`first`, then doubling (30 s, 1 min, 2 min, ...) capped at an hour, with
    jitter so that a recovered server is not hit by every job at once."""
    return min(first * 2**retries, 3600) * random.uniform(0.8, 1.2)  # noqa: S311


def retry_or_fail(
    task: Task, *, max_retries: int, first: float, give_up: Callable[[], None], error: Exception
) -> NoReturn:
    """From a job whose attempt may succeed later: retry it after a growing
    pause, or, past `max_retries`, record the failure (`give_up`) and raise
    `error` so that the job shows as failed in the admin."""
    if task.request.retries >= max_retries:
        give_up()
        raise error
    raise task.retry(countdown=backoff_seconds(task.request.retries, first))


def queue_depth() -> int | None:
    """Jobs waiting in the default queue, or None when there is no Redis queue."""
    if app.conf.task_always_eager or not app.conf.broker_url.startswith(("redis://", "rediss://")):
        return None
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        return int(channel.client.llen(app.conf.task_default_queue))


_periodic_started = threading.Event()


def _seconds(schedule: Any) -> float:
    return schedule.total_seconds() if hasattr(schedule, "total_seconds") else float(schedule)


def _run_due(entries: list[dict], next_run: list[float], now: float) -> None:
    for i, entry in enumerate(entries):
        if now < next_run[i]:
            continue
        next_run[i] = now + _seconds(entry["schedule"])
        try:
            _run_logged(app.tasks[entry["task"]], (), {})
        except Exception:  # one failing job must not stop the others
            log.exception("periodic job %s failed", entry["task"])


def run_periodic() -> threading.Thread | None:
    """For `make run` (eager jobs, no worker, no beat): queued jobs run on a
    background thread, and the beat schedule on another. Once per process."""
    global _background
    if _periodic_started.is_set():
        return None
    _periodic_started.set()
    _background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chatelly-jobs")
    entries = list(app.conf.beat_schedule.values())

    def loop() -> None:
        next_run = [0.0] * len(entries)
        clock = 0.0
        while True:
            _run_due(entries, next_run, clock)
            time.sleep(1.0)
            clock += 1.0

    thread = threading.Thread(target=loop, name="chatelly-periodic-jobs", daemon=True)
    thread.start()
    return thread
