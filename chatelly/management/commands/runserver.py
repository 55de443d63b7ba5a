"""daphne's runserver, plus the periodic jobs when jobs run in-process (`make run`)."""

from daphne.management.commands.runserver import Command as DaphneRunserver
from django.conf import settings

from chatelly import jobs


class Command(DaphneRunserver):
    def inner_run(self, *args, **options):
        if settings.CHATELLY_JOBS_EAGER:
            jobs.run_periodic()
        return super().inner_run(*args, **options)
