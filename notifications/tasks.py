"""Notification jobs: the periodic unread sweep, and one push per subscription,
retried with growing pauses (as mail.send_email is) while the failure may pass."""

import random

from celery import shared_task
from django.conf import settings

from . import services

# How often a failed push is tried again before it is marked failed.
PUSH_MAX_RETRIES = 6


class PushNotSent(Exception):
    """Raised on the last failed attempt, so the job shows as failed in the admin."""


def backoff_seconds(retries: int) -> float:
    """30 s, 1 min, 2 min, ... capped at an hour, with jitter."""
    return min(30 * 2**retries, 3600) * random.uniform(0.8, 1.2)  # noqa: S311


@shared_task(name="notifications.sweep_unread")
def sweep_unread() -> dict:
    result = services.sweep_unread()
    return {"chats": result.chats, "emails": result.emails, "pushes": result.pushes}


@shared_task(bind=True, name="notifications.send_push", max_retries=None)
def send_push(self, delivery_id: int) -> str:
    outcome = services.push_deliver(delivery_id)
    if not outcome.retry:
        return outcome.status
    if self.request.retries >= settings.CHATELLY_PUSH_MAX_RETRIES:
        services.push_give_up(delivery_id, outcome.error)
        raise PushNotSent(outcome.error)
    raise self.retry(countdown=backoff_seconds(self.request.retries))
