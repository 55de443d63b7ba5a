"""Run a background-job worker: Celery's, on this project's queue.

Start as many as wanted, on any host that reaches the database and Redis.
Exactly one of them runs the periodic jobs (``--beat``); more would only repeat
work, since every periodic job is idempotent.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from chatelly.jobs import app


class Command(BaseCommand):
    help = "Run a background-job worker (Celery) on the project's queue."

    def add_arguments(self, parser):
        parser.add_argument("--concurrency", type=int, default=2, help="Jobs run at once (processes).")
        parser.add_argument(
            "--beat", action="store_true", help="Also run the periodic jobs (one worker only)."
        )
        parser.add_argument("--loglevel", default="INFO")
        parser.add_argument("--pool", default="prefork", choices=["prefork", "solo", "threads"])
        parser.add_argument("--hostname", default="", help="Worker name (default: worker@<host>).")

    def handle(self, *args, **options):
        if settings.CHATELLY_JOBS_EAGER:
            raise CommandError(
                "Jobs run in-process here (CHATELLY_JOBS_EAGER, or no REDIS_URL): a worker has nothing to take."
            )
        if options["concurrency"] < 1:
            raise CommandError("--concurrency must be at least 1.")
        argv = [
            "worker",
            f"--loglevel={options['loglevel']}",
            f"--concurrency={options['concurrency']}",
            f"--pool={options['pool']}",
            f"--queues={settings.CELERY_TASK_DEFAULT_QUEUE}",
            "--without-gossip",
            "--without-mingle",
        ]
        if options["beat"]:
            argv += ["--beat", "--schedule=/tmp/chatelly-beat-schedule"]
        if options["hostname"]:
            argv.append(f"--hostname={options['hostname']}")
        app.worker_main(argv)
