"""The dashboard's figures, computed in SQL from the stored chats, messages and events.

Every figure is a count (or average) over rows in the range; days and hours are
cut in the caller's time zone by the database (`AT TIME ZONE` on PostgreSQL).
"""

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncDate

from chat.models import Chat, ChatStatus, Message, SenderType

from .models import Event, EventType
from .ranges import DayRange


def _seconds(value) -> float | None:
    return None if value is None else round(value.total_seconds(), 2)


def _chats(website_ids, day_range: DayRange):
    first, after = day_range.bounds()
    return Chat.objects.filter(website_id__in=website_ids, started_at__gte=first, started_at__lt=after)


def _messages(website_ids, day_range: DayRange):
    first, after = day_range.bounds()
    return Message.objects.filter(website_id__in=website_ids, created_at__gte=first, created_at__lt=after)


def _visits(website_ids, day_range: DayRange):
    first, after = day_range.bounds()
    return Event.objects.filter(
        website_id__in=website_ids,
        event_type=EventType.WIDGET_LOADED,
        created_at__gte=first,
        created_at__lt=after,
    )


def totals(website_ids: list[int], day_range: DayRange) -> dict:
    chats = _chats(website_ids, day_range).aggregate(
        chats=Count("id"),
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
    by_sender = dict(
        _messages(website_ids, day_range).values_list("sender_type").annotate(n=Count("id")).order_by()
    )
    visitors = _visits(website_ids, day_range).aggregate(n=Count("visitor_id", distinct=True))["n"]
    return {
        "chats": chats["chats"],
        "messages": sum(by_sender.values()),
        "visitor_messages": by_sender.get(SenderType.VISITOR, 0),
        "agent_messages": by_sender.get(SenderType.AGENT, 0),
        "bot_messages": by_sender.get(SenderType.BOT, 0),
        "visitors": visitors,
        "active_chats": Chat.objects.filter(website_id__in=website_ids, status=ChatStatus.ACTIVE).count(),
        "avg_first_response_seconds": _seconds(chats["first_response"]),
        "avg_chat_duration_seconds": _seconds(chats["duration"]),
    }


def _per_day(queryset, field: str, day_range: DayRange, count) -> dict:
    rows = (
        queryset.annotate(day=TruncDate(field, tzinfo=day_range.zone))
        .values_list("day")
        .annotate(n=count)
        .order_by()
    )
    return dict(rows)


def series(website_ids: list[int], day_range: DayRange) -> list[dict]:
    chats = _per_day(_chats(website_ids, day_range), "started_at", day_range, Count("id"))
    messages = _per_day(_messages(website_ids, day_range), "created_at", day_range, Count("id"))
    visitors = _per_day(
        _visits(website_ids, day_range), "created_at", day_range, Count("visitor_id", distinct=True)
    )
    return [
        {
            "date": day.isoformat(),
            "chats": chats.get(day, 0),
            "messages": messages.get(day, 0),
            "visitors": visitors.get(day, 0),
        }
        for day in day_range.days()
    ]


def per_website(websites: list, day_range: DayRange) -> list[dict]:
    ids = [w.id for w in websites]

    def grouped(queryset, count):
        return dict(queryset.values_list("website_id").annotate(n=count).order_by())

    chats = grouped(_chats(ids, day_range), Count("id"))
    messages = grouped(_messages(ids, day_range), Count("id"))
    visitors = grouped(_visits(ids, day_range), Count("visitor_id", distinct=True))
    return [
        {
            "id": w.id,
            "name": w.name,
            "chats": chats.get(w.id, 0),
            "messages": messages.get(w.id, 0),
            "visitors": visitors.get(w.id, 0),
        }
        for w in websites
    ]


def busiest_hours(website_ids: list[int], day_range: DayRange) -> list[dict]:
    rows = (
        _chats(website_ids, day_range)
        .annotate(
            weekday=ExtractIsoWeekDay("started_at", tzinfo=day_range.zone),
            hour=ExtractHour("started_at", tzinfo=day_range.zone),
        )
        .values_list("weekday", "hour")
        .annotate(n=Count("id"))
        .order_by("-n", "weekday", "hour")
    )
    return [{"weekday": weekday - 1, "hour": hour, "chats": n} for weekday, hour, n in rows]


def dashboard(*, websites: list, day_range: DayRange) -> dict:
    ids = [w.id for w in websites]
    return {
        "range": day_range.as_dict(),
        "totals": totals(ids, day_range),
        "series": series(ids, day_range),
        "websites": per_website(websites, day_range),
    }


def website_report(*, website, day_range: DayRange) -> dict:
    ids = [website.id]
    return {
        "range": day_range.as_dict(),
        "totals": totals(ids, day_range),
        "series": series(ids, day_range),
        "busiest_hours": busiest_hours(ids, day_range),
    }
