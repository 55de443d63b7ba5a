"""The date range of a dashboard request: ?from, ?to (inclusive days in ?tz)."""

import re
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from chatelly.errors import InvalidInput

DEFAULT_DAYS = 30
MAX_DAYS = 366
# Days a range may name: every computation on them (a default `from` 29 days
# back, the instant after `to`, either in any zone and in UTC) stays in
# Python's and PostgreSQL's calendars. Outside: 400 naming the parameter.
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(9999, 12, 30)


@dataclass(frozen=True)
class DayRange:
    start: date
    end: date  # inclusive
    zone: zoneinfo.ZoneInfo

    @property
    def tz(self) -> str:
        return self.zone.key

    def bounds(self) -> tuple[datetime, datetime]:
        """[first instant, instant after the last day) as aware datetimes."""
        first = datetime.combine(self.start, time.min, tzinfo=self.zone)
        after = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=self.zone)
        return first, after

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def as_dict(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "tz": self.tz}


def _zone(raw) -> zoneinfo.ZoneInfo:
    if raw is None:
        return zoneinfo.ZoneInfo("UTC")
    try:
        if "\x00" in raw or len(raw) > 64:
            raise ValueError
        return zoneinfo.ZoneInfo(raw)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidInput("An IANA time zone such as Europe/Berlin.", field="tz") from None


def _day(raw, name: str) -> date | None:
    if raw is None:  # "" is a malformed day, as the schema says
        return None
    try:
        if not _DAY.fullmatch(raw):  # fromisoformat also takes 2026-W01-1
            raise ValueError
        day = date.fromisoformat(raw)
    except (ValueError, TypeError):
        raise InvalidInput("A date as YYYY-MM-DD.", field=name) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(f"A day from {FIRST_DAY} to {LAST_DAY}.", field=name)
    return day


def _plus_days(day: date, days: int) -> date:
    return min(day, LAST_DAY - timedelta(days=days)) + timedelta(days=days)


def day_range_parse(params) -> DayRange:
    zone = _zone(params.get("tz"))
    start, end = _day(params.get("from"), "from"), _day(params.get("to"), "to")
    today = timezone.now().astimezone(zone).date()
    if end is None:
        end = today if start is None else min(_plus_days(start, DEFAULT_DAYS - 1), max(start, today))
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise InvalidInput("from is after to.", field="from")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput(f"The range is longer than {MAX_DAYS} days.", field="from")
    return DayRange(start=start, end=end, zone=zone)
