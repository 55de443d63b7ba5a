"""A few-second smoke run of `manage.py loadtest` against a real server (no timing assertions)."""

import json

import pytest
from django.conf import settings

from testsupport.servers import ServerProcess, run_manage, server_env

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.REDIS_URL, reason="the load test runs against a Redis-backed server"),
]


@pytest.fixture
def server():
    # As the report's servers: the REST mode's one user passes the default 600 API calls a minute in a second.
    env = server_env(
        CHATELLY_WS_CONN_PER_IP="1000",
        CHATELLY_WS_CONNECT_RATE="0/s",
        CHATELLY_WS_IP_SHARE="1",
        CHATELLY_RATE_API="1000000/m",
    )
    process = ServerProcess(env=env, kind="uvicorn").start()
    yield process
    process.stop()


def loadtest(server, *args) -> dict:
    result = run_manage("loadtest", "--url", server.url, *args, env=server_env(), timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_the_message_mode_reports_and_verifies(server):
    report = loadtest(server, "--rate", "10", "--duration", "2", "--agents", "2")
    assert report["sent"] > 0 and report["acked"] == report["sent"]
    assert report["lost"] == 0 and report["duplicated"] == 0 and report["chats_with_seq_gaps"] == 0
    assert report["delivered_to_every_agent"] == report["acked"]
    assert set(report["ack_latency_ms"]) == {"p50", "p90", "p99", "max"}


def test_the_idle_and_rest_modes_run(server):
    idle = loadtest(
        server, "--mode", "idle", "--sockets", "20", "--duration", "1", "--pids", str(server.process.pid)
    )
    assert (
        idle["sockets_opened"] == 20 and idle["reconnected"] == 20 and idle["rss_kb_per_socket"] is not None
    )
    rest = loadtest(server, "--mode", "rest", "--concurrency", "2", "--duration", "1")
    assert rest["requests"] > 0 and rest["failures"] == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--duration", "0"], "duration"),
        (["--rate", "-5"], "--rate"),
        (["--visitors", "0"], "--visitors"),
        (["--agents", "0"], "--agents"),
        (["--mode", "rest", "--concurrency", "100000"], "--concurrency"),
        (["--mode", "idle", "--pids", "12,abc"], "--pids"),
    ],
)
def test_bad_arguments_are_refused(server, args, says):
    result = run_manage("loadtest", "--url", server.url, *args, env=server_env())
    assert result.returncode != 0 and says in result.stderr
    assert "Traceback" not in result.stderr
