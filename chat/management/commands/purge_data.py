"""Retention: delete chats, messages, events, files and emails older than a
cut-off, uploads never attached to a message (after
CHATELLY_UNUSED_UPLOAD_HOURS), spent reset tokens and closed invitations."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.services import reset_tokens_purge
from chat.services.retention import data_purge, unused_uploads_purge
from chatelly.durations import parse_duration
from websites.services import invitations_purge


class Command(BaseCommand):
    help = (
        "Delete chats whose last message is older than --older-than (with their messages), events and "
        "uploaded files older than it, and visitors not seen since. E.g. --older-than 365d. Always "
        "deletes uploads no message shows, made more than CHATELLY_UNUSED_UPLOAD_HOURS ago, password-reset "
        "tokens spent a day ago and invitations closed 30 days ago."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than", type=parse_duration, help="e.g. 90d, 365d; without it, only unused uploads"
        )
        parser.add_argument("--dry-run", action="store_true", help="only count what would be deleted")

    def handle(self, *args, older_than, dry_run, **options):
        now = timezone.now()
        verb = "would delete" if dry_run else "deleted"
        if older_than is not None:
            cutoff = now - older_than
            counts = data_purge(older_than=cutoff, dry_run=dry_run)
            figures = ", ".join(f"{n} {what}" for what, n in counts.items())
            self.stdout.write(f"{verb} {figures} (before {cutoff:%Y-%m-%d %H:%M} UTC)")
        unused_cutoff = now - timedelta(hours=settings.CHATELLY_UNUSED_UPLOAD_HOURS)
        unused = unused_uploads_purge(older_than=unused_cutoff, dry_run=dry_run)
        self.stdout.write(
            f"{verb} {unused} unused uploads (never attached, before {unused_cutoff:%Y-%m-%d %H:%M} UTC)"
        )
        tokens = reset_tokens_purge(now=now, dry_run=dry_run)
        invitations = invitations_purge(now=now, dry_run=dry_run)
        self.stdout.write(
            f"{verb} {tokens} spent password-reset tokens and {invitations} closed invitations (done with)"
        )
