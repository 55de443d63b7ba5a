import json

import pytest

from testsupport.servers import ServerProcess, server_env

pytestmark = pytest.mark.django_db


def test_healthz(api):
    response = api.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_every_check(api):
    response = api.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "disk", "memory"}
    for check in body["checks"].values():
        assert check["ok"] is True
        assert isinstance(check["latency_ms"], float | int)
        assert "error" not in check


def test_readyz_fails_on_low_disk(api, settings):
    settings.CHATELLY_READY_MIN_DISK_MB = 10**12
    response = api.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["disk"]["ok"] is False
    assert "below" in body["checks"]["disk"]["error"]
    assert body["checks"]["database"]["ok"] is True


def test_readyz_fails_on_low_memory(api, settings):
    settings.CHATELLY_READY_MIN_MEMORY_MB = 10**9
    response = api.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["memory"]["ok"] is False


@pytest.mark.e2e
def test_readyz_names_the_database_when_it_is_unreachable():
    env = server_env(DATABASE_URL="postgres://postgres@127.0.0.1:1/unreachable")
    with ServerProcess(env=env) as server:
        status, raw = server.get("/readyz")
        assert status == 503
        body = json.loads(raw)
        assert body["status"] == "unavailable"
        assert body["checks"]["database"]["ok"] is False
        assert body["checks"]["database"]["error"] == "OperationalError"
        assert body["checks"]["disk"]["ok"] is True
        # The process itself is alive.
        assert server.get("/healthz")[0] == 200
        # An API call that needs the database answers 503 `unavailable`.
        status, raw = server.request(
            "POST", "/api/v1/auth/login", {"email": "a@example.com", "password": "x"}
        )
        assert status == 503
        assert json.loads(raw) == {
            "error": "unavailable",
            "message": "A backing service is unavailable; retry later.",
            "code": 503,
        }


@pytest.mark.e2e
def test_readyz_names_redis_when_it_is_unreachable():
    env = server_env(REDIS_URL="redis://127.0.0.1:1/0")
    with ServerProcess(env=env) as server:
        status, raw = server.get("/readyz")
        assert status == 503
        body = json.loads(raw)
        assert body["checks"]["redis"]["ok"] is False
        assert body["checks"]["redis"]["error"]
        assert body["checks"]["database"]["ok"] is True
