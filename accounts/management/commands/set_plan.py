"""Change a user's plan."""

from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.models import Plan
from accounts.selectors import user_get_by_email
from chatelly.errors import AppError


class Command(BaseCommand):
    help = "Set a user's plan (free, pro or business), which caps websites and max_users."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--plan", required=True, choices=Plan.values)

    def handle(self, *args, email, plan, **options):
        user = user_get_by_email(email=email)
        if user is None:
            raise CommandError(f"No user with email {email}.")
        try:
            services.user_set_plan(user=user, plan=plan)
        except AppError as exc:
            raise CommandError(exc.summary()) from None
        self.stdout.write(f"{user.email} is now on the {plan} plan")
