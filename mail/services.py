"""The one way to send email: `queue_email` renders it and queues a job after
commit; `deliver` (the job's work) sends it once and records what happened."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from chatelly import jobs

from .headers import one_line
from .models import EmailDelivery, EmailStatus, Suppression, SuppressionReason

# Codes that mean "fix the configuration", not "this address is bad".
_CONFIG_CODES = {530, 534, 535, 538}


def normalize(email: str) -> str:
    return email.strip().lower()


def is_suppressed(email: str, website_id: int | None = None) -> bool:
    ids = [0] if website_id is None else [0, website_id]
    return Suppression.objects.filter(email=normalize(email), website_id__in=ids).exists()


def suppress(email: str, *, reason: str, website_id: int | None = None) -> None:
    """Stop writing to `email` (for one website's visitor mail, or everywhere)."""
    try:
        with transaction.atomic():
            Suppression.objects.get_or_create(
                email=normalize(email), website_id=website_id or 0, defaults={"reason": reason}
            )
    except IntegrityError:  # a concurrent call made it
        pass


def render(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) from mail/<template>_subject.txt, .txt and .html;
    the subject is one header-safe line whatever the context holds."""
    subject = one_line(render_to_string(f"mail/{template}_subject.txt", context), limit=200)
    text = render_to_string(f"mail/{template}.txt", context)
    html = render_to_string(f"mail/{template}.html", context)
    return subject, text, html


def queue_email(
    *,
    key: str,
    kind: str,
    to: str,
    template: str,
    context: dict[str, Any],
    website_id: int | None = None,
    unsubscribe_url: str = "",
    sensitive: bool = False,
) -> EmailDelivery:
    """Render and queue one email; the same `key` again returns the first one
    and queues nothing. An address that bounced, or unsubscribed from this
    website, gets a row marked suppressed and no email. `sensitive`: the body
    holds a secret link, blanked once the email has gone (or will not go)."""
    validate_email(to)
    existing = EmailDelivery.objects.filter(key=key).first()
    if existing is not None:
        return existing
    subject, text, html = render(template, {**context, "unsubscribe_url": unsubscribe_url})
    headers = {}
    if unsubscribe_url:
        # RFC 8058 one-click unsubscribe, which mail clients show as a button.
        headers = {
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    status = EmailStatus.SUPPRESSED if is_suppressed(to, website_id) else EmailStatus.QUEUED
    try:
        with transaction.atomic():
            delivery = EmailDelivery.objects.create(
                key=key[:200], kind=kind, to=to, subject=subject, text=text, html=html,
                headers=headers, website_id=website_id, status=status, sensitive=sensitive,
            )  # fmt: skip
            if status == EmailStatus.SUPPRESSED:
                _forget_body(delivery)
    except IntegrityError:
        return EmailDelivery.objects.get(key=key[:200])
    if status == EmailStatus.QUEUED:
        from .tasks import send_email

        jobs.on_commit(send_email, delivery.id)
    return delivery


@dataclass
class Outcome:
    """What one attempt did: `retry` says whether trying again may help."""

    status: str
    retry: bool = False
    error: str = ""


def _message(delivery: EmailDelivery) -> EmailMultiAlternatives:
    headers = {name: one_line(value, limit=900) for name, value in delivery.headers.items()}
    # The same Message-ID on every attempt, so a resend after a crash is one email.
    headers["Message-ID"] = make_msgid(idstring=f"chatelly-{delivery.id}", domain="chatelly")
    message = EmailMultiAlternatives(
        subject=one_line(delivery.subject), body=delivery.text,
        from_email=settings.DEFAULT_FROM_EMAIL, to=[delivery.to], headers=headers,
    )  # fmt: skip
    if delivery.html:
        message.attach_alternative(delivery.html, "text/html")
    return message


def _classify(exc: Exception) -> Outcome:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        if codes and all(500 <= code < 600 for code in codes):
            return Outcome(EmailStatus.BOUNCED, error=f"recipient refused: {exc.recipients}")
        return Outcome(EmailStatus.QUEUED, retry=True, error=f"recipient deferred: {exc.recipients}")
    code = getattr(exc, "smtp_code", None)
    if isinstance(code, int) and 500 <= code < 600 and code not in _CONFIG_CODES:
        return Outcome(EmailStatus.FAILED, error=f"refused ({code}): {exc}")
    return Outcome(EmailStatus.QUEUED, retry=True, error=f"{type(exc).__name__}: {exc}")


BLANKED = "(Removed once sent: it held a one-time link.)"


def _forget_body(delivery: EmailDelivery) -> None:
    """Blank a sensitive email's body (its link must not outlive the send)."""
    if delivery.sensitive:
        delivery.text, delivery.html = BLANKED, ""
        delivery.save(update_fields=["text", "html"])


def deliver(delivery_id: int) -> Outcome:
    """Send one queued email, at most once: a row already sent, bounced or
    suppressed is left alone. A refused address is suppressed for good."""
    with transaction.atomic():
        delivery = EmailDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None or delivery.status != EmailStatus.QUEUED:
            return Outcome(delivery.status if delivery else "missing")
        if is_suppressed(delivery.to, delivery.website_id):
            delivery.status = EmailStatus.SUPPRESSED
            delivery.save(update_fields=["status"])
            _forget_body(delivery)
            return Outcome(EmailStatus.SUPPRESSED)
        delivery.attempts += 1
        try:
            _message(delivery).send(fail_silently=False)
            outcome = Outcome(EmailStatus.SENT)
        except Exception as exc:  # every failure is recorded; `retry` decides
            outcome = _classify(exc)
        delivery.status = outcome.status
        delivery.last_error = outcome.error[:2000]
        if outcome.status == EmailStatus.SENT:
            delivery.sent_at = timezone.now()
        delivery.save(update_fields=["status", "attempts", "last_error", "sent_at"])
        if not outcome.retry:
            _forget_body(delivery)
        if outcome.status == EmailStatus.BOUNCED:
            suppress(delivery.to, reason=SuppressionReason.BOUNCE)
    return outcome


def requeue_unsent(*, older_than: timedelta = timedelta(minutes=10), now: datetime | None = None) -> int:
    """Queue again the emails never tried: their job was lost before reaching
    the queue (Redis away at commit). A job run twice still sends once. Not while
    jobs wait in the queue: a backlog's emails are in it already, and each run
    would add up to a thousand jobs more."""
    from .tasks import send_email

    if jobs.queue_depth():
        return 0
    cutoff = (now or timezone.now()) - older_than
    ids = list(
        EmailDelivery.objects.filter(status=EmailStatus.QUEUED, attempts=0, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("id", flat=True)[:1000]
    )
    for delivery_id in ids:
        jobs.on_commit(send_email, delivery_id)
    return len(ids)


def give_up(delivery_id: int, error: str) -> None:
    """After the last retry: the row says failed (the job's failure is in the admin too)."""
    EmailDelivery.objects.filter(pk=delivery_id, status=EmailStatus.QUEUED).update(
        status=EmailStatus.FAILED, last_error=error[:2000]
    )
    EmailDelivery.objects.filter(pk=delivery_id, sensitive=True).update(text=BLANKED, html="")


def deliveries_purge(*, older_than: datetime, dry_run: bool = False) -> int:
    """Retention: forget emails queued before the cut-off (suppressions stay)."""
    old = EmailDelivery.objects.filter(created_at__lt=older_than)
    return old.count() if dry_run else old.delete()[0]


def deliveries_forget(*, email: str, website_id: int, dry_run: bool = False) -> int:
    """GDPR erasure: the emails one website sent to one address. An unsubscribe
    stays on the suppression list, so the address is still never written to."""
    rows = EmailDelivery.objects.filter(website_id=website_id, to__iexact=email.strip())
    return rows.count() if dry_run else rows.delete()[0]
