"""Fixtures shared by every app's tests."""

import time
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth.hashers import BCryptSHA256PasswordHasher
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts import services as account_services
from chatelly.jobs import app as jobs_app

PASSWORD = "correct-Horse-battery-9"

# Consumers reach the database from a worker thread; a persistent connection
# there would outlive the test database. (Server processes started by tests
# keep the configured default.)
settings.DATABASES["default"]["CONN_MAX_AGE"] = 0

# Jobs run in the test's own process, right after the commit that queues them,
# even when Redis is there: a test sees what its jobs did. The tests of the
# worker itself (chatelly/tests/test_jobs_worker.py) use the Redis queue.
jobs_app.conf.task_always_eager = True


def _clear_cache() -> None:
    """Forget rate-limit counters and cached objects, only under our prefix."""
    if settings.REDIS_URL:
        client = cache.redis_client(write=True)
        keys = list(client.scan_iter(match=f"{settings.CACHE_KEY_PREFIX}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()
    from chat import presence
    from chat.sockets import connect_limits

    presence._memory.clear()
    connect_limits._memory.clear()


class FastBCryptSHA256PasswordHasher(BCryptSHA256PasswordHasher):
    """The production hasher with the fewest rounds bcrypt allows, for speed."""

    rounds = 4


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["conftest.FastBCryptSHA256PasswordHasher"]


@pytest.fixture(autouse=True)
def clean_cache():
    from analytics import services as analytics_services

    _clear_cache()
    analytics_services.background = False  # flush() writes, on the test's own connection
    analytics_services.discard_pending()
    yield
    analytics_services.discard_pending()
    _clear_cache()


@pytest.fixture(autouse=True)
def eager_results_readable():
    """Celery's eager apply_async marks "a result would block" in a process-wide
    flag around each call; two threads queuing at once (a concurrency test) can
    leave it set, and every later EagerResult.get() would raise."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    yield


@pytest.fixture(autouse=True)
def steady_rate_windows(monkeypatch):
    """django-ratelimit counts in fixed windows, and a window that ended in the
    middle of a flood test reset its count (a CI failure: the fourth of "3/m"
    answered 200). Its clock stands still, in this process, for each test;
    server processes started by tests keep the real one."""
    from django_ratelimit import core

    now = time.time()
    monkeypatch.setattr(core, "time", SimpleNamespace(time=lambda: now))


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def make_user(db):
    counter = iter(range(1, 10_000))

    def make(email: str | None = None, password: str = PASSWORD, name: str = "Ada", **extra):
        user = account_services.user_create(
            email=email or f"user{next(counter)}@example.com", password=password, name=name
        )
        for field, value in extra.items():
            setattr(user, field, value)
        if extra:
            user.save()
        return user

    return make


@pytest.fixture
def user(make_user):
    return make_user(email="owner@example.com")


def bearer(user) -> dict:
    from accounts.tokens import issue_token_pair

    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token_pair(user)['access']}"}


@pytest.fixture
def auth_api(user):
    client = APIClient()
    client.credentials(**bearer(user))
    return client


@pytest.fixture
def owner_api(site_owner):
    """An API client signed in as the owner of `site`."""
    client = APIClient()
    client.credentials(**bearer(site_owner))
    return client


@pytest.fixture
def make_website(user):
    from websites import services as website_services

    def make(owner=None, **fields):
        fields.setdefault("name", "Shop")
        fields.setdefault("domain", "shop.example.com")
        return website_services.website_create(owner=owner or user, **fields)

    return make


@pytest.fixture
def website(make_website):
    return make_website()


@pytest.fixture
def site_owner(make_user):
    return make_user(email="owner@shop.example.com", name="Olga")


@pytest.fixture
def make_site(site_owner, make_website):
    def make(**fields):
        return make_website(owner=fields.pop("owner", site_owner), **fields)

    return make


@pytest.fixture
def site(make_site):
    return make_site()


@pytest.fixture
def staff_client(db):
    """A Django test client logged in as a superuser (for admin tests)."""
    from django.test import Client

    from accounts.models import User

    staff = User.objects.create_superuser("staff@example.com", PASSWORD, name="Staff")
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def local_media(settings, tmp_path):
    """Uploads go to a temporary MEDIA_ROOT through the local file storage."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture(scope="session", autouse=True)
def _close_worker_thread_connections(django_db_setup):
    """Async tests reach the ORM from asgiref's worker thread; close its connection, and the
    connection pool, before the test database is dropped (this tears down before it)."""
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    from chatelly import async_db

    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=10)
    async_db.close_all()
    for connection in connections.all():
        if getattr(connection, "close_pool", None) and connection.settings_dict.get("OPTIONS", {}).get(
            "pool"
        ):
            connection.close_pool()


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1 that Django's SMTP backend sends to."""
    from testsupport.smtp import SmtpServer

    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()
