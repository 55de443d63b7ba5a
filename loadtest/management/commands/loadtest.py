"""Load-test a running Chatelly: the message path, idle sockets, REST reads, or the bare Channels relay."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Plan
from loadtest.client import Api
from loadtest.runner import run


class Command(BaseCommand):
    help = (
        "Drive a running deployment at --url over its public API. Modes: messages (visitors send at a total "
        "rate, agents receive; reports acked/delivered/lost/duplicated and latencies, then checks every acked "
        "message is stored with a gap-free seq), idle (hold N sockets, then reconnect them all at once), "
        "rest (the messages endpoint) and relay (the messages mode against the bare Channels relay, "
        "loadtest.echo, with no API calls: the floor to compare with). Bounded by --duration; "
        "talks only to --url and --spread."
    )

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument(
            "--spread",
            default="",
            help="more server URLs of the same deployment; sockets are spread over all",
        )
        parser.add_argument("--mode", choices=["messages", "idle", "rest", "relay"], default="messages")
        parser.add_argument("--email", default="loadtest@chatelly.local")
        parser.add_argument("--password", default="load-Test-password-1")
        parser.add_argument(
            "--plan",
            choices=Plan.values,
            default="",
            help="first put the owner on this plan, through this command's database (the deployment's)",
        )
        parser.add_argument("--key", help="use this website (widget key) of the owner instead of 'Load test'")
        parser.add_argument("--domain", default="loadtest.example.com", help="domain of a created website")
        parser.add_argument(
            "--visitors", type=int, default=None, help="visitor sockets (default: one per msg/s)"
        )
        parser.add_argument("--agents", type=int, default=1)
        parser.add_argument("--rate", type=float, default=10.0, help="messages per second, in total")
        parser.add_argument("--duration", type=float, default=10.0, help="seconds of sending (or holding)")
        parser.add_argument("--sockets", type=int, default=100, help="idle mode: sockets to hold")
        parser.add_argument("--concurrency", type=int, default=8, help="rest mode: parallel clients")
        parser.add_argument("--pids", default="", help="server pids (comma separated) to read RSS from")
        parser.add_argument("--out", default=None, help="also write the report here as JSON")

    def handle(self, *args, **o):
        if not 0 < o["duration"] <= 600:
            raise CommandError("--duration must be within (0, 600] seconds")
        if not 0 < o["rate"] <= 20_000 or not 0 < o["sockets"] <= 20_000:
            raise CommandError("--rate and --sockets are bounded to 20,000")
        if o["visitors"] is not None and not 0 < o["visitors"] <= 20_000:
            raise CommandError("--visitors must be within 1..20,000")
        if not 1 <= o["agents"] <= 100 or not 1 <= o["concurrency"] <= 256:
            raise CommandError("--agents must be within 1..100 and --concurrency within 1..256")
        try:
            pids = [int(p) for p in o["pids"].split(",") if p.strip()]
        except ValueError:
            raise CommandError("--pids takes process ids separated by commas") from None
        api = Api(o["url"], spread=[url for url in o["spread"].split(",") if url.strip()])
        try:
            report = run(
                api,
                o["mode"],
                rate=o["rate"],
                duration=o["duration"],
                visitors=o["visitors"],
                agents=o["agents"],
                sockets=o["sockets"],
                concurrency=o["concurrency"],
                pids=pids,
                email=o["email"],
                password=o["password"],
                domain=o["domain"],
                key=o["key"],
                plan=o["plan"],
            )
        except (RuntimeError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        report["url"] = o["url"]
        text = json.dumps(report, indent=2)
        self.stdout.write(text)
        if o["out"]:
            Path(o["out"]).write_text(text + "\n")
