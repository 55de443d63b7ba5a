"""Time the dashboard queries on a (large) website and write the figures to docs/benchmarks.md."""

import platform
import re
import statistics
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics import rollups
from analytics.models import Event
from chat.models import Chat, Message
from chatelly.db import on_postgres
from reports import selectors
from reports.ranges import DayRange, day_range_parse
from websites.models import Website

START, END = "<!-- analytics:start -->", "<!-- analytics:end -->"


class Command(BaseCommand):
    help = (
        "Run the analytics dashboard for 30 and 366 days, time it, EXPLAIN it, and update docs/benchmarks.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--website", type=int, required=True)
        parser.add_argument("--runs", type=int, default=7)
        parser.add_argument("--tz", default="Europe/Berlin")
        parser.add_argument("--report", default=str(Path(settings.BASE_DIR) / "docs" / "benchmarks.md"))
        parser.add_argument("--no-write", action="store_true", help="print only")

    def handle(self, *args, website, runs, tz, report, no_write, **options):
        site = Website.objects.filter(id=website).first()
        if site is None:
            raise CommandError(f"No website {website}.")
        today = timezone.now().date()
        self.cold = {}
        rows = []
        plans = []
        for days in (30, 366):
            day_range = day_range_parse(
                {"from": str(today - timedelta(days=days - 1)), "to": str(today), "tz": tz}
            )
            timings, queries = self._time(site, day_range, runs)
            rows.append((days, statistics.median(timings), max(timings), len(queries)))
            if days == 366:
                reads = [
                    q["sql"].strip()
                    for q in queries
                    if q["sql"].strip().startswith("SELECT") and "FOR UPDATE" not in q["sql"]
                ]
                plans = [(sql, self._explain(sql)) for sql in reads]
        counts = {
            "chats": Chat.objects.filter(website=site).count(),
            "messages": Message.objects.filter(website=site).count(),
            "events": Event.objects.filter(website=site).count(),
        }
        text = self._render(site, counts, rows, plans, tz, runs)
        self.stdout.write(text)
        if not no_write:
            self._write(Path(report), text)
            self.stdout.write(self.style.SUCCESS(f"written to {report}"))

    def _time(self, site, day_range: DayRange, runs: int):
        rollups.forget(website_id=site.id)  # the first request builds the rollups: time it too
        started = time.perf_counter()
        selectors.website_report(website=site, day_range=day_range)
        self.cold[day_range.days().__len__()] = (time.perf_counter() - started) * 1000
        timings = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                selectors.website_report(website=site, day_range=day_range)
                timings.append((time.perf_counter() - started) * 1000)
        return timings, captured.captured_queries

    def _explain(self, sql: str) -> str:
        if not on_postgres():
            return "(EXPLAIN ANALYZE shown on PostgreSQL only)"
        with transaction.atomic(), connection.cursor() as cursor:
            for setting in ("work_mem = '64MB'", "parallel_setup_cost = 10", "parallel_tuple_cost = 0.001",
                            "min_parallel_index_scan_size = 0"):  # fmt: skip
                cursor.execute(f"SET LOCAL {setting}")  # as the dashboard runs them
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, SUMMARY ON) " + sql)
            return "\n".join(row[0] for row in cursor.fetchall())

    def _render(self, site, counts, rows, plans, tz, runs) -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()" if on_postgres() else "SELECT sqlite_version()")
            version = cursor.fetchone()[0]
        lines = [
            START,
            "## Analytics dashboard",
            "",
            f"Measured {timezone.now():%Y-%m-%d %H:%M} UTC on {platform.node()} ({platform.machine()}, "
            f"{_cpus()} cores), {version.split(' on ')[0]}.",
            f"Data: one website with {counts['chats']:,} chats, {counts['messages']:,} messages and "
            f"{counts['events']:,} events over the last 365 days (`manage.py analytics_seed`).",
            f"`GET /api/v1/analytics/websites/{site.id}` computed by `reports.selectors.website_report`, "
            f"tz `{tz}`, {runs} runs after a warm-up:",
            "",
            "| range | median | max | SQL queries | target | first request (builds rollups) |",
            "|---|---|---|---|---|---|",
        ]
        targets = {30: 300, 366: 1000}
        for days, median, worst, queries in rows:
            verdict = "met" if worst <= targets[days] else "NOT met"
            lines.append(
                f"| {days} days | {median:.0f} ms | {worst:.0f} ms | {queries} | ≤ {targets[days]} ms: {verdict} "
                f"| {self.cold[days]:.0f} ms |"
            )
        lines += ["", "Query plans for the 366-day range (EXPLAIN ANALYZE):", ""]
        for sql, plan in plans:
            lines += ["```", _shorten(sql), "", plan, "```", ""]
        lines.append(END)
        return "\n".join(lines)

    def _write(self, path: Path, text: str) -> None:
        current = path.read_text() if path.exists() else "# Benchmarks\n"
        if START in current and END in current:
            current = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: text, current, flags=re.S)
        else:
            current = current.rstrip() + "\n\n" + text + "\n"
        path.write_text(current)


def _cpus() -> int:
    import os

    return os.cpu_count() or 0


def _shorten(sql: str) -> str:
    return sql if len(sql) < 600 else sql[:600] + " ..."
