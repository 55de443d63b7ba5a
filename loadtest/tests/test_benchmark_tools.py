"""The benchmark tools against real servers: `loadtest --mode relay` on the bare Channels relay,
and `benchmark_report --quick` writing its section (no timing assertions)."""

import json
import socket

import pytest
from django.conf import settings

from loadtest.report import (
    AFTER,
    ECHO,
    END,
    SCENARIOS,
    START,
    Server,
    pick_ports,
    quick,
    replace_section,
)
from testsupport.servers import BASE_DIR, run_manage, server_env

PORTS = "8100-8199"  # the servers these tests start take their ports from here
needs_postgres_and_redis = pytest.mark.skipif(
    not settings.REDIS_URL or settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="benchmark_report runs against PostgreSQL and Redis only",
)


def outside(text: str) -> str:
    """The text with the loadtest section (and the blank lines before it) taken out."""
    if START not in text:
        return text
    return text[: text.index(START)].rstrip("\n") + text[text.index(END) + len(END) :]


@pytest.mark.e2e
def test_the_relay_mode_against_the_echo_server_acks_and_delivers_everything():
    low, high = map(int, PORTS.split("-"))
    with Server("uvicorn", ECHO, pick_ports(1, (low, high))[0], server_env()) as server:
        result = run_manage(
            "loadtest", "--mode", "relay", "--url", server.url, "--rate", "20", "--duration", "2",
            "--agents", "2", env=server_env(), timeout=60,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["mode"] == "relay" and report["visitors"] == 20 and report["agents"] == 2
    assert report["sent"] >= 30 and report["acked"] == report["sent"]
    assert report["delivered_to_every_agent"] == report["acked"] and report["not_delivered"] == 0
    assert report["duplicated"] == 0 and report["errors"] == {} and report["visitor_connect_failures"] == 0
    assert (
        report["ack_latency_ms"]["p99"] is not None
        and report["visitor_to_agent_latency_ms"]["p50"] is not None
    )
    assert 10 <= report["achieved_rate"] <= 25


@pytest.mark.e2e
@needs_postgres_and_redis
@pytest.mark.django_db(transaction=True)
def test_a_quick_report_writes_its_section_between_the_markers_only(tmp_path):
    doc = tmp_path / "benchmarks.md"
    before = f"# Benchmarks\n\nintro\n\n{AFTER}\n\n{START}\nOLD FIGURES\n{END}\n\n## Later\n\nkept | as is\n"
    doc.write_text(before)
    out = tmp_path / "json"
    result = run_manage(
        "benchmark_report", "--quick", "--only", "relay-echo,uvicorn-300", "--file", str(doc),
        "--out-dir", str(out), "--ports", PORTS, env=server_env(), timeout=150,
    )  # fmt: skip
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    after = doc.read_text()
    assert outside(after) == outside(before) and after.count(START) == after.count(END) == 1
    section = after[after.index(START) : after.index(END)]
    assert "OLD FIGURES" not in section and "Quick run" in section
    assert "| `relay-echo` |" in section and "| `uvicorn-300` |" in section
    assert "nothing lost, duplicated or out of sequence: yes" in section
    assert "cores), PostgreSQL " in section and ", Redis " in section
    host = socket.gethostname()
    assert len(host) < 4 or host not in section
    assert "manage.py loadtest --mode relay --url http://127.0.0.1:81" in section
    relay = json.loads((out / "relay-echo.json").read_text())["report"]
    assert relay["sent"] > 0 and relay["acked"] == relay["sent"] == relay["delivered_to_every_agent"]
    messages = json.loads((out / "uvicorn-300.json").read_text())["report"]
    assert messages["sent"] > 0 and messages["acked"] == messages["sent"]
    assert messages["lost"] == messages["duplicated"] == messages["chats_with_seq_gaps"] == 0
    assert messages["target_rate"] == 20 and messages["visitors"] == 20


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--only", "nope"], "unknown scenario nope"),
        (["--ports", "80-90"], "--ports"),
        (["--file", "/nonexistent/benchmarks.md"], "does not exist"),
        (["--file", "ONE_MARKER"], "once each"),
        (["--quick", "--only", "relay-echo"], "needs DATABASE_URL (PostgreSQL) and REDIS_URL"),
    ],
)
def test_bad_options_and_a_missing_database_are_refused(tmp_path, args, says):
    one_marker = tmp_path / "one.md"
    one_marker.write_text(f"text\n{START}\nno end\n")
    args = [str(one_marker) if a == "ONE_MARKER" else a for a in args]
    # Without DATABASE_URL and REDIS_URL: SQLite and no Redis, which the report refuses.
    env = server_env(DATABASE_URL=None, REDIS_URL="")
    result = run_manage("benchmark_report", *args, env=env, timeout=60)
    assert result.returncode != 0 and says in result.stderr, result.stderr[-2000:]


def test_the_dry_run_prints_the_plan_without_servers():
    result = run_manage("benchmark_report", "--dry-run", env=server_env(DATABASE_URL=None, REDIS_URL=""))
    assert result.returncode == 0, result.stderr
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == [s.name for s in SCENARIOS]
    assert "--mode relay" in result.stdout and "loadtest.echo:application" in result.stdout


def test_the_markers_go_after_the_analytics_section_and_nothing_else_changes():
    original = (BASE_DIR / "docs" / "benchmarks.md").read_text()
    bare = outside(original)  # as if the file had no loadtest section yet
    written = replace_section(bare, "## New\n\nFIRST FIGURES")
    assert f"{AFTER}\n\n{START}\n## New\n\nFIRST FIGURES\n{END}" in written
    assert outside(written) == bare
    again = replace_section(written, "## Newer")
    assert "FIRST FIGURES" not in again and outside(again) == bare
    assert replace_section("no markers\n", "x") == f"no markers\n\n{START}\nx\n{END}\n"
    with pytest.raises(ValueError, match="once each"):
        replace_section(f"{END}\n{START}\n", "x")


def test_the_default_table_covers_the_comparisons_and_quick_stays_small():
    by_name = {s.name: s for s in SCENARIOS}
    assert by_name["relay-echo"].app == ECHO and by_name["relay-echo"].rate == 1000
    assert (
        by_name["messages-1000"].rate,
        by_name["messages-1000"].duration,
        by_name["messages-1000"].processes,
    ) == (
        1000,
        60,
        2,
    )
    assert {(s.server, s.layer) for s in SCENARIOS if s.rate == 300} == {
        ("uvicorn", "pubsub"),
        ("daphne", "pubsub"),
        ("uvicorn", "core"),
    }
    assert by_name["idle-10k"].sockets == 10_000 and by_name["rest-16"].concurrency == 16
    for scenario in map(quick, SCENARIOS):
        assert scenario.rate <= 20 and scenario.duration <= 3 and scenario.sockets <= 50
        assert scenario.concurrency <= 2 and max(1, int(scenario.rate)) + scenario.processes <= 50
