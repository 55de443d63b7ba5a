"""Email in /metrics, read when scraped: the last day's deliveries by status."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from .models import EmailDelivery, EmailStatus


class EmailCollector(Collector):
    def describe(self) -> Iterator[GaugeMetricFamily]:
        # The name only: registering must not query anything (no database yet).
        yield GaugeMetricFamily("chatelly_emails_last_day", "", labels=["status"])

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "chatelly_emails_last_day",
            "Emails queued in the last 24 hours, by what became of them.",
            labels=["status"],
        )
        since = timezone.now() - timedelta(days=1)
        counts = dict.fromkeys(EmailStatus.values, 0)
        rows = (
            EmailDelivery.objects.filter(created_at__gte=since)
            .values("status")
            .annotate(n=Count("id"))
            .order_by()
        )
        counts.update({row["status"]: row["n"] for row in rows})
        for status, count in counts.items():
            family.add_metric([status], count)
        yield family


_collector = EmailCollector()


def register() -> None:
    if _collector not in REGISTRY._collector_to_names:
        REGISTRY.register(_collector)
