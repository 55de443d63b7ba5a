"""The Django admin's login, throttled like the API login (issue 16, point 7).

The same counters as `POST /api/v1/auth/login` (groups `login-ip` and
`login-email`, rates CHATELLY_RATE_LOGIN and CHATELLY_RATE_LOGIN_EMAIL), so
the two doors share one budget per client IP and per account. Every POST
counts, before the password is looked at; over a limit the form is refused
with the same message as a wrong password, so a locked account is not told
apart from a bad guess.
"""

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django_ratelimit.core import get_usage

from chatelly import metrics
from chatelly.api.client_ip import client_ip_for_request

from .models import normalize_email


def _over(request, *, group: str, key_value: str, rate_setting: str) -> bool:
    """Count one hit; True when the counter is over its rate."""
    rate = getattr(settings, rate_setting)
    usage = get_usage(request, group=group, key=lambda _g, _r: key_value, rate=rate, increment=True)
    if usage and usage["should_limit"]:
        metrics.RATE_LIMITED.labels(scope=f"admin-{group}").inc()
        return True
    return False


class ThrottledAdminLoginForm(AdminAuthenticationForm):
    def clean(self):
        request = self.request
        limited = _over(
            request,
            group="login-ip",
            key_value=client_ip_for_request(request),
            rate_setting="CHATELLY_RATE_LOGIN",
        )
        email = normalize_email(self.cleaned_data.get("username") or "")
        if email:
            limited |= _over(
                request, group="login-email", key_value=email, rate_setting="CHATELLY_RATE_LOGIN_EMAIL"
            )
        if limited:
            raise self.get_invalid_login_error()  # never reaches authenticate()
        return super().clean()
