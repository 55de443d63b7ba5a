"""`manage.py changepassword`, through accounts.services.user_set_password.

Django's command saves the user directly, which would leave every old access
and refresh token (and open agent socket) working; this one revokes them.
"""

from django.contrib.auth.management.commands import changepassword
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from accounts import services
from accounts.models import User, normalize_email

MAX_TRIES = 3


class Command(changepassword.Command):
    help = "Change a user's password; every older token dies and their sockets close."

    def handle(self, *args, **options):
        email = normalize_email(options["username"] or "")
        user = User.objects.using(options["database"]).filter(email=email).first()
        if user is None:
            raise CommandError(f"user '{email}' does not exist")
        self.stdout.write(f"Changing password for user '{user}'")
        for _ in range(MAX_TRIES):
            first = self._get_pass()
            if first != self._get_pass("Password (again): "):
                self.stdout.write("Passwords do not match. Please try again.")
                continue
            try:
                validate_password(first, user)
            except ValidationError as err:
                self.stderr.write("\n".join(err.messages))
                continue
            services.user_set_password(user=user, password=first)
            return f"Password changed successfully for user '{user}'"
        raise CommandError(f"Aborting password change for user '{user}' after {MAX_TRIES} attempts")
