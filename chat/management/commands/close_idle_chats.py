"""Close active chats with no message for a while (both sides are told)."""

from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from chat import services
from chat.models import Chat, ChatStatus
from chatelly.durations import parse_duration


class Command(BaseCommand):
    help = "Close active chats whose last message (or start) is older than --idle (e.g. 30m, 2h)."

    def add_arguments(self, parser):
        parser.add_argument("--idle", type=parse_duration, required=True, help="e.g. 30m, 2h, 1d")
        parser.add_argument("--dry-run", action="store_true", help="only count what would be closed")

    def handle(self, *args, idle, dry_run, **options):
        cutoff = timezone.now() - idle
        idle_chats = Chat.objects.filter(status=ChatStatus.ACTIVE).filter(
            Q(last_message_at__lt=cutoff) | Q(last_message_at__isnull=True, started_at__lt=cutoff)
        )
        if dry_run:
            self.stdout.write(
                f"would close {idle_chats.count()} chat(s) idle since before {cutoff:%Y-%m-%d %H:%M} UTC"
            )
            return
        closed = 0
        for chat in idle_chats.iterator():
            services.chat_close(chat=chat)
            closed += 1
        self.stdout.write(f"closed {closed} chat(s)")
