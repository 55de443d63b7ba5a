"""The dashboard's figures, computed in SQL from the stored chats, messages and events.

Days and hours are cut in the caller's time zone by the database. On
PostgreSQL, chat and message counts come from sealed 15-minute rollups plus a
direct count of the recent tail (`analytics.rollups`), so large ranges stay
fast and every figure still equals a direct count of the stored rows.
"""

from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, Trunc, TruncDate

from analytics import rollups
from analytics.models import DailyVisitors, Event, EventType, Rollup
from chat.models import Chat, ChatStatus, Message
from chatelly.db import on_postgres
from websites.models import Website

from .ranges import DayRange

SENDERS = ("visitor", "agent", "bot", "system")


class Window:
    """The range split into its sealed part [first, cut) and its direct part [cut, after)."""

    def __init__(self, website_ids: list[int], day_range: DayRange):
        self.ids = website_ids
        self.zone = day_range.zone
        self.first, self.after = day_range.bounds()
        self.cut = self.first
        self.sealed = self.first
        self._sealed_hours: list | None = None
        if rollups.enabled() and website_ids:
            self.sealed = rollups.ensure_built(website_ids)
            self.cut = min(max(self.first, self.sealed), self.after)

    def rollups(self) -> QuerySet[Rollup]:
        return Rollup.objects.filter(website_id__in=self.ids, bucket__gte=self.first, bucket__lt=self.cut)

    def sealed_hours(self) -> list[tuple]:
        """(local hour, chats, visitor, agent, bot, system messages) of the sealed part, once."""
        if self._sealed_hours is None:
            self._sealed_hours = list(
                self.rollups()
                .annotate(hour=Trunc("bucket", "hour", tzinfo=self.zone))
                .values_list("hour")
                .annotate(
                    Sum("chats"),
                    Sum("visitor_messages"),
                    Sum("agent_messages"),
                    Sum("bot_messages"),
                    Sum("system_messages"),
                )
                .order_by()
            )
        return self._sealed_hours

    def chats(self, first: datetime | None = None) -> QuerySet[Chat]:
        return Chat.objects.filter(
            website_id__in=self.ids, started_at__gte=first or self.cut, started_at__lt=self.after
        )

    def messages(self) -> QuerySet[Message]:
        return Message.objects.filter(
            website_id__in=self.ids, created_at__gte=self.cut, created_at__lt=self.after
        )

    def visits(self) -> QuerySet[Event]:
        return Event.objects.filter(
            website_id__in=self.ids,
            event_type=EventType.WIDGET_LOADED,
            created_at__gte=self.first,
            created_at__lt=self.after,
        )

    def day(self, field: str) -> TruncDate:
        return TruncDate(field, tzinfo=self.zone)


@contextmanager
def _reading() -> Iterator[None]:
    """One transaction for the figures, with room to hash-aggregate in memory."""
    with transaction.atomic():
        if on_postgres():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '64MB'")
                # Two cores and large scans: let aggregates run in parallel.
                cursor.execute("SET LOCAL parallel_setup_cost = 10")
                cursor.execute("SET LOCAL parallel_tuple_cost = 0.001")
                cursor.execute("SET LOCAL min_parallel_index_scan_size = 0")
        yield


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds(), 2)


def _daily_counts(window: Window) -> tuple[dict, dict]:
    """({day: chats}, {day: {sender: messages}}) over the whole range."""
    chats: Counter = Counter()
    messages: dict = defaultdict(Counter)
    for hour, n_chats, *by_sender in window.sealed_hours():
        day = hour.date()
        chats[day] += n_chats
        for sender, n in zip(SENDERS, by_sender, strict=True):
            messages[day][sender] += n
    for day, n in (
        window.chats()
        .annotate(day=window.day("started_at"))
        .values_list("day")
        .annotate(Count("id"))
        .order_by()
    ):
        chats[day] += n
    tail = (
        window.messages()
        .annotate(day=window.day("created_at"))
        .values_list("day", "sender_type")
        .annotate(Count("id"))
    )
    for day, sender, n in tail.order_by():
        messages[day][sender] += n
    return chats, messages


_VISITORS_PER_DAY = """
SELECT (created_at AT TIME ZONE %(tz)s)::date AS day, count(DISTINCT visitor_id)
FROM analytics WHERE website_id = %(website)s AND event_type = 'widget_loaded'
AND created_at >= %(first)s AND created_at < %(after)s
GROUP BY 1
"""
_VISITORS_TOTAL = """
SELECT count(*) FROM (
    SELECT visitor_id FROM analytics WHERE website_id = ANY(%(ids)s) AND event_type = 'widget_loaded'
    AND created_at >= %(first)s AND created_at < %(after)s
    GROUP BY visitor_id
) visitors
"""


def _day_bounds(window: Window, first_day: date, last_day: date) -> tuple[datetime, datetime]:
    return DayRange(first_day, last_day, window.zone).bounds()


def _count_days(
    cursor: CursorWrapper, window: Window, website_id: int, first_day: date, last_day: date
) -> dict:
    first, after = _day_bounds(window, first_day, last_day)
    cursor.execute(
        _VISITORS_PER_DAY, {"tz": window.zone.key, "website": website_id, "first": first, "after": after}
    )
    return dict(cursor.fetchall())


def _visitors(window: Window) -> tuple[dict, int]:
    """({day: distinct visitors}, distinct visitors over the range)."""
    if not on_postgres():
        counted = dict(
            window.visits()
            .annotate(day=window.day("created_at"))
            .values_list("day")
            .annotate(n=Count("visitor_id", distinct=True))
            .order_by()
        )
        return counted, window.visits().aggregate(n=Count("visitor_id", distinct=True))["n"]
    # Sealed days are counted once per website and zone and kept (DailyVisitors);
    # visitor ids are per website, so a day's figure over websites is their sum.
    days = DayRange(*_range_days(window), window.zone).days()
    sealed_days = [d for d in days if _day_bounds(window, d, d)[1] <= window.sealed]
    open_days = [d for d in days if d not in set(sealed_days)]
    per_day: Counter = Counter()
    with connection.cursor() as cursor:
        for website_id in window.ids:
            known = dict(
                DailyVisitors.objects.filter(
                    website_id=website_id, tz=window.zone.key, day__in=sealed_days
                ).values_list("day", "visitors")
            )
            missing = [d for d in sealed_days if d not in known]
            if missing:
                counted = _count_days(cursor, window, website_id, missing[0], missing[-1])
                fresh = {d: counted.get(d, 0) for d in missing}
                DailyVisitors.objects.bulk_create(
                    [
                        DailyVisitors(website_id=website_id, tz=window.zone.key, day=d, visitors=n)
                        for d, n in fresh.items()
                    ],
                    ignore_conflicts=True,
                )
                known.update(fresh)
            if open_days:
                known.update(_count_days(cursor, window, website_id, open_days[0], open_days[-1]))
            per_day.update(known)
        # The range's distinct visitors: a plain GROUP BY, which PostgreSQL runs in parallel.
        cursor.execute(_VISITORS_TOTAL, {"ids": window.ids, "first": window.first, "after": window.after})
        total = cursor.fetchone()[0]
    return dict(per_day), total


def _range_days(window: Window) -> tuple[date, date]:
    first_day = window.first.astimezone(window.zone).date()
    last_day = (window.after.astimezone(window.zone) - timedelta(days=1)).date()
    return first_day, last_day


def _averages(window: Window) -> dict:
    return window.chats(first=window.first).aggregate(
        first_response=Avg(
            ExpressionWrapper(
                F("first_response_at") - F("first_visitor_message_at"), output_field=DurationField()
            ),
            filter=Q(first_response_at__isnull=False, first_visitor_message_at__isnull=False),
        ),
        duration=Avg(
            ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField()),
            filter=Q(status=ChatStatus.CLOSED, ended_at__isnull=False),
        ),
    )


def _figures(website_ids: list[int], day_range: DayRange) -> tuple[dict, list[dict], Window]:
    window = Window(website_ids, day_range)
    chats, messages = _daily_counts(window)
    visitors_per_day, visitors = _visitors(window)
    averages = _averages(window)
    series = [
        {
            "date": day.isoformat(),
            "chats": chats.get(day, 0),
            "messages": sum(messages[day].values()) if day in messages else 0,
            "visitors": visitors_per_day.get(day, 0),
        }
        for day in day_range.days()
    ]
    senders: Counter = Counter()
    for by_sender in messages.values():
        senders.update(by_sender)
    totals = {
        "chats": sum(chats.values()),
        "messages": sum(senders.values()),
        "visitor_messages": senders["visitor"],
        "agent_messages": senders["agent"],
        "bot_messages": senders["bot"],
        "visitors": visitors,
        "active_chats": Chat.objects.filter(website_id__in=website_ids, status=ChatStatus.ACTIVE).count(),
        "avg_first_response_seconds": _seconds(averages["first_response"]),
        "avg_chat_duration_seconds": _seconds(averages["duration"]),
    }
    return totals, series, window


def _per_website(window: Window, websites: list) -> list[dict]:
    chats: Counter = Counter()
    messages: Counter = Counter()
    sealed = (
        window.rollups()
        .values_list("website_id")
        .annotate(
            c=Sum("chats"),
            m=Sum(F("visitor_messages") + F("agent_messages") + F("bot_messages") + F("system_messages")),
        )
    )
    for website_id, c, m in sealed.order_by():
        chats[website_id] += c
        messages[website_id] += m
    chats.update(dict(window.chats().values_list("website_id").annotate(Count("id")).order_by()))
    messages.update(dict(window.messages().values_list("website_id").annotate(Count("id")).order_by()))
    visitors = dict(
        window.visits().values_list("website_id").annotate(Count("visitor_id", distinct=True)).order_by()
    )
    return [
        {
            "id": w.id,
            "name": w.name,
            "chats": chats[w.id],
            "messages": messages[w.id],
            "visitors": visitors.get(w.id, 0),
        }
        for w in websites
    ]


def _busiest_hours(window: Window) -> list[dict]:
    cells: Counter = Counter()

    def weekday_hour(queryset: QuerySet[Any], field: str) -> QuerySet[Any]:
        return (
            queryset.annotate(
                weekday=ExtractIsoWeekDay(field, tzinfo=window.zone),
                hour=ExtractHour(field, tzinfo=window.zone),
            )
            .values_list("weekday", "hour")
            .order_by()
        )

    for local_hour, n_chats, *_ in window.sealed_hours():
        cells[(local_hour.isoweekday(), local_hour.hour)] += n_chats
    for weekday, hour, n in weekday_hour(window.chats(), "started_at").annotate(Count("id")):
        cells[(weekday, hour)] += n
    rows = [{"weekday": w - 1, "hour": h, "chats": n} for (w, h), n in cells.items() if n]
    return sorted(rows, key=lambda row: (-row["chats"], row["weekday"], row["hour"]))


def dashboard(*, websites: list, day_range: DayRange) -> dict:
    with _reading():
        ids = [w.id for w in websites]
        totals, series, window = _figures(ids, day_range)
        return {
            "range": day_range.as_dict(),
            "totals": totals,
            "series": series,
            "websites": _per_website(window, websites),
        }


def website_report(*, website: Website, day_range: DayRange) -> dict:
    with _reading():
        totals, series, window = _figures([website.id], day_range)
        return {
            "range": day_range.as_dict(),
            "totals": totals,
            "series": series,
            "busiest_hours": _busiest_hours(window),
        }
