"""Regenerate the message-path section of docs/benchmarks.md (loadtest.report)."""

import re
import shlex
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from loadtest import report
from loadtest.runner import raise_fd_limit


class Command(BaseCommand):
    help = (
        "Run the benchmark scenarios (loadtest.report.SCENARIOS), each against server processes "
        "of its own on loopback ports, and write their table between the loadtest markers of --file. "
        "Needs DATABASE_URL (PostgreSQL) and REDIS_URL; the servers use the same."
    )

    def add_arguments(self, parser):
        parser.add_argument("--only", default="", help="NAME[,NAME]: run these scenarios only")
        parser.add_argument(
            "--quick", action="store_true", help="every scenario at ≤ 20 msg/s, ≤ 3 s, ≤ 50 sockets"
        )
        parser.add_argument("--dry-run", action="store_true", help="print the plan and stop")
        parser.add_argument("--file", default=str(Path(settings.BASE_DIR) / "docs" / "benchmarks.md"))
        parser.add_argument("--out-dir", default="", help="keep each scenario's raw JSON here")
        parser.add_argument("--ports", default="", help="LOW-HIGH: take the servers' ports from this range")

    def handle(self, *args, **o):
        try:
            scenarios = report.select(o["only"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if o["quick"]:
            scenarios = [report.quick(s) for s in scenarios]
        span = self._span(o["ports"])
        path = Path(o["file"])
        if not path.is_file():
            raise CommandError(f"--file {path} does not exist")
        try:
            report.replace_section(path.read_text(), "")  # the markers are usable before minutes of load
        except ValueError as exc:
            raise CommandError(f"{path}: {exc}") from None
        if o["dry_run"]:
            for s in scenarios:
                urls = [f"http://127.0.0.1:PORT{n + 1}" for n in range(s.processes)]
                args = report.loadtest_args(s, urls, [f"PID{n + 1}" for n in range(s.processes)])
                self.stdout.write(
                    f"{s.name}: {s.what}; {s.processes} {s.server} serving {s.app}, "
                    f"CHATELLY_CHANNEL_LAYER={s.layer}; manage.py loadtest {shlex.join(args)}"
                )
            return
        if (
            settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql"
            or not settings.REDIS_URL
        ):
            raise CommandError("benchmark_report needs DATABASE_URL (PostgreSQL) and REDIS_URL set")
        raise_fd_limit()  # the server processes inherit it
        machine = report.machine()
        records = []
        with tempfile.TemporaryDirectory() as scratch:
            out_dir = Path(o["out_dir"] or scratch)
            for scenario in scenarios:
                self.stderr.write(f"{scenario.name} ...")
                record = report.run_scenario(scenario, span=span)
                report.write_json(out_dir, record)
                records.append(record)
                self.stderr.write(f"{scenario.name}: {record.get('failed') or 'done'}")
        invocation = ["manage.py", "benchmark_report"]
        invocation += ["--only", o["only"]] if o["only"] else []
        invocation += ["--quick"] if o["quick"] else []
        section = report.render(
            records, machine_line=machine, invocation=shlex.join(invocation), is_quick=o["quick"]
        )
        path.write_text(report.replace_section(path.read_text(), section))
        self.stdout.write(
            f"wrote {len(records)} scenarios to {path}"
            + (f", JSON in {o['out_dir']}" if o["out_dir"] else "")
        )
        if found := report.problems(records):
            raise CommandError("; ".join(found))

    @staticmethod
    def _span(ports: str) -> tuple[int, int] | None:
        if not ports:
            return None
        match = re.fullmatch(r"(\d+)-(\d+)", ports.strip())
        if not match or not 1024 <= int(match[1]) <= int(match[2]) <= 65535:
            raise CommandError("--ports must be LOW-HIGH within 1024-65535")
        return int(match[1]), int(match[2])
