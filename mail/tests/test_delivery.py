"""Email against a real SMTP server (aiosmtpd on 127.0.0.1), through Django's
SMTP backend and the send job, with the job's retries and bounces."""

import socket

import pytest

from chatelly.jobs import backoff_seconds
from mail import services
from mail.models import EmailDelivery, EmailStatus, Suppression

pytestmark = pytest.mark.django_db(transaction=True)


def queue(key="k1", to="ana@example.com", **extra):
    context = {"subject": "Hello", "body": "Line one.\nLine <two>.", "link_url": "http://x.test/a?b=1&c=2"}
    context.update(extra.pop("context", {}))
    return services.queue_email(key=key, kind="test", to=to, template="plain", context=context, **extra)


def test_an_email_arrives_with_a_text_and_an_html_part(smtp_server):
    delivery = queue()
    [got] = smtp_server.handler.wait_for(1)
    assert got.rcpt_tos == ["ana@example.com"]
    assert got.subject == "Hello"
    assert "Line <two>." in got.part("text/plain")
    assert "http://x.test/a?b=1&c=2" in got.part("text/plain")
    html = got.part("text/html")
    assert "Line &lt;two&gt;." in html and "<two>" not in html
    assert 'href="http://x.test/a?b=1&amp;c=2"' in html
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (EmailStatus.SENT, 1)
    assert (
        got.message["Message-ID"].startswith("<") and f"chatelly-{delivery.id}" in got.message["Message-ID"]
    )


def test_the_same_key_twice_sends_one_email(smtp_server):
    first = queue(key="same")
    second = queue(key="same", context={"subject": "Other"})
    assert first.id == second.id
    smtp_server.handler.wait_for(1)
    assert len(smtp_server.handler.received) == 1
    assert EmailDelivery.objects.count() == 1


def test_running_the_job_again_after_a_send_sends_nothing(smtp_server):
    from mail.tasks import send_email

    delivery = queue()
    smtp_server.handler.wait_for(1)
    assert send_email.apply(args=[delivery.id]).get() == EmailStatus.SENT
    assert len(smtp_server.handler.received) == 1


@pytest.mark.parametrize(
    "subject",
    [
        "Hi\r\nBcc: victim@example.com",
        "Hi\nBcc: victim@example.com",
        "Hi\rX-Evil: 1",
        "Hi\u2028Bcc: v@example.com",
    ],
)
def test_a_subject_cannot_add_headers(smtp_server, subject):
    queue(context={"subject": subject})
    [got] = smtp_server.handler.wait_for(1)
    assert got.rcpt_tos == ["ana@example.com"]
    assert got.message["Bcc"] is None and got.message["X-Evil"] is None
    assert "\n" not in got.subject and got.subject.startswith("Hi ")


@pytest.mark.parametrize(
    "to", ["a@example.com\r\nBcc: b@example.com", "not-an-address", "a@b@example.com", ""]
)
def test_a_bad_address_is_refused_before_anything_is_queued(smtp_server, to):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        queue(to=to)
    assert EmailDelivery.objects.count() == 0


def test_a_passing_refusal_is_retried_until_the_email_goes(smtp_server):
    smtp_server.handler.defer_data = 2
    delivery = queue()
    [got] = smtp_server.handler.wait_for(1)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (EmailStatus.SENT, 3)
    assert got.subject == "Hello"


def test_a_refused_address_bounces_once_and_is_never_written_to_again(smtp_server):
    smtp_server.handler.refuse_rcpt = {"gone@example.com"}
    delivery = queue(to="gone@example.com")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (EmailStatus.BOUNCED, 1)
    assert "550" in delivery.last_error
    assert Suppression.objects.filter(email="gone@example.com", website_id=0, reason="bounce").exists()
    later = queue(key="k2", to="Gone@Example.com")
    assert later.status == EmailStatus.SUPPRESSED
    assert smtp_server.handler.received == []


def test_an_unsubscribed_address_gets_no_email_from_that_website_only(smtp_server):
    services.suppress("ana@example.com", reason="unsubscribe", website_id=7)
    assert queue(key="a", website_id=7).status == EmailStatus.SUPPRESSED
    other = queue(key="b", website_id=8)
    assert [r.rcpt_tos for r in smtp_server.handler.wait_for(1)] == [["ana@example.com"]]
    other.refresh_from_db()
    assert other.status == EmailStatus.SENT
    assert EmailDelivery.objects.get(key="a").attempts == 0


def test_an_unsubscribe_link_becomes_one_click_headers(smtp_server):
    queue(unsubscribe_url="http://127.0.0.1:8000/email/unsubscribe?token=abc")
    [got] = smtp_server.handler.wait_for(1)
    assert got.message["List-Unsubscribe"] == "<http://127.0.0.1:8000/email/unsubscribe?token=abc>"
    assert got.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "http://127.0.0.1:8000/email/unsubscribe?token=abc" in got.part("text/plain")


def _dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_server_is_retried_then_the_email_is_marked_failed(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _dead_port(), 2
    settings.CHATELLY_EMAIL_MAX_RETRIES = 3
    delivery = queue()  # the caller is not failed: the job keeps the error
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (EmailStatus.FAILED, 4)
    assert "ConnectionRefusedError" in delivery.last_error


def test_the_back_off_grows_and_is_capped():
    waits = [backoff_seconds(n) for n in range(12)]
    assert 24 <= waits[0] <= 36 and 48 <= waits[1] <= 72
    assert all(w <= 3600 * 1.2 for w in waits) and waits[11] >= 3600 * 0.8


def test_an_email_whose_job_never_ran_is_queued_again_by_the_sweep(smtp_server):
    from datetime import timedelta

    from django.utils import timezone

    from chatelly.jobs import app as jobs_app

    jobs_app.conf.task_always_eager = False  # the job "is lost": no worker takes the queue
    try:
        delivery = queue()
    finally:
        jobs_app.conf.task_always_eager = True
    assert smtp_server.handler.received == []
    assert services.requeue_unsent(now=timezone.now()) == 0  # too young: its job may be on its way
    assert services.requeue_unsent(now=timezone.now() + timedelta(minutes=11)) == 1
    [got] = smtp_server.handler.wait_for(1)
    assert got.subject == "Hello"
    delivery.refresh_from_db()
    assert delivery.status == EmailStatus.SENT
    assert services.requeue_unsent(now=timezone.now() + timedelta(minutes=11)) == 0


@pytest.mark.parametrize("refuse", [False, True])
def test_a_sensitive_body_is_forgotten_once_sent_or_bounced(smtp_server, refuse):
    if refuse:
        smtp_server.handler.refuse_rcpt = {"ana@example.com"}
    delivery = services.queue_email(
        key="secret", kind="test", to="ana@example.com", template="plain",
        context={"subject": "Reset", "body": "token=abc123", "link_url": "http://x.test/?token=abc123"},
        sensitive=True,
    )  # fmt: skip
    if not refuse:
        [got] = smtp_server.handler.wait_for(1)
        assert "token=abc123" in got.part("text/plain")
    delivery.refresh_from_db()
    assert delivery.status == (EmailStatus.BOUNCED if refuse else EmailStatus.SENT)
    assert "abc123" not in delivery.text + delivery.html
    assert delivery.text == services.BLANKED


def test_a_sensitive_body_is_kept_while_its_send_is_retried(smtp_server, settings):
    settings.CHATELLY_EMAIL_MAX_RETRIES = 0
    smtp_server.handler.defer_data = 1
    delivery = services.queue_email(
        key="secret2", kind="test", to="ana@example.com", template="plain",
        context={"subject": "Reset", "body": "token=abc123"}, sensitive=True,
    )  # fmt: skip
    delivery.refresh_from_db()
    assert delivery.status == EmailStatus.FAILED and delivery.text == services.BLANKED
