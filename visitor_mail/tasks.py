"""visitor_mail's jobs: the periodic sweep of unseen replies, and transcripts."""

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="visitor_mail.sweep_unseen_replies")
def sweep_unseen_replies() -> int:
    return services.unseen_replies_email(now=timezone.now())


@shared_task(name="visitor_mail.send_transcript")
def send_transcript(chat_id: int, email: str, key: str) -> bool:
    return services.transcript_send(chat_id=chat_id, email=email, key=key)
