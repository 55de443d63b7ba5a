"""`make run`'s jobs: no Redis, no worker; `manage.py runserver` runs each job
after its commit on a thread of its own, off the request's path."""

import time

import pytest

from testsupport.servers import ServerProcess, run_manage, server_env

pytestmark = pytest.mark.e2e


@pytest.fixture
def embedded_env(tmp_path, smtp_server):
    env = server_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", REDIS_URL=None, CHATELLY_CACHE_PREFIX=None
    )
    env.pop("REDIS_URL", None)
    env["EMAIL_URL"] = smtp_server.url
    result = run_manage("migrate", "--noinput", env=env)
    assert result.returncode == 0, result.stderr
    code = "from accounts.services import user_create; user_create(email='ana@example.com', password='Long-pass-123', name='Ana')"
    result = run_manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return env


def test_runserver_sends_a_password_reset_email_without_a_worker(embedded_env, smtp_server):
    with ServerProcess(env=embedded_env, kind="runserver") as server:
        started = time.monotonic()
        status, body = server.request("POST", "/api/v1/auth/password-reset", {"email": "ana@example.com"})
        assert (status, body) == (202, b"{}")
        [got] = smtp_server.handler.wait_for(1, timeout=20)
        assert time.monotonic() - started < 20, server.log()
    assert got.rcpt_tos == ["ana@example.com"]
    assert "token=" in got.part("text/plain")


def test_a_dead_smtp_server_does_not_slow_the_request(embedded_env, smtp_server):
    smtp_server.handler.stall_rcpt = 8  # the job hangs in the SMTP dialogue
    with ServerProcess(env=embedded_env, kind="runserver") as server:
        started = time.monotonic()
        status, _ = server.request("POST", "/api/v1/auth/password-reset", {"email": "ana@example.com"})
        assert status == 202
        assert time.monotonic() - started < 3
        assert smtp_server.handler.stalled.wait(10), server.log()
