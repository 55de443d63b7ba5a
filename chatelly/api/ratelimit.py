"""Rate limits over django-ratelimit's counters, answered as 429 + Retry-After."""

from django.conf import settings
from django_ratelimit.core import get_usage

from chatelly import metrics

from .errors import RateLimited


def enforce_rate(request, *, group: str, key_value: str, rate_setting: str) -> None:
    """Count one hit on (group, key_value) and raise RateLimited when over.

    `rate_setting` names a setting, read at call time, so tests and operators
    can change it without a restart of the module.
    """
    rate = getattr(settings, rate_setting)
    usage = get_usage(request, group=group, key=lambda _g, _r: key_value, rate=rate, increment=True)
    if usage and usage["should_limit"]:
        metrics.RATE_LIMITED.labels(scope=group).inc()
        raise RateLimited(retry_after=usage["time_left"])
