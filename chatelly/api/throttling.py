"""The whole-API rate limit per user (per client IP for anonymous calls)."""

from django.conf import settings
from django_ratelimit import ALL
from django_ratelimit.core import EXPIRATION_FUDGE, _get_window, _make_cache_key, _split_rate, get_usage
from redis.exceptions import RedisError
from rest_framework.throttling import BaseThrottle

from chatelly import aredis, metrics

from .client_ip import client_ip_for_request

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
        usage = get_usage(
            request,
            group=GROUP,
            key=lambda _g, _r: key,
            rate=settings.CHATELLY_RATE_API,
            increment=True,
        )
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
    rate = settings.CHATELLY_RATE_API
    limit, period = _split_rate(rate)
    value = _user_key(user_id)
    key = aredis.cache_backend(settings.RATELIMIT_USE_CACHE).make_and_validate_key(
        _make_cache_key(GROUP, _get_window(value, period), rate, value, ALL)
    )
    try:
        async with client.pipeline(transaction=False) as pipe:
            pipe.set(key, 0, nx=True, ex=period + EXPIRATION_FUDGE)
            pipe.incr(key)
            _, count = await pipe.execute()
    except (RedisError, OSError):  # the DRF view answers, through the cache
        return None
    if count > limit:
        metrics.RATE_LIMITED.labels(scope="api").inc()
        return False
    return True
