"""GDPR export: what Chatelly holds about one visitor, as JSON."""

import json

from django.core.management.base import BaseCommand, CommandError

from chat.services.retention import visitor_export


class Command(BaseCommand):
    help = "Print, as JSON, a visitor's profile, chats with messages, uploads and analytics events."

    def add_arguments(self, parser):
        parser.add_argument("--website", type=int, required=True, help="website id")
        parser.add_argument("--visitor", required=True, help="visitor id (v_...)")

    def handle(self, *args, website, visitor, **options):
        data = visitor_export(website_id=website, visitor_id=visitor)
        if data is None:
            raise CommandError(f"No visitor {visitor} on website {website}.")
        self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
