"""Agent replies the visitor has not seen, emailed by the sweep, against a real
SMTP server: when, to whom, once per run of replies, and what the email says."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat import presence
from chat import services as chat_services
from chat.models import Chat, ChatStatus
from mail.models import EmailDelivery, EmailStatus
from visitor_mail import services
from visitor_mail.tasks import sweep_unseen_replies

from .helpers import chat_with_reply, resume_token_in

pytestmark = pytest.mark.django_db(transaction=True)


def later(minutes: float = 3) -> "timezone.datetime":
    return timezone.now() + timedelta(minutes=minutes)


def sweep(minutes: float = 3) -> int:
    return services.unseen_replies_email(now=later(minutes))


def test_a_reply_unseen_for_two_minutes_while_away_is_emailed(smtp_server, site, site_owner):
    _visitor, chat = chat_with_reply(site, site_owner, reply="It is, <b>size 42</b> & more.")
    assert sweep() == 1
    [got] = smtp_server.handler.wait_for(1)
    assert got.rcpt_tos == ["ana@example.com"]
    assert got.subject == "Shop replied to your chat"
    text, html = got.part("text/plain"), got.part("text/html")
    assert "Olga:" in text and "It is, <b>size 42</b> & more." in text
    assert "It is, &lt;b&gt;size 42&lt;/b&gt; &amp; more." in html and "<b>size 42" not in html
    assert "Hello, is this in stock?" not in text  # the visitor's own message is not a reply
    assert "https://shop.example.com/#chatelly-resume=" in text
    assert "Continue the conversation" in html
    assert (
        str(got.message["List-Unsubscribe"])
        .strip()
        .startswith("<http://127.0.0.1:8000/email/unsubscribe?token=")
    )
    assert "Unsubscribe" in html and "/email/unsubscribe?token=" in text
    delivery = EmailDelivery.objects.get()
    first = chat.messages.get(sender_type="agent").seq
    assert (delivery.key, delivery.kind, delivery.website_id) == (
        f"reply:{chat.id}:{first}",
        "visitor_reply",
        site.id,
    )


def test_not_before_the_minutes_have_passed(smtp_server, site, site_owner, settings):
    chat_with_reply(site, site_owner)
    assert sweep(minutes=1) == 0
    settings.CHATELLY_REPLY_EMAIL_MINUTES = 10
    assert sweep(minutes=5) == 0
    assert sweep(minutes=11) == 1
    assert len(smtp_server.handler.wait_for(1)) == 1


@contextmanager
def connected(site, visitor):
    """The visitor has a widget socket open (in the presence store) meanwhile."""
    where = {
        "ip": "203.0.113.7",
        "website_id": site.id,
        "visitor_id": visitor.visitor_id,
        "connection_id": "t",
    }
    presence.visitor_join(**where, max_users=100)
    try:
        yield
    finally:
        presence.visitor_leave(**where)


def test_not_while_the_visitor_is_connected_and_then_once_they_leave(smtp_server, site, site_owner):
    visitor, _chat = chat_with_reply(site, site_owner)
    with connected(site, visitor):
        assert sweep() == 0
    assert sweep() == 1
    assert len(smtp_server.handler.wait_for(1)) == 1


def test_not_when_the_visitor_read_it(smtp_server, site, site_owner):
    visitor, chat = chat_with_reply(site, site_owner)
    chat_services.messages_read_by_visitor(website_id=site.id, visitor=visitor, seq=chat.last_seq)
    assert sweep() == 0
    assert EmailDelivery.objects.count() == 0


def test_not_without_an_email(smtp_server, site, site_owner):
    chat_with_reply(site, site_owner, email="")
    assert sweep() == 0
    assert EmailDelivery.objects.count() == 0


def test_not_for_bot_messages_alone(smtp_server, make_site, site_owner):
    site = make_site(settings={"greeting": "Hi from the bot", "away_message": "Away now"})
    chat_with_reply(site, site_owner, reply="")
    assert sweep() == 0
    chat = Chat.objects.get()
    assert chat.messages.exclude(sender_type="visitor").exists()  # the bot did write


def test_one_email_per_run_of_unseen_replies(smtp_server, site, site_owner):
    visitor, chat = chat_with_reply(site, site_owner, reply="First reply")
    assert sweep() == 1
    assert sweep() == 0  # the same run: nothing new
    chat_services.agent_message_post(user=site_owner, chat_id=chat.id, content="Second reply")
    assert sweep(minutes=10) == 0  # still the same unseen run
    assert sweep_unseen_replies.apply().get() == 0  # the periodic job, on the real clock
    # The visitor reads, then a new reply goes unseen: a new run, a new email.
    chat.refresh_from_db()
    chat_services.messages_read_by_visitor(website_id=site.id, visitor=visitor, seq=chat.last_seq)
    chat_services.agent_message_post(user=site_owner, chat_id=chat.id, content="Third reply")
    assert sweep(minutes=10) == 1
    first, second = smtp_server.handler.wait_for(2)
    assert "First reply" in first.part("text/plain") and "Third reply" not in first.part("text/plain")
    assert "Third reply" in second.part("text/plain") and "First reply" not in second.part("text/plain")
    assert len(smtp_server.handler.received) == 2


def test_at_most_ten_replies_in_one_email(smtp_server, site, site_owner):
    _visitor, chat = chat_with_reply(site, site_owner, reply="reply 1")
    for n in range(2, 13):
        chat_services.agent_message_post(user=site_owner, chat_id=chat.id, content=f"reply {n}")
    assert sweep() == 1
    text = smtp_server.handler.wait_for(1)[0].part("text/plain")
    assert "reply 10\r\n" in text and "reply 11" not in text
    assert "More replies are waiting" in text


def test_a_recently_closed_chat_is_emailed_but_not_one_quiet_for_a_day(smtp_server, site, site_owner):
    _visitor, chat = chat_with_reply(site, site_owner)
    chat_services.chat_close_by_agent(user=site_owner, chat_id=chat.id)
    assert Chat.objects.get().status == ChatStatus.CLOSED
    assert sweep(minutes=25 * 60) == 0
    assert sweep() == 1
    assert len(smtp_server.handler.wait_for(1)) == 1


def test_names_cannot_add_headers(smtp_server, make_site, site_owner):
    site = make_site(name="Shop\r\nBcc: victim@example.com")
    site_owner.name = "Olga\r\nBcc: other@example.com\nX-Evil: 1"
    site_owner.save()
    chat_with_reply(site, site_owner)
    assert sweep() == 1
    [got] = smtp_server.handler.wait_for(1)
    assert got.rcpt_tos == ["ana@example.com"]
    assert got.message["Bcc"] is None and got.message["X-Evil"] is None
    assert "\n" not in got.subject and got.subject.startswith("Shop Bcc: victim@example.com")


def test_the_link_in_the_email_resumes_the_chat(smtp_server, api, site, site_owner):
    from chat.sockets.visitor_tokens import visitor_token_read

    visitor, chat = chat_with_reply(site, site_owner)
    sweep()
    token = resume_token_in(smtp_server.handler.wait_for(1)[0].part("text/plain"))
    response = api.post("/widget/resume", {"token": token, "widget_key": site.widget_key}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["chat"] == {"id": chat.id, "status": "active"}
    assert body["visitor_id"] == visitor.visitor_id and body["email"] == "ana@example.com"
    assert visitor_token_read(body["visitor_token"], website_id=site.id) == visitor.visitor_id
    assert [m["content"] for m in body["messages"] if m["sender_type"] != "bot"] == [
        "Hello, is this in stock?",
        "Here is the answer.",
    ]


def test_an_unsubscribed_address_gets_no_more_reply_email(smtp_server, api, site, site_owner):
    from .helpers import unsubscribe_token_in

    visitor, chat = chat_with_reply(site, site_owner)
    sweep()
    token = unsubscribe_token_in(smtp_server.handler.wait_for(1)[0].part("text/plain"))
    assert api.post(f"/email/unsubscribe?token={token}", {"List-Unsubscribe": "One-Click"}).status_code == 200
    chat_services.messages_read_by_visitor(website_id=site.id, visitor=visitor, seq=chat.last_seq + 1)
    chat_services.agent_message_post(user=site_owner, chat_id=chat.id, content="Are you there?")
    assert sweep(minutes=10) == 1  # queued, and marked suppressed instead of sent
    later_one = EmailDelivery.objects.order_by("-id").first()
    assert later_one.status == EmailStatus.SUPPRESSED and later_one.attempts == 0
    assert len(smtp_server.handler.wait_for(2, timeout=1)) == 1


def test_the_sweep_does_a_fixed_number_of_queries_when_nothing_is_due(site, site_owner, make_site):
    for n in range(4):
        visitor, chat = chat_with_reply(site, site_owner, email=f"v{n}@example.com", client_id=f"c{n}")
        chat_services.messages_read_by_visitor(website_id=site.id, visitor=visitor, seq=chat.last_seq)
    chat_with_reply(make_site(name="Other"), site_owner, email="")
    with CaptureQueriesContext(connection) as queries:
        assert sweep() == 0
    # The websites, one candidate query for them, the websites after them.
    assert len(queries) == 3, [q["sql"] for q in queries]


def test_the_periodic_job_is_registered_under_the_beat_schedules_name(
    smtp_server, site, site_owner, settings
):
    from chatelly.jobs import app

    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].startswith("visitor_mail.")]
    assert entry["task"] == "visitor_mail.sweep_unseen_replies" and entry["task"] in app.tasks
    chat_with_reply(site, site_owner)
    settings.CHATELLY_REPLY_EMAIL_MINUTES = 0  # due at once on the real clock
    assert app.tasks[entry["task"]].apply().get() == 1
    assert smtp_server.handler.wait_for(1)[0].rcpt_tos == ["ana@example.com"]


def test_a_sweep_caps_its_emails_and_the_next_one_takes_the_rest(smtp_server, site, site_owner, monkeypatch):
    monkeypatch.setattr(services, "EMAILS_PER_SWEEP", 2)
    online, _chat = chat_with_reply(site, site_owner, email="online@example.com", client_id="c0")
    for n in range(1, 4):
        chat_with_reply(site, site_owner, email=f"v{n}@example.com", client_id=f"c{n}")
    with connected(site, online):
        # The connected visitor's chat, first in line, does not use up the cap.
        assert [sweep(), sweep(), sweep()] == [2, 1, 0]
    received = smtp_server.handler.wait_for(3)
    assert sorted(r.rcpt_tos[0] for r in received) == ["v1@example.com", "v2@example.com", "v3@example.com"]
