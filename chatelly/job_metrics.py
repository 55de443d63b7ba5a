"""Background jobs in /metrics, read when scraped: the queue's depth and the
failed jobs the database keeps (the admin's "Task results" lists them)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from . import jobs

log = logging.getLogger(__name__)


def _queue_depth() -> GaugeMetricFamily | None:
    try:
        waiting = jobs.queue_depth()
    except Exception:  # Redis down: the scrape still answers; /readyz says why
        log.warning("job queue depth unreadable", exc_info=True)
        return None
    if waiting is None:  # jobs run in-process: there is no queue
        return None
    depth = GaugeMetricFamily("chatelly_jobs_queued", "Jobs waiting in the queue for a worker.")
    depth.add_metric([], waiting)
    return depth


def _failed_jobs() -> GaugeMetricFamily:
    from django_celery_results.models import TaskResult

    failed = GaugeMetricFamily(
        "chatelly_jobs_failed",
        "Failed jobs kept in the database (for CHATELLY_JOBS_RESULT_DAYS), by job.",
        labels=["task"],
    )
    rows = TaskResult.objects.filter(status="FAILURE").values("task_name").annotate(n=Count("id")).order_by()
    for row in rows:
        failed.add_metric([row["task_name"] or "unknown"], row["n"])
    return failed


class JobsCollector(Collector):
    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Names only: registering must not query anything (no database yet).
        yield GaugeMetricFamily("chatelly_jobs_queued", "")
        yield GaugeMetricFamily("chatelly_jobs_failed", "", labels=["task"])

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = _queue_depth()
        if depth is not None:
            yield depth
        yield _failed_jobs()


_collector = JobsCollector()


def register() -> None:
    """Once per process (AppConfig.ready)."""
    if _collector not in REGISTRY._collector_to_names:
        REGISTRY.register(_collector)
