"""GDPR erasure: everything stored about one visitor of one website, files included."""

from django.core.management.base import BaseCommand, CommandError

from chat.services.retention import visitor_erase


class Command(BaseCommand):
    help = "Erase a visitor: profile, chats and all their messages, uploaded files and analytics events."

    def add_arguments(self, parser):
        parser.add_argument("--website", type=int, required=True, help="website id")
        parser.add_argument("--visitor", required=True, help="visitor id (v_...)")
        parser.add_argument("--dry-run", action="store_true", help="only count what would be erased")

    def handle(self, *args, website, visitor, dry_run, **options):
        counts = visitor_erase(website_id=website, visitor_id=visitor, dry_run=dry_run)
        if counts is None:
            raise CommandError(f"No visitor {visitor} on website {website}.")
        verb = "would erase" if dry_run else "erased"
        self.stdout.write(f"{verb} " + ", ".join(f"{n} {what}" for what, n in counts.items()))
