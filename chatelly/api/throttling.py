"""The whole-API rate limit per user (per client IP for anonymous calls)."""

from django.conf import settings
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle

from chatelly import metrics

from .client_ip import client_ip_for_request


class ApiRateThrottle(BaseThrottle):
    """CHATELLY_RATE_API on every DRF view, counted in the shared cache."""

    def allow_request(self, request, view) -> bool:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            key = f"user:{user.pk}"
        else:
            key = f"ip:{client_ip_for_request(request)}"
        usage = get_usage(
            request,
            group="api",
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
