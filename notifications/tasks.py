"""Notification jobs: the periodic unread sweep, and one push per subscription,
retried with growing pauses (as mail.send_email is) while the failure may pass."""

from celery import shared_task
from django.conf import settings

from chatelly import jobs

from . import services


class PushNotSent(Exception):
    """Raised on the last failed attempt, so the job shows as failed in the admin."""


@shared_task(name="notifications.sweep_unread")
def sweep_unread() -> dict:
    result = services.sweep_unread()
    return {"chats": result.chats, "emails": result.emails, "pushes": result.pushes}


@shared_task(bind=True, name="notifications.send_push", max_retries=None)
def send_push(self, delivery_id: int) -> str:
    outcome = services.push_deliver(delivery_id)
    if not outcome.retry:
        return outcome.status
    jobs.retry_or_fail(
        self,
        max_retries=settings.CHATELLY_PUSH_MAX_RETRIES,
        first=30.0,
        give_up=lambda: services.push_give_up(delivery_id, outcome.error),
        error=PushNotSent(outcome.error),
    )
