"""`check --deploy`: production that would silently lose its email or jobs."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.compatibility, deploy=True)
def check_email_and_jobs(app_configs, **kwargs):
    if not settings.PRODUCTION:
        return []
    found = []
    if settings.EMAIL_BACKEND.endswith(
        (".console.EmailBackend", ".locmem.EmailBackend", ".dummy.EmailBackend")
    ):
        found.append(
            checks.Warning(
                "EMAIL_URL is not an SMTP server: password resets, invitations and notifications are not sent.",
                hint="Set EMAIL_URL, e.g. smtp+tls://user:pass@smtp.example.com:587 (docs/operations.md).",
                id="chatelly.W201",
            )
        )
    if not settings.CHATELLY_PUBLIC_URL.startswith("https://"):
        found.append(
            checks.Warning(
                f"CHATELLY_PUBLIC_URL is {settings.CHATELLY_PUBLIC_URL!r}: links in emails will not reach users.",
                hint="Set it to the public https address of this Chatelly.",
                id="chatelly.W202",
            )
        )
    if settings.CHATELLY_JOBS_EAGER:
        found.append(
            checks.Warning(
                "CHATELLY_JOBS_EAGER runs jobs inside the web processes: a slow SMTP server slows them.",
                hint="Unset it and run `manage.py worker` processes (docs/operations.md).",
                id="chatelly.W203",
            )
        )
    return found
