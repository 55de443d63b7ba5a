"""/healthz (the process runs) and /readyz (its backing services answer)."""

import shutil
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse

from chatelly.api.views import get_only


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        problem = check()
    except Exception as exc:  # any failure makes the check fail, named, no internals
        problem = f"{exc.__class__.__name__}"
    result = {
        "ok": problem is None,
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
    }
    if problem is not None:
        result["error"] = problem
    return result


def _database() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return None


def _redis() -> str | None:
    if not settings.REDIS_URL:
        return None  # embedded default: in-process cache and channel layer
    # Django's RedisCache: one PING on its pooled client.
    client = cache.redis_client()  # chatelly.cache.RedisCache
    client.ping()
    return None


def _disk() -> str | None:
    path = settings.MEDIA_ROOT if settings.MEDIA_ROOT.exists() else settings.BASE_DIR
    free_mb = shutil.disk_usage(path).free / 2**20
    if free_mb < settings.CHATELLY_READY_MIN_DISK_MB:
        return f"{free_mb:.0f} MB free, below {settings.CHATELLY_READY_MIN_DISK_MB} MB"
    return None


def _memory() -> str | None:
    try:
        with open("/proc/meminfo") as meminfo:
            fields = dict(line.split(":", 1) for line in meminfo)
    except OSError:
        return None  # not Linux: nothing to measure
    available_mb = int(fields["MemAvailable"].split()[0]) / 1024
    if available_mb < settings.CHATELLY_READY_MIN_MEMORY_MB:
        return f"{available_mb:.0f} MB available, below {settings.CHATELLY_READY_MIN_MEMORY_MB} MB"
    return None


CHECKS = {"database": _database, "redis": _redis, "disk": _disk, "memory": _memory}


@get_only
def healthz(request):
    return JsonResponse({"status": "ok"})


@get_only
def readyz(request):
    checks = {name: _timed(check) for name, check in CHECKS.items()}
    ok = all(result["ok"] for result in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks},
        status=200 if ok else 503,
    )
