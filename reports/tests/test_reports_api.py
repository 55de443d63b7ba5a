"""Every dashboard figure against a direct count of a known history."""

import csv
import io
import zoneinfo
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from analytics.models import Event
from chat.models import Chat, Message, Visitor
from conftest import bearer
from websites.models import Membership

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def make_chat(site, visitor, started, *, closed_after=None, response_after=None, messages=()):
    chat = Chat.objects.create(
        website=site, visitor_record=visitor, visitor_id=visitor.visitor_id, session_id="s", status="active"
    )
    fields = {"started_at": started, "first_visitor_message_at": started}
    if response_after is not None:
        fields["first_response_at"] = started + timedelta(seconds=response_after)
    if closed_after is not None:
        fields.update(status="closed", ended_at=started + timedelta(seconds=closed_after))
    Chat.objects.filter(id=chat.id).update(**fields)
    for seq, (sender, offset) in enumerate(messages, start=1):
        message = Message.objects.create(
            chat=chat, website=site, seq=seq, content="x", sender_type=sender, sender_id="s"
        )
        Message.objects.filter(id=message.id).update(created_at=started + timedelta(seconds=offset))
    return Chat.objects.get(id=chat.id)


def visit(site, visitor_id, when, event_type="widget_loaded"):
    Event.objects.create(
        website=site, event_type=event_type, visitor_id=visitor_id, session_id="s", created_at=when
    )


@pytest.fixture
def history(site):
    visitors = [Visitor.objects.create(website=site) for _ in range(3)]
    v1, v2, v3 = visitors
    # 23:30 UTC on the 10th is 00:30 on the 11th in Berlin: a day boundary between zones.
    make_chat(site, v1, at("2026-03-10T23:30:00"), closed_after=600, response_after=60,
              messages=[("visitor", 0), ("bot", 1), ("agent", 60), ("visitor", 1200)])  # fmt: skip
    make_chat(site, v2, at("2026-03-11T10:00:00"), response_after=120,
              messages=[("visitor", 0), ("agent", 120), ("agent", 130)])  # fmt: skip
    make_chat(
        site, v3, at("2026-03-12T08:00:00"), closed_after=1800, messages=[("visitor", 0), ("system", 5)]
    )
    make_chat(site, v1, at("2026-02-01T12:00:00"), closed_after=60, messages=[("visitor", 0)])  # outside
    for visitor_id, when in [
        (v1.visitor_id, "2026-03-10T23:00:00"),
        (v1.visitor_id, "2026-03-11T09:00:00"),
        (v2.visitor_id, "2026-03-11T09:59:00"),
        (v3.visitor_id, "2026-03-12T07:59:00"),
        (v3.visitor_id, "2026-03-12T18:00:00"),
        ("v_gone", "2026-01-05T10:00:00"),  # outside
    ]:
        visit(site, visitor_id, at(when))
    visit(site, v2.visitor_id, at("2026-03-11T10:05:00"), event_type="page_view")  # not a visit
    return site


def expected(site, start: date, end: date, zone) -> dict:
    """The figures counted in Python from the stored rows."""

    def day(value):
        return value.astimezone(zone).date()

    chats = [c for c in Chat.objects.filter(website=site) if start <= day(c.started_at) <= end]
    messages = [m for m in Message.objects.filter(website=site) if start <= day(m.created_at) <= end]
    visits = [
        e
        for e in Event.objects.filter(website=site, event_type="widget_loaded")
        if start <= day(e.created_at) <= end
    ]
    responses = [
        (c.first_response_at - c.first_visitor_message_at).total_seconds()
        for c in chats
        if c.first_response_at
    ]
    durations = [(c.ended_at - c.started_at).total_seconds() for c in chats if c.status == "closed"]
    senders = Counter(m.sender_type for m in messages)
    series = {}
    for n in range((end - start).days + 1):
        current = start + timedelta(days=n)
        series[current.isoformat()] = {
            "chats": sum(1 for c in chats if day(c.started_at) == current),
            "messages": sum(1 for m in messages if day(m.created_at) == current),
            "visitors": len({e.visitor_id for e in visits if day(e.created_at) == current}),
        }
    cells = Counter(
        (c.started_at.astimezone(zone).weekday(), c.started_at.astimezone(zone).hour) for c in chats
    )
    return {
        "totals": {
            "chats": len(chats),
            "messages": len(messages),
            "visitor_messages": senders["visitor"],
            "agent_messages": senders["agent"],
            "bot_messages": senders["bot"],
            "visitors": len({e.visitor_id for e in visits}),
            "active_chats": Chat.objects.filter(website=site, status="active").count(),
            "avg_first_response_seconds": round(sum(responses) / len(responses), 2) if responses else None,
            "avg_chat_duration_seconds": round(sum(durations) / len(durations), 2) if durations else None,
        },
        "series": [{"date": d, **figures} for d, figures in series.items()],
        "busiest": sorted(
            ({"weekday": w, "hour": h, "chats": n} for (w, h), n in cells.items()),
            key=lambda x: (-x["chats"], x["weekday"], x["hour"]),
        ),
    }


@pytest.mark.parametrize("tz", ["UTC", "Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata"])
def test_every_figure_equals_a_direct_count(owner_api, history, tz):
    zone = zoneinfo.ZoneInfo(tz)
    response = owner_api.get(
        f"/api/v1/analytics/websites/{history.id}", {"from": "2026-03-10", "to": "2026-03-12", "tz": tz}
    )
    assert response.status_code == 200
    body = response.json()
    want = expected(history, date(2026, 3, 10), date(2026, 3, 12), zone)
    assert body["range"] == {"from": "2026-03-10", "to": "2026-03-12", "tz": tz}
    assert body["totals"] == want["totals"]
    assert body["series"] == want["series"]
    assert body["busiest_hours"] == want["busiest"]
    assert sum(d["chats"] for d in body["series"]) == body["totals"]["chats"]
    assert sum(d["messages"] for d in body["series"]) == body["totals"]["messages"]


def test_the_time_zone_moves_a_chat_across_midnight(owner_api, history):
    url = f"/api/v1/analytics/websites/{history.id}"
    utc = owner_api.get(url, {"from": "2026-03-10", "to": "2026-03-10"}).json()
    berlin = owner_api.get(url, {"from": "2026-03-10", "to": "2026-03-10", "tz": "Europe/Berlin"}).json()
    assert utc["totals"]["chats"] == 1
    assert berlin["totals"]["chats"] == 0
    hours = owner_api.get(url, {"from": "2026-03-11", "to": "2026-03-11", "tz": "Europe/Berlin"}).json()
    assert {"weekday": 2, "hour": 0, "chats": 1} in hours["busiest_hours"]  # Wednesday 00:30 in Berlin


def test_the_dashboard_covers_all_the_callers_websites(owner_api, history, make_site, make_user):
    other = make_site(name="Second")
    make_chat(
        other, Visitor.objects.create(website=other), at("2026-03-11T12:00:00"), messages=[("visitor", 0)]
    )
    foreign = make_site(name="Foreign", owner=make_user())
    make_chat(
        foreign, Visitor.objects.create(website=foreign), at("2026-03-11T12:00:00"), messages=[("visitor", 0)]
    )
    body = owner_api.get("/api/v1/analytics/dashboard", {"from": "2026-03-10", "to": "2026-03-12"}).json()
    want_one = expected(history, date(2026, 3, 10), date(2026, 3, 12), UTC)["totals"]
    assert body["totals"]["chats"] == want_one["chats"] + 1
    assert body["totals"]["messages"] == want_one["messages"] + 1
    assert body["websites"] == [
        {"id": history.id, "name": "Shop", "chats": 3, "messages": 9, "visitors": 3},
        {"id": other.id, "name": "Second", "chats": 1, "messages": 1, "visitors": 0},
    ]
    assert len(body["series"]) == 3


def test_empty_ranges_give_zeros_and_null_averages(owner_api, history):
    body = owner_api.get(
        f"/api/v1/analytics/websites/{history.id}", {"from": "2025-01-01", "to": "2025-01-31"}
    ).json()
    totals = body["totals"]
    assert totals["chats"] == totals["messages"] == totals["visitors"] == 0
    assert totals["avg_first_response_seconds"] is None and totals["avg_chat_duration_seconds"] is None
    assert totals["active_chats"] == 1  # now, not limited to the range
    assert len(body["series"]) == 31 and all(d["chats"] == 0 for d in body["series"])
    assert body["busiest_hours"] == []


def test_the_default_range_is_the_last_30_days(owner_api, site):
    body = owner_api.get(f"/api/v1/analytics/websites/{site.id}").json()
    today = datetime.now(UTC).date()
    assert body["range"] == {
        "from": (today - timedelta(days=29)).isoformat(),
        "to": today.isoformat(),
        "tz": "UTC",
    }
    assert len(body["series"]) == 30


@pytest.mark.parametrize(
    "params, field",
    [
        ({"from": "2026-13-01"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-1-1"}, "from"),
        ({"to": "2026-02-30"}, "to"),
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"tz": "../../etc/passwd"}, "tz"),
        ({"from": "2026-03-12", "to": "2026-03-10"}, "from"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "from"),
    ],
)
def test_bad_parameters_name_themselves(owner_api, site, params, field):
    for path in (f"/api/v1/analytics/websites/{site.id}", "/api/v1/analytics/dashboard"):
        response = owner_api.get(path, params)
        assert response.status_code == 400
        assert list(response.json()["details"]) == [field]


def test_366_days_is_allowed(owner_api, site):
    response = owner_api.get(
        f"/api/v1/analytics/websites/{site.id}", {"from": "2025-01-01", "to": "2026-01-01"}
    )
    assert response.status_code == 200 and len(response.json()["series"]) == 366


def test_roles(api, site, make_user):
    agent, stranger = make_user(), make_user()
    Membership.objects.create(website=site, user=agent, role="agent")
    api.credentials(**bearer(agent))
    assert api.get(f"/api/v1/analytics/websites/{site.id}").status_code == 200
    api.credentials(**bearer(stranger))
    assert api.get(f"/api/v1/analytics/websites/{site.id}").status_code == 404
    assert api.get("/api/v1/analytics/dashboard").json()["websites"] == []
    api.credentials()
    assert api.get("/api/v1/analytics/dashboard").status_code == 401


def test_csv_has_the_series(owner_api, history):
    response = owner_api.get(
        f"/api/v1/analytics/websites/{history.id}",
        {"from": "2026-03-10", "to": "2026-03-12", "format": "csv"},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["date", "chats", "messages", "visitors"]
    json_series = owner_api.get(
        f"/api/v1/analytics/websites/{history.id}", {"from": "2026-03-10", "to": "2026-03-12"}
    ).json()["series"]
    assert rows[1:] == [
        [d["date"], str(d["chats"]), str(d["messages"]), str(d["visitors"])] for d in json_series
    ]
    dashboard = owner_api.get(
        "/api/v1/analytics/dashboard", {"from": "2026-03-10", "to": "2026-03-12", "format": "csv"}
    )
    assert dashboard.content.decode().splitlines()[0] == "date,chats,messages,visitors"


def test_sealed_and_recent_rows_add_up_to_a_direct_count(owner_api, site):
    """Old rows come from rollups (on PostgreSQL), the last minutes from the tables: no gap, no overlap."""
    from django.utils import timezone

    from analytics import rollups

    now = timezone.now()
    visitor = Visitor.objects.create(website=site)
    for minutes in (60 * 24 * 3, 60 * 5, 31, 16, 14, 1):  # around the seal point (15 minutes)
        make_chat(
            site,
            visitor,
            now - timedelta(minutes=minutes),
            closed_after=1,
            messages=[("visitor", 0), ("agent", 1)],
        )
    url = f"/api/v1/analytics/websites/{site.id}"
    params = {"from": (now - timedelta(days=5)).date().isoformat(), "to": now.date().isoformat()}
    first = owner_api.get(url, params).json()
    assert first["totals"]["chats"] == 6 and first["totals"]["messages"] == 12
    if rollups.enabled():
        from analytics.models import Rollup

        assert Rollup.objects.filter(website=site).exists()
    again = owner_api.get(url, params).json()  # rollups now built: the same figures
    assert again["totals"] == first["totals"] and again["series"] == first["series"]


def test_deleting_rows_keeps_the_figures_exact(owner_api, history):
    from analytics import rollups

    url = f"/api/v1/analytics/websites/{history.id}"
    params = {"from": "2026-03-10", "to": "2026-03-12"}
    before = owner_api.get(url, params).json()["totals"]
    chat = Chat.objects.filter(website=history, started_at__date="2026-03-11").first()
    chat.delete()
    rollups.forget(website_id=history.id)  # what the deleting commands call
    after = owner_api.get(url, params).json()["totals"]
    assert after["chats"] == before["chats"] - 1
    assert after == expected(history, date(2026, 3, 10), date(2026, 3, 12), UTC)["totals"]
