"""Give a website a new widget key; the old one stops working at once."""

from django.core.management.base import BaseCommand, CommandError

from websites import services
from websites.models import Website


class Command(BaseCommand):
    help = "Rotate a website's widget key (config, script, uploads and sockets refuse the old one at once)."

    def add_arguments(self, parser):
        parser.add_argument("--website", type=int, required=True, help="website id")

    def handle(self, *args, website, **options):
        site = Website.objects.filter(id=website).first()
        if site is None:
            raise CommandError(f"No website {website}.")
        old = site.widget_key
        site = services.website_rotate_key(website=site)
        self.stdout.write(f"website {site.id}: widget key {old[:6]}… replaced by {site.widget_key}")
