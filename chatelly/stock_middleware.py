"""Django's stock middleware with their hooks inline in async mode (see InlineHooks).

Each class is Django's own; only the thread hops differ. Settings name these.
"""

from django.conf import settings
from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.core import checks
from django.core.checks.security import base as security_checks
from django.core.checks.security import csrf as csrf_checks
from django.middleware import clickjacking, common, csrf, security
from django.test.utils import override_settings

from .middleware import InlineHooks

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class SecurityMiddleware(InlineHooks, security.SecurityMiddleware):
    pass


class CommonMiddleware(InlineHooks, common.CommonMiddleware):
    pass


class SessionMiddleware(InlineHooks, sessions.SessionMiddleware):
    def response_needs_thread(self, request) -> bool:
        # Saving (or deleting) the session is a database write; reading the
        # lazily loaded session object's flags is not.
        session = getattr(request, "session", None)
        return session is not None and (session.modified or settings.SESSION_SAVE_EVERY_REQUEST)


class CsrfViewMiddleware(InlineHooks, csrf.CsrfViewMiddleware):
    def view_needs_thread(self, request, callback) -> bool:
        # An unsafe request to a protected view parses its form body (maybe a
        # file upload spooled to disk) and may render the failure page.
        return request.method not in SAFE_METHODS and not getattr(callback, "csrf_exempt", False)


class AuthenticationMiddleware(InlineHooks, auth.AuthenticationMiddleware):
    pass


class MessageMiddleware(InlineHooks, messages.MessageMiddleware):
    def response_needs_thread(self, request) -> bool:
        # Storing messages may write to the session.
        storage = getattr(request, "_messages", None)
        return storage is not None and (storage.used or storage.added_new)


class XFrameOptionsMiddleware(InlineHooks, clickjacking.XFrameOptionsMiddleware):
    pass


# --- check --deploy ---------------------------------------------------------
# Django's deploy checks look for its middleware by dotted path: with these
# subclasses they would report the middleware missing (security.W001-W003)
# and skip every check that depends on it (HSTS, SSL redirect, nosniff,
# referrer and opener policy, X-Frame-Options, CSRF cookie). settings silence
# W001-W003; this check runs those checks again with each subclass read as
# its Django parent, and reports missing middleware under its own ids.

DJANGO_PATHS = {
    f"{__name__}.{cls.__name__}": f"{cls.__bases__[1].__module__}.{cls.__name__}"
    for cls in (
        SecurityMiddleware,
        CommonMiddleware,
        SessionMiddleware,
        CsrfViewMiddleware,
        AuthenticationMiddleware,
        MessageMiddleware,
        XFrameOptionsMiddleware,
    )
}
SILENCED = {
    "security.W001": "chatelly.W001",
    "security.W002": "chatelly.W002",
    "security.W003": "chatelly.W003",
}
_MIDDLEWARE_DEPENDENT = [
    security_checks.check_security_middleware,
    security_checks.check_xframe_options_middleware,
    security_checks.check_sts,
    security_checks.check_sts_include_subdomains,
    security_checks.check_sts_preload,
    security_checks.check_content_type_nosniff,
    security_checks.check_ssl_redirect,
    security_checks.check_xframe_deny,
    security_checks.check_referrer_policy,
    security_checks.check_cross_origin_opener_policy,
    csrf_checks.check_csrf_middleware,
    csrf_checks.check_csrf_cookie_secure,
]


@checks.register(checks.Tags.security, deploy=True)
def check_security_with_stock_middleware(app_configs, **kwargs):
    as_django = [DJANGO_PATHS.get(path, path) for path in settings.MIDDLEWARE]
    found = []
    with override_settings(MIDDLEWARE=as_django):
        for check in _MIDDLEWARE_DEPENDENT:
            found.extend(check(app_configs))
    for message in found:
        message.id = SILENCED.get(message.id, message.id)
    return found
