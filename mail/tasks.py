"""The send job: retried with growing pauses while the failure may pass."""

import random

from celery import shared_task
from django.conf import settings

from . import services


class EmailNotSent(Exception):
    """Raised on the last failed attempt, so the job shows as failed in the admin."""


def backoff_seconds(retries: int) -> float:
    """30 s, 1 min, 2 min, ... (CHATELLY_EMAIL_RETRY_SECONDS doubling) capped at
    an hour, with jitter so that a recovered server is not hit by every job at once."""
    first = settings.CHATELLY_EMAIL_RETRY_SECONDS
    return min(first * 2**retries, 3600) * random.uniform(0.8, 1.2)  # noqa: S311


@shared_task(bind=True, name="mail.send_email", max_retries=None)
def send_email(self, delivery_id: int) -> str:
    outcome = services.deliver(delivery_id)
    if not outcome.retry:
        return outcome.status
    if self.request.retries >= settings.CHATELLY_EMAIL_MAX_RETRIES:
        services.give_up(delivery_id, outcome.error)
        raise EmailNotSent(outcome.error)
    raise self.retry(countdown=backoff_seconds(self.request.retries))


@shared_task(name="mail.requeue_unsent")
def requeue_unsent() -> int:
    return services.requeue_unsent()
