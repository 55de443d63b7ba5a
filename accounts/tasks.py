"""The accounts' jobs: the password-reset email."""

from celery import shared_task

from . import services


@shared_task(bind=True, name="accounts.send_password_reset")
def send_password_reset(self, email: str) -> bool:
    """Look the address up off the request's path; True when an email was queued.
    A job run again (a worker died before acknowledging it) keeps its id."""
    return services.password_reset_send(email=email, job_id=self.request.id) is not None
