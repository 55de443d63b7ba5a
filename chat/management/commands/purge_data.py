"""Retention: delete chats, messages, events and files older than a cut-off."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from chat.retention import data_purge
from chatelly.durations import parse_duration


class Command(BaseCommand):
    help = (
        "Delete chats whose last message is older than --older-than (with their messages), events and "
        "uploaded files older than it, and visitors not seen since. E.g. --older-than 365d."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=parse_duration, required=True, help="e.g. 90d, 365d")
        parser.add_argument("--dry-run", action="store_true", help="only count what would be deleted")

    def handle(self, *args, older_than, dry_run, **options):
        cutoff = timezone.now() - older_than
        counts = data_purge(older_than=cutoff, dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        figures = ", ".join(f"{n} {what}" for what, n in counts.items())
        self.stdout.write(f"{verb} {figures} (before {cutoff:%Y-%m-%d %H:%M} UTC)")
