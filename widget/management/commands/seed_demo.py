"""Create a demo owner and a website for localhost, and print the demo page URL."""

import secrets

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import services as account_services
from accounts.selectors import user_get_by_email
from websites import services as website_services
from websites.models import Website

DEMO_SETTINGS = {
    "title": "Chat with the demo shop",
    "color": "#2563eb",
    "greeting": "Hi! Ask us anything.",
    "away_message": "We are away right now; leave a message and your email.",
    "auto_replies": [{"keywords": ["price", "pricing"], "reply": "Our plans start at 0 EUR: see /pricing."}],
}


class Command(BaseCommand):
    help = "Create (or reuse) a demo owner and a website for localhost; print how to try the widget."

    def add_arguments(self, parser):
        parser.add_argument("--email", default="demo@chatelly.local", help="the demo owner's email")
        parser.add_argument(
            "--password", default=None, help="the demo owner's password (default: a random one)"
        )
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="where `make run` serves")

    def handle(self, *args, email, password, base_url, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo is for development; DJANGO_ENV is production.")
        password = password or secrets.token_urlsafe(12)
        owner = user_get_by_email(email=email)
        if owner is None:
            owner = account_services.user_create(email=email, password=password, name="Demo Owner")
            created_owner = True
        else:
            created_owner = False
        website = Website.objects.filter(user=owner, domain="localhost").first()
        if website is None:
            website = website_services.website_create(
                owner=owner, name="Demo shop", domain="localhost", settings=DEMO_SETTINGS
            )
        base_url = base_url.rstrip("/")
        self.stdout.write(self.style.SUCCESS("Demo ready."))
        self.stdout.write(f"  demo page:   {base_url}/demo/{website.widget_key}")
        self.stdout.write(f"  owner:       {owner.email}")
        self.stdout.write(
            f"  password:    {password if created_owner else '(unchanged; the account existed)'}"
        )
        self.stdout.write(f"  website id:  {website.id}")
        self.stdout.write(f"  widget key:  {website.widget_key}")
        self.stdout.write(
            f'  embed:       <script async src="{base_url}/widget/script/{website.widget_key}"></script>'
        )
