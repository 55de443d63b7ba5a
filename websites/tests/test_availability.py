"""availability(): open or closed at fixed instants, in several zones."""

from datetime import UTC, datetime

import pytest

from websites.availability import availability

WEEKDAYS_9_TO_5 = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def hours(zone: str, days: dict, **more) -> dict:
    return {"business_hours": {"timezone": zone, "days": days}, **more}


def test_without_business_hours_an_online_agent_decides():
    now = at("2026-12-06 12:00")
    assert availability({}, now=now, agents_online=True) == ("live", None)
    assert availability({}, now=now, agents_online=False) == ("live", None)  # the default mode
    form = {"offline_mode": "form"}
    assert availability(form, now=now, agents_online=True) == ("live", None)
    assert availability(form, now=now, agents_online=False) == ("form", None)
    assert availability({"offline_mode": "hidden"}, now=now, agents_online=False) == ("hidden", None)


def test_holidays_without_business_hours_change_nothing():
    settings = {"holidays": ["2026-12-06"], "offline_mode": "form"}
    assert availability(settings, now=at("2026-12-06 12:00"), agents_online=True) == ("live", None)


@pytest.mark.parametrize("agents_online", [True, False])
def test_with_business_hours_the_clock_decides_not_presence(agents_online):
    settings = hours("Europe/Berlin", WEEKDAYS_9_TO_5, offline_mode="form")
    # Monday 2026-12-07, Berlin is UTC+1 in winter.
    assert availability(settings, now=at("2026-12-07 08:00"), agents_online=agents_online) == ("live", None)
    assert availability(settings, now=at("2026-12-07 07:59:59"), agents_online=agents_online) == (
        "form",
        at("2026-12-07 08:00"),
    )
    # The end is excluded; Friday evening opens on Monday.
    assert availability(settings, now=at("2026-12-11 16:00"), agents_online=agents_online) == (
        "form",
        at("2026-12-14 08:00"),
    )


def test_two_ranges_a_day_in_a_half_hour_zone():
    days = {"mon": [["13:00", "18:00"], ["09:00", "12:00"]]}  # any order
    settings = hours("Asia/Kolkata", days, offline_mode="hidden")  # UTC+5:30
    assert availability(settings, now=at("2026-12-07 04:30"), agents_online=False) == ("live", None)  # 10:00
    assert availability(settings, now=at("2026-12-07 07:00"), agents_online=False) == (  # 12:30, lunch
        "hidden",
        at("2026-12-07 07:30"),
    )
    assert availability(settings, now=at("2026-12-07 02:00"), agents_online=False) == (  # 07:30
        "hidden",
        at("2026-12-07 03:30"),
    )
    assert availability(settings, now=at("2026-12-07 13:00"), agents_online=True) == (  # 18:30
        "hidden",
        at("2026-12-14 03:30"),
    )


def test_hours_across_midnight_as_two_days():
    days = {"fri": [["20:00", "24:00"]], "sat": [["00:00", "02:00"]]}
    settings = hours("Europe/Berlin", days, offline_mode="form")
    assert availability(settings, now=at("2026-12-04 22:59:59"), agents_online=False) == ("live", None)
    assert availability(settings, now=at("2026-12-04 23:00"), agents_online=False) == ("live", None)
    assert availability(settings, now=at("2026-12-05 00:59:59"), agents_online=False) == ("live", None)
    assert availability(settings, now=at("2026-12-05 01:00"), agents_online=False) == (
        "form",
        at("2026-12-11 19:00"),
    )


def test_a_holiday_is_closed_all_day_and_the_opening_skips_it():
    settings = hours(
        "Europe/Berlin", WEEKDAYS_9_TO_5, holidays=["2026-12-24", "2026-12-25"], offline_mode="form"
    )
    monday = at("2026-12-28 08:00")
    assert availability(settings, now=at("2026-12-23 17:00"), agents_online=True) == ("form", monday)
    assert availability(settings, now=at("2026-12-24 10:00"), agents_online=True) == ("form", monday)
    assert availability(settings, now=at("2026-12-28 08:00"), agents_online=False) == ("live", None)


def test_a_holiday_is_a_date_in_the_business_hours_zone():
    # 2026-12-07 23:30 UTC is already Tuesday the 8th in Auckland (UTC+13 in summer).
    days = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed")}
    settings = hours("Pacific/Auckland", days, holidays=["2026-12-08"])
    assert availability(settings, now=at("2026-12-07 10:00"), agents_online=False) == ("live", None)
    assert availability(settings, now=at("2026-12-07 23:30"), agents_online=False) == (
        "live",  # offline_mode's default
        at("2026-12-08 11:00"),  # Wednesday 00:00 in Auckland
    )


def test_many_holidays_on_the_only_open_day():
    settings = hours(
        "UTC", {"mon": [["10:00", "11:00"]]}, holidays=["2026-12-07", "2026-12-14", "2026-12-21"]
    )
    assert availability(settings, now=at("2026-12-06 12:00"), agents_online=False) == (
        "live",
        at("2026-12-28 10:00"),
    )


@pytest.mark.parametrize("days", [{}, {day: [] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}])
def test_a_week_without_hours_is_always_closed(days):
    settings = hours("America/New_York", days, offline_mode="hidden")
    assert availability(settings, now=at("2026-12-07 15:00"), agents_online=True) == ("hidden", None)


def test_openings_follow_the_zone_across_dst():
    berlin = hours("Europe/Berlin", {"sun": [["09:00", "17:00"]]})
    # Saturday 2026-03-28 is UTC+1; Sunday 09:00 is already summer time, UTC+2.
    assert availability(berlin, now=at("2026-03-28 20:00"), agents_online=False)[1] == at("2026-03-29 07:00")
    new_york = hours("America/New_York", {"mon": [["09:00", "17:00"]]})
    # New York moves to UTC-4 on Sunday 2026-03-08.
    assert availability(new_york, now=at("2026-03-08 12:00"), agents_online=False)[1] == at(
        "2026-03-09 13:00"
    )
    assert availability(new_york, now=at("2026-03-09 13:00"), agents_online=False) == ("live", None)


def test_an_opening_inside_the_spring_gap_is_the_jump():
    # Berlin, 2026-03-29: at 01:00 UTC the clocks go from 02:00 to 03:00; 02:30 never happens.
    settings = hours("Europe/Berlin", {"sun": [["02:30", "05:00"]]}, offline_mode="form")
    assert availability(settings, now=at("2026-03-29 00:30"), agents_online=False) == (
        "form",
        at("2026-03-29 01:00"),
    )
    assert availability(settings, now=at("2026-03-29 01:00"), agents_online=False) == ("live", None)


def test_an_hour_that_happens_twice_opens_twice():
    # Berlin, 2026-10-25: at 01:00 UTC the clocks go back from 03:00 to 02:00.
    settings = hours("Europe/Berlin", {"sun": [["02:15", "02:45"]]}, offline_mode="form")
    assert availability(settings, now=at("2026-10-25 00:00"), agents_online=False) == (
        "form",
        at("2026-10-25 00:15"),  # 02:15 summer time
    )
    assert availability(settings, now=at("2026-10-25 00:30"), agents_online=False) == ("live", None)
    assert availability(settings, now=at("2026-10-25 00:50"), agents_online=False) == (
        "form",
        at("2026-10-25 01:15"),  # 02:15 again, winter time
    )
    assert availability(settings, now=at("2026-10-25 01:20"), agents_online=False) == ("live", None)
    assert availability(settings, now=at("2026-10-25 01:50"), agents_online=False) == (
        "form",
        at("2026-11-01 01:15"),
    )


def test_now_in_any_zone_is_the_same_instant():
    settings = hours("Europe/Berlin", WEEKDAYS_9_TO_5)
    now = datetime.fromisoformat("2026-12-07T03:00:00-05:00")  # 09:00 in Berlin
    assert availability(settings, now=now, agents_online=False) == ("live", None)
