"""The send job: retried with growing pauses while the failure may pass."""

from celery import shared_task
from django.conf import settings

from chatelly import jobs

from . import services


class EmailNotSent(Exception):
    """Raised on the last failed attempt, so the job shows as failed in the admin."""


@shared_task(bind=True, name="mail.send_email", max_retries=None)
def send_email(self, delivery_id: int) -> str:
    outcome = services.deliver(delivery_id)
    if not outcome.retry:
        return outcome.status
    jobs.retry_or_fail(
        self,
        max_retries=settings.CHATELLY_EMAIL_MAX_RETRIES,
        first=settings.CHATELLY_EMAIL_RETRY_SECONDS,
        give_up=lambda: services.give_up(delivery_id, outcome.error),
        error=EmailNotSent(outcome.error),
    )


@shared_task(name="mail.requeue_unsent")
def requeue_unsent() -> int:
    return services.requeue_unsent()
