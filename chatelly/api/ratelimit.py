"""Rate limits over django-ratelimit's counters, answered as 429 + Retry-After.

The one place that reaches into django-ratelimit's internals (how it parses a
rate, its window and its cache key): `RateCounters` below, and nothing else.
chatelly/tests/test_library_adapters.py fails when they change under it.
"""

from django.conf import settings
from django_ratelimit import ALL
from django_ratelimit.core import EXPIRATION_FUDGE, _get_window, _make_cache_key, _split_rate, get_usage

from chatelly import metrics

from .errors import RateLimited


class RateCounters:
    """django-ratelimit's counters, counted through its `get_usage`, or found in the
    cache by their key (to count one on the event loop, in the same counter)."""

    @staticmethod
    def hit(request, *, group: str, key_value: str, rate: str) -> dict | None:
        """Count one hit on (group, key_value); django-ratelimit's usage dict (None when
        the rate is off)."""
        return get_usage(request, group=group, key=lambda _g, _r: key_value, rate=rate, increment=True)

    @staticmethod
    def counter(*, group: str, key_value: str, rate: str) -> tuple[str, int, int]:
        """(cache key before the cache's prefix, limit, seconds the key lives) of the
        counter that `hit` counts in now: django-ratelimit's own key and expiry."""
        limit, period = _split_rate(rate)
        key = _make_cache_key(group, _get_window(key_value, period), rate, key_value, ALL)
        return key, limit, period + EXPIRATION_FUDGE


def enforce_rate(request, *, group: str, key_value: str, rate_setting: str) -> None:
    """Count one hit on (group, key_value) and raise RateLimited when over.

    `rate_setting` names a setting, read at call time, so tests and operators
    can change it without a restart of the module.
    """
    rate = getattr(settings, rate_setting)
    usage = RateCounters.hit(request, group=group, key_value=key_value, rate=rate)
    if usage and usage["should_limit"]:
        metrics.RATE_LIMITED.labels(scope=group).inc()
        raise RateLimited(retry_after=usage["time_left"])
