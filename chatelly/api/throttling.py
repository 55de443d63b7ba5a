"""The whole-API rate limit per user (per client IP for anonymous calls)."""

from django.conf import settings
from redis.exceptions import RedisError
from rest_framework.throttling import BaseThrottle

from chatelly import aredis, metrics

from .client_ip import client_ip_for_request
from .ratelimit import RateCounters

GROUP = "api"


def _user_key(user_id) -> str:
    return f"user:{user_id}"


class ApiRateThrottle(BaseThrottle):
    """CHATELLY_RATE_API on every DRF view, counted in the shared cache."""

    def allow_request(self, request, view) -> bool:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            key = _user_key(user.pk)
        else:
            key = f"ip:{client_ip_for_request(request)}"
        usage = RateCounters.hit(request, group=GROUP, key_value=key, rate=settings.CHATELLY_RATE_API)
        self._wait = usage["time_left"] if usage else 0
        limited = bool(usage and usage["should_limit"])
        if limited:
            metrics.RATE_LIMITED.labels(scope="api").inc()
        return not limited

    def wait(self) -> float:
        return max(1, self._wait)


async def api_call_counted(user_id: int) -> bool | None:
    """Count a user's API call on the event loop, in the same counter as
    ApiRateThrottle (django-ratelimit's key): True if within the rate, False
    if over it, None where only the sync cache can count (no Redis, or it did not answer)."""
    client = aredis.client()
    if client is None:
        return None
    name, limit, expiry = RateCounters.counter(
        group=GROUP, key_value=_user_key(user_id), rate=settings.CHATELLY_RATE_API
    )
    key = aredis.cache_backend(settings.RATELIMIT_USE_CACHE).make_and_validate_key(name)
    try:
        async with client.pipeline(transaction=False) as pipe:
            pipe.set(key, 0, nx=True, ex=expiry)
            pipe.incr(key)
            _, count = await pipe.execute()
    except (RedisError, OSError):  # the DRF view answers, through the cache
        return None
    if count > limit:
        metrics.RATE_LIMITED.labels(scope="api").inc()
        return False
    return True
