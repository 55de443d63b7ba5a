"""Export a website's daily figures (date,chats,messages,visitors) as CSV."""

import csv

from django.core.management.base import BaseCommand, CommandError

from chatelly.errors import AppError
from reports import selectors
from reports.ranges import day_range_parse
from websites.models import Website


class Command(BaseCommand):
    help = (
        "Print a website's daily analytics as CSV: date,chats,messages,visitors (plus totals with --totals)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--website", type=int, required=True, help="website id")
        parser.add_argument(
            "--from", dest="start", help="first day, YYYY-MM-DD (default: 29 days before --to)"
        )
        parser.add_argument("--to", dest="end", help="last day, YYYY-MM-DD (default: today)")
        parser.add_argument("--tz", default="UTC", help="IANA time zone for cutting days (default UTC)")

    def handle(self, *args, website, start, end, tz, **options):
        site = Website.objects.filter(id=website).first()
        if site is None:
            raise CommandError(f"No website {website}.")
        try:
            day_range = day_range_parse({"from": start, "to": end, "tz": tz})
        except AppError as exc:
            raise CommandError(exc.summary()) from None
        report = selectors.website_report(website=site, day_range=day_range)
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(["date", "chats", "messages", "visitors"])
        for day in report["series"]:
            writer.writerow([day["date"], day["chats"], day["messages"], day["visitors"]])
