"""`manage.py worker` for real: jobs queued on commit into Redis, taken by
worker processes, surviving a worker killed mid-job, retried with back-off,
and failures kept for the admin and /metrics. PostgreSQL and Redis (CI)."""

import time
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone
from django_celery_results.models import TaskResult

from chatelly import jobs
from chatelly.jobs import app as jobs_app
from mail import services
from mail.models import EmailDelivery, EmailStatus
from testsupport.servers import server_env
from testsupport.workers import WorkerProcess

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_URL or connection.vendor != "postgresql",
        reason="a worker process needs the Redis queue and a database it can share (CI: PostgreSQL, Redis)",
    ),
]


@pytest.fixture
def queue_in_redis():
    """Jobs go to the Redis queue (not run in the test process), which starts empty."""
    empty_queue()
    jobs_app.conf.task_always_eager = False
    yield
    jobs_app.conf.task_always_eager = True


def empty_queue() -> None:
    # A plain client: kombu's own prefixes every key it is given, scanned ones too.
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(match=f"{settings.CACHE_KEY_PREFIX}-jobs:*"):
        client.delete(key)
    client.close()


def worker_env(smtp_url: str, **extra: str) -> dict[str, str]:
    return server_env(EMAIL_URL=smtp_url, CHATELLY_JOBS_VISIBILITY_TIMEOUT="4", **extra)


def queue(key: str, to: str = "ana@example.com") -> EmailDelivery:
    context = {"subject": f"Hello {key}", "body": "Body."}
    return services.queue_email(key=key, kind="test", to=to, template="plain", context=context)


def wait_for_status(delivery: EmailDelivery, status: str, timeout: float = 60) -> EmailDelivery:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery.refresh_from_db()
        if delivery.status == status:
            return delivery
        time.sleep(0.2)
    raise AssertionError(f"delivery is {delivery.status}, not {status}, after {timeout} s")


def test_a_job_reaches_the_queue_only_when_its_transaction_commits(queue_in_redis):
    with transaction.atomic():
        queue("k1")
        assert jobs.queue_depth() == 0
    assert jobs.queue_depth() == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        queue("k2")
        raise RuntimeError("rolled back")
    assert jobs.queue_depth() == 1
    assert not EmailDelivery.objects.filter(key="k2").exists()


def test_emails_behind_a_backlog_are_not_queued_again(queue_in_redis):
    queue("backlog")  # its job waits: no worker runs
    later = timezone.now() + timedelta(minutes=11)
    assert services.requeue_unsent(now=later) == 0
    assert jobs.queue_depth() == 1
    empty_queue()  # the queue drained and the job was not in it: lost, so queued again
    assert services.requeue_unsent(now=later) == 1
    assert jobs.queue_depth() == 1


def test_a_job_survives_its_worker_being_killed_mid_send(queue_in_redis, smtp_server):
    smtp_server.handler.stall_rcpt = 60  # the first attempt hangs inside the SMTP dialogue
    delivery = queue("killed")
    env = worker_env(smtp_server.url)
    first = WorkerProcess(env, "--concurrency=1").start()
    try:
        assert smtp_server.handler.stalled.wait(30), first.log()
        first.kill()  # SIGKILL, worker and pool child: no ack, no clean-up
    finally:
        first.stop()
    delivery.refresh_from_db()
    assert delivery.status == EmailStatus.QUEUED  # the dead attempt's transaction rolled back
    with WorkerProcess(env, "--concurrency=1"):
        wait_for_status(delivery, EmailStatus.SENT, timeout=60)
    assert [m.subject for m in smtp_server.handler.received] == ["Hello killed"]
    assert delivery.attempts == 1


def test_a_refused_send_is_retried_with_back_off_by_the_worker(queue_in_redis, smtp_server):
    smtp_server.handler.defer_data = 2
    delivery = queue("deferred")
    env = worker_env(smtp_server.url, CHATELLY_EMAIL_RETRY_SECONDS="1")
    started = time.monotonic()
    with WorkerProcess(env, "--concurrency=1"):
        wait_for_status(delivery, EmailStatus.SENT)
    # Two pauses: about 1 s then 2 s (jittered by a fifth either way).
    assert time.monotonic() - started >= 0.8 + 1.6
    assert delivery.attempts == 3
    assert len(smtp_server.handler.received) == 1


def test_a_job_that_keeps_failing_is_kept_for_the_admin_and_metrics(queue_in_redis, admin_client, client):
    from testsupport.servers import free_port

    delivery = queue("doomed")
    env = worker_env(
        f"smtp://127.0.0.1:{free_port()}", CHATELLY_EMAIL_RETRY_SECONDS="0.2", CHATELLY_EMAIL_MAX_RETRIES="1"
    )
    with WorkerProcess(env, "--concurrency=1"):
        wait_for_status(delivery, EmailStatus.FAILED)
        deadline = time.monotonic() + 20
        while not TaskResult.objects.filter(status="FAILURE").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    failure = TaskResult.objects.get(status="FAILURE")
    assert failure.task_name == "mail.send_email"
    assert "EmailNotSent" in failure.traceback and "Connection refused" in failure.result
    assert delivery.attempts == 2
    page = admin_client.get("/admin/django_celery_results/taskresult/?status__exact=FAILURE")
    assert page.status_code == 200 and failure.task_id in page.content.decode()
    metrics = client.get("/metrics").content.decode()
    assert 'chatelly_jobs_failed{task="mail.send_email"} 1.0' in metrics
    assert "chatelly_jobs_queued 0.0" in metrics
    assert 'chatelly_emails_last_day{status="failed"} 1.0' in metrics


def test_two_workers_share_the_queue_and_send_each_email_once(queue_in_redis, smtp_server):
    deliveries = [queue(f"many-{n}", to=f"user{n}@example.com") for n in range(12)]
    assert jobs.queue_depth() == 12
    env = worker_env(smtp_server.url)
    with (
        WorkerProcess(env, "--concurrency=2", "--hostname=one@%h"),
        WorkerProcess(env, "--concurrency=1", "--hostname=two@%h"),
    ):
        for delivery in deliveries:
            wait_for_status(delivery, EmailStatus.SENT)
    assert sorted(r.rcpt_tos[0] for r in smtp_server.handler.received) == sorted(
        f"user{n}@example.com" for n in range(12)
    )
    assert jobs.queue_depth() == 0


def test_the_worker_command_refuses_to_start_without_a_queue(settings):
    settings.CHATELLY_JOBS_EAGER = True
    with pytest.raises(CommandError, match="in-process"):
        call_command("worker")
    settings.CHATELLY_JOBS_EAGER = False
    with pytest.raises(CommandError, match="concurrency"):
        call_command("worker", "--concurrency=0")
