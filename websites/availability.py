"""Whether a website is open now, and so what its widget shows (docs/embedding.md).

Pure: the caller passes the clock and the presence. With `business_hours`,
open means now's wall-clock time in its time zone falls in one of the day's
ranges (start included, end excluded) on a day that is not a holiday; without
them, open means an agent is online. Closed, the widget shows
`settings.offline_mode` (default "live").
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from .settings_schema import DAYS

Mode = Literal["live", "form", "hidden"]


def availability(settings: dict, *, now: datetime, agents_online: bool) -> tuple[Mode, datetime | None]:
    """(mode, opens_at): what the widget shows at `now` (an aware datetime),
    and, when closed with business hours, the next start of them in UTC."""
    offline: Mode = settings.get("offline_mode", "live")
    hours = settings.get("business_hours")
    if not hours:
        return ("live" if agents_online else offline), None
    zone = ZoneInfo(hours["timezone"])
    days = hours.get("days", {})
    holidays = set(settings.get("holidays", ()))
    local = now.astimezone(zone)
    if _open_at(local, days, holidays):
        return "live", None
    return offline, _next_opening(now.astimezone(UTC), local.date(), zone, days, holidays)


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _ranges(day: date, days: dict, holidays: set[str]) -> list[list[str]]:
    if day.isoformat() in holidays:
        return []
    return days.get(DAYS[day.weekday()], [])


def _open_at(local: datetime, days: dict, holidays: set[str]) -> bool:
    minute = local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 60_000_000
    return any(
        _minutes(start) <= minute < _minutes(end) for start, end in _ranges(local.date(), days, holidays)
    )


def _next_opening(
    now_utc: datetime, today: date, zone: ZoneInfo, days: dict, holidays: set[str]
) -> datetime | None:
    """The first range start after now; None when the week has no hours.

    Every holiday blocks at most one day, and a day with hours comes at least
    once a week, so looking 7 * (holidays + 2) days ahead finds it if it exists.
    """
    if not any(days.get(day) for day in DAYS):
        return None
    for offset in range(7 * (len(holidays) + 2)):
        day = today + timedelta(days=offset)
        starts = sorted(_minutes(start) for start, _end in _ranges(day, days, holidays))
        for start in starts:
            instant = _first_instant(day, start, zone, after=now_utc)
            if instant is not None:
                return instant
    return None


def _first_instant(day: date, minute: int, zone: ZoneInfo, *, after: datetime) -> datetime | None:
    """The first UTC instant after `after` at which the wall clock in `zone`
    reaches `minute` of `day`: the earlier of an hour that happens twice (the
    later one if the earlier has passed), the moment the clocks jump when it
    does not happen at all (a DST gap)."""
    wall = datetime.combine(day, time()) + timedelta(minutes=minute)
    candidates = []
    for fold in (0, 1):
        instant = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == wall:
            candidates.append(instant)
    if not candidates:  # in a gap: fold=1 falls before the jump, fold=0 after it
        candidates.append(_jump(wall, zone))
    later = [instant for instant in candidates if instant > after]
    return min(later) if later else None


def _jump(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC second at which the wall clock skips over `wall`."""
    low, high = sorted(int(wall.replace(tzinfo=zone, fold=f).astimezone(UTC).timestamp()) for f in (0, 1))
    while high - low > 1:  # wall time at low is before `wall`, at high after it
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)
