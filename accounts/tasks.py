"""The accounts' jobs: the password-reset email."""

from celery import shared_task

from . import services


@shared_task(name="accounts.send_password_reset")
def send_password_reset(email: str) -> bool:
    """Look the address up off the request's path; True when an email was queued."""
    return services.password_reset_send(email=email) is not None
