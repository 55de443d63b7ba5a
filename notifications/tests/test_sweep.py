"""The unread sweep against the real database, presence store and SMTP server:
who is emailed, when, and only once per window."""

import threading
import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from chat import presence
from chat import services as chat_services
from chat.models import Chat
from chatelly.db import on_postgres
from mail import services as mail_services
from mail.models import EmailDelivery, EmailStatus
from notifications import services
from notifications.models import NotificationPreference
from notifications.tests.conftest import backdate
from websites import services as website_services

pytestmark = pytest.mark.django_db(transaction=True)


def recipients(smtp_server, count):
    return sorted(to for got in smtp_server.handler.wait_for(count) for to in got.rcpt_tos)


def prefer(user, **fields):
    NotificationPreference.objects.update_or_create(user=user, defaults=fields)


def test_the_assigned_agent_alone_gets_the_unread_messages(
    smtp_server, site, add_member, visitor_says, sweep
):
    ana = add_member(site, "ana@example.com")
    add_member(site, "bob@example.com")
    chat = visitor_says(site, "Where is my <order>?", name="Vera", email="vera@example.net")
    chat_services.chat_assign(user=site.user, chat_id=chat.id, assignee_id=ana.id)
    visitor_says(site, "Hello??", visitor=chat.visitor_record)
    assert sweep(minutes=4).emails == 1
    [got] = smtp_server.handler.wait_for(1)
    assert got.rcpt_tos == ["ana@example.com"]
    assert got.subject == "Vera is waiting on Shop (2 unread messages)"
    text = got.part("text/plain")
    assert "Vera <vera@example.net> wrote on Shop" in text
    assert text.index("Where is my <order>?") < text.index("Hello??")
    assert f"http://127.0.0.1:8000/app/#/inbox/{chat.id}" in text
    html = got.part("text/html")
    assert "Where is my &lt;order&gt;?" in html and "<order>" not in html
    assert f'href="http://127.0.0.1:8000/app/#/inbox/{chat.id}"' in html
    key = f"unread:{chat.id}:{chat.messages.order_by('seq').first().seq}:{ana.id}"
    assert EmailDelivery.objects.get().key == key


def test_an_assignee_who_left_the_website_is_not_emailed(smtp_server, site, add_member, visitor_says, sweep):
    ana = add_member(site, "ana@example.com")
    add_member(site, "bob@example.com")
    chat = visitor_says(site)
    chat_services.chat_assign(user=site.user, chat_id=chat.id, assignee_id=ana.id)
    website_services.member_remove(membership=site.memberships.get(user=ana))
    assert Chat.objects.get(id=chat.id).assigned_to_id == ana.id  # still named on the chat
    sweep(minutes=4)
    assert recipients(smtp_server, 2) == ["bob@example.com", "owner@shop.example.com"]


def test_unassigned_chats_go_to_the_members_online(smtp_server, site, add_member, visitor_says, sweep):
    ana = add_member(site, "ana@example.com")
    add_member(site, "bob@example.com")
    presence.agent_connected(website_ids=[site.id], connection_id="ana-tab", user_id=ana.id)
    visitor_says(site)
    sweep(minutes=4)
    assert recipients(smtp_server, 1) == ["ana@example.com"]
    assert EmailDelivery.objects.count() == 1


def test_with_nobody_online_every_member_is_emailed(
    smtp_server, site, add_member, visitor_says, sweep, make_user
):
    add_member(site, "ana@example.com")
    add_member(site, "bob@example.com")
    inactive = add_member(site, "gone@example.com")
    inactive.is_active = False
    inactive.save()
    stranger = make_user(email="stranger@example.com")
    presence.agent_connected(
        website_ids=[], connection_id="stranger-tab", user_id=stranger.id
    )  # not a member
    visitor_says(site)
    assert sweep(minutes=4).emails == 3
    assert recipients(smtp_server, 3) == ["ana@example.com", "bob@example.com", "owner@shop.example.com"]


def test_nothing_is_sent_before_each_users_minutes(smtp_server, site, add_member, visitor_says, sweep):
    slow = add_member(site, "slow@example.com")
    prefer(slow, unread_minutes=10)
    prefer(site.user, unread_minutes=3)
    visitor_says(site)
    assert sweep(minutes=2).emails == 0
    assert sweep(minutes=5).emails == 1
    assert recipients(smtp_server, 1) == ["owner@shop.example.com"]
    assert sweep(minutes=9).emails == 0
    assert sweep(minutes=11).emails == 1
    assert recipients(smtp_server, 2) == ["owner@shop.example.com", "slow@example.com"]


def test_the_default_minutes_come_from_the_settings(smtp_server, site, visitor_says, sweep, settings):
    settings.CHATELLY_NOTIFY_DEFAULT_MINUTES = 7
    visitor_says(site)
    assert sweep(minutes=6).emails == 0
    assert sweep(minutes=8).emails == 1


def test_one_email_per_window_however_often_the_sweep_runs(smtp_server, site, visitor_says, sweep):
    chat = visitor_says(site, "one")
    assert sweep(minutes=4).emails == 1
    visitor_says(site, "two", visitor=chat.visitor_record)  # the same window: nothing read yet
    assert [sweep(minutes=m).emails for m in (5, 6, 30)] == [0, 0, 0]
    assert len(smtp_server.handler.wait_for(1)) == 1
    assert EmailDelivery.objects.count() == 1


def test_a_read_then_a_new_message_opens_a_new_window(smtp_server, site, visitor_says, sweep):
    chat = visitor_says(site, "first")
    sweep(minutes=4)
    chat.refresh_from_db()
    chat_services.messages_read_by_agent(user=site.user, chat_id=chat.id, seq=chat.last_seq)
    assert sweep(minutes=8).emails == 0  # all read: no window
    second = visitor_says(site, "second", visitor=chat.visitor_record)
    assert second.id == chat.id
    assert sweep(minutes=4).emails == 1
    _, later = smtp_server.handler.wait_for(2)
    assert "second" in later.part("text/plain") and "first" not in later.part("text/plain")
    assert EmailDelivery.objects.count() == 2


def test_an_agent_reading_in_time_stops_the_email(smtp_server, site, visitor_says, sweep):
    chat = visitor_says(site)
    chat.refresh_from_db()
    chat_services.messages_read_by_agent(user=site.user, chat_id=chat.id, seq=chat.last_seq)
    assert sweep(minutes=10).emails == 0
    assert EmailDelivery.objects.count() == 0


def test_email_off_sends_nothing(smtp_server, site, visitor_says, sweep):
    prefer(site.user, email_enabled=False, push_enabled=False)
    visitor_says(site)
    assert sweep(minutes=10).emails == 0
    assert EmailDelivery.objects.count() == 0


def test_quiet_hours_across_midnight_in_the_users_zone_hold_the_email_until_they_end(
    smtp_server, site, visitor_says, sweep
):
    zone = zoneinfo.ZoneInfo("America/New_York")
    prefer(site.user, quiet_start="22:00", quiet_end="07:00", time_zone="America/New_York")
    night = datetime(2026, 12, 5, 23, 30, tzinfo=zone)  # 04:30 UTC on the 6th
    backdate(visitor_says(site), night - timedelta(minutes=10))
    assert sweep(at=night).emails == 0
    assert sweep(at=datetime(2026, 12, 6, 6, 59, tzinfo=zone)).emails == 0  # past midnight, still quiet
    assert EmailDelivery.objects.count() == 0
    # When they end, a chat still unread is told (documented choice).
    assert sweep(at=datetime(2026, 12, 6, 7, 0, tzinfo=zone)).emails == 1
    assert recipients(smtp_server, 1) == ["owner@shop.example.com"]


def test_quiet_hours_are_read_on_the_users_clock_not_utc(smtp_server, site, visitor_says, sweep):
    # 12:00 UTC is 21:00 in Tokyo: inside 20:00-23:00 there, outside it in UTC.
    noon_utc = datetime(2026, 12, 6, 12, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))
    backdate(visitor_says(site), noon_utc - timedelta(minutes=10))
    prefer(site.user, quiet_start="20:00", quiet_end="23:00", time_zone="Asia/Tokyo")
    assert sweep(at=noon_utc).emails == 0
    prefer(site.user, quiet_start="20:00", quiet_end="23:00", time_zone="UTC")
    assert sweep(at=noon_utc).emails == 1


def test_a_stored_zone_this_host_no_longer_knows_is_read_as_utc(smtp_server, site, visitor_says, sweep):
    # E.g. removed by a later tzdata: the sweep goes on, for this user too.
    NotificationPreference.objects.update_or_create(
        user=site.user, defaults={"quiet_start": "20:00", "quiet_end": "23:00", "time_zone": "Mars/Olympus"}
    )
    evening_utc = datetime(2026, 12, 6, 21, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))
    backdate(visitor_says(site), evening_utc - timedelta(minutes=10))
    assert sweep(at=evening_utc).emails == 0  # quiet hours, on UTC's clock
    assert sweep(at=evening_utc.replace(hour=23)).emails == 1


def test_a_visitor_mail_unsubscribe_does_not_silence_the_agents_own_alerts(
    smtp_server, site, visitor_says, sweep
):
    # Anyone can send a transcript to an agent's address, and its unsubscribe link
    # is for that website's visitor mail only.
    mail_services.suppress(site.user.email, reason="unsubscribe", website_id=site.id)
    visitor_says(site)
    assert sweep(minutes=10).emails == 1
    assert recipients(smtp_server, 1) == [site.user.email]
    assert EmailDelivery.objects.get().website_id is None  # not in a visitor's erase or export


def test_a_bounced_agent_address_is_not_written_to(smtp_server, site, visitor_says, sweep):
    mail_services.suppress(site.user.email, reason="bounce")
    visitor_says(site)
    sweep(minutes=10)
    assert EmailDelivery.objects.get().status == EmailStatus.SUPPRESSED


def test_closed_and_old_chats_are_ignored(smtp_server, site, visitor_says, sweep):
    closed = visitor_says(site, "closed one")
    chat_services.chat_close(chat=closed)
    old = visitor_says(site, "old one")
    backdate(old, timezone.now() - timedelta(hours=50))
    assert sweep(minutes=10).chats == 0
    assert EmailDelivery.objects.count() == 0


@pytest.mark.parametrize("minutes", [1439, 1440])
def test_the_longest_wait_a_user_can_choose_is_still_notified(
    smtp_server, site, visitor_says, sweep, minutes
):
    prefer(site.user, unread_minutes=minutes)
    chat = visitor_says(site)
    backdate(chat, timezone.now() - timedelta(minutes=minutes, seconds=20))
    assert sweep().emails == 1


def test_the_longest_wait_then_quiet_hours_is_still_notified(smtp_server, site, visitor_says, sweep):
    # 1440 minutes, then nearly a day of quiet hours: told when they end.
    zone = zoneinfo.ZoneInfo("UTC")
    prefer(site.user, unread_minutes=1440, quiet_start="07:01", quiet_end="07:00", time_zone="UTC")
    sent = datetime(2026, 12, 4, 7, 0, tzinfo=zone)
    backdate(visitor_says(site), sent)
    assert sweep(at=sent + timedelta(days=1, minutes=1)).emails == 0  # due, but quiet
    assert sweep(at=sent + timedelta(days=2)).emails == 1  # 07:00: quiet hours over


def test_a_leave_a_message_form_chat_is_emailed_like_any_other(smtp_server, site, visitor_says, sweep):
    site = website_services.website_update(website=site, settings={"offline_mode": "form"})
    assert not presence.agents_online(site.id)
    # The form's path: the socket identifies with the email, then sends the message.
    chat = visitor_says(site, "Please call me back about the invoice.", email="form@example.net")
    sweep(minutes=4)
    [got] = smtp_server.handler.wait_for(1)
    assert got.rcpt_tos == ["owner@shop.example.com"]
    assert got.subject == "form@example.net is waiting on Shop"
    assert "Please call me back about the invoice." in got.part("text/plain")
    assert f"/app/#/inbox/{chat.id}" in got.part("text/plain")


@pytest.mark.parametrize("name", ["Eve\r\nBcc: victim@example.com", "Eve\nBcc: victim@example.com"])
def test_a_visitor_name_cannot_add_a_header(smtp_server, site, visitor_says, sweep, name):
    visitor_says(site, "hi", name=name)
    sweep(minutes=4)
    [got] = smtp_server.handler.wait_for(1)
    assert got.rcpt_tos == ["owner@shop.example.com"]
    assert got.message["Bcc"] is None
    assert "\n" not in got.subject and got.subject.startswith("Eve")


def test_at_most_ten_messages_newest_last(smtp_server, site, visitor_says, sweep):
    chat = visitor_says(site, "message 1")
    for n in range(2, 13):
        visitor_says(site, f"message {n}", visitor=chat.visitor_record)
    sweep(minutes=4)
    [got] = smtp_server.handler.wait_for(1)
    text = got.part("text/plain")
    assert "message 1\n" not in text and "message 2\n" not in text
    assert text.index("message 3") < text.index("message 12")
    assert "2 earlier unread messages not shown" in text


def test_two_sweeps_that_both_miss_the_look_up_still_queue_one_email(
    smtp_server, site, visitor_says, monkeypatch
):
    """As on two workers at the same moment: the second finds no key in its
    look-up (forced here), and the unique key of the email row still holds."""
    from notifications import selectors

    visitor_says(site)
    at = timezone.now() + timedelta(minutes=4)
    assert services.sweep_unread(now=at).emails == 1
    monkeypatch.setattr(selectors, "existing_email_keys", lambda keys: set())
    services.sweep_unread(now=at)
    assert EmailDelivery.objects.count() == 1
    assert len(smtp_server.handler.wait_for(2, timeout=1)) == 1


def test_the_periodic_job_is_the_sweep(smtp_server, site, visitor_says, settings):
    from chatelly.jobs import app
    from notifications.tasks import sweep_unread

    assert settings.CELERY_BEAT_SCHEDULE["notify-unread-chats"]["task"] == sweep_unread.name
    assert app.tasks["notifications.sweep_unread"].name == "notifications.sweep_unread"
    chat = visitor_says(site)
    backdate(chat, timezone.now() - timedelta(minutes=5))
    assert sweep_unread.apply().get() == {"chats": 1, "emails": 1, "pushes": 0}
    assert recipients(smtp_server, 1) == ["owner@shop.example.com"]


@pytest.mark.skipif(not on_postgres(), reason="two database connections at once (SQLite would queue them)")
def test_two_workers_sweeping_at_the_same_moment_send_one_email_per_user(
    smtp_server, site, add_member, visitor_says
):
    add_member(site, "ana@example.com")
    for n in range(5):
        visitor_says(site, f"chat {n}")
    at = timezone.now() + timedelta(minutes=4)
    start = threading.Barrier(2)

    def worker():
        start.wait()
        try:
            services.sweep_unread(now=at)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert EmailDelivery.objects.count() == 10
    received = smtp_server.handler.wait_for(10)
    smtp_server.handler.wait_for(11, timeout=1)
    assert len(smtp_server.handler.received) == len(received) == 10
