"""Django's deploy checks still see our subclasses of its middleware."""

from django.conf import settings
from django.test.utils import override_settings

from chatelly.stock_middleware import check_security_with_stock_middleware


def _ids(**overrides) -> set[str]:
    with override_settings(**overrides):
        return {message.id for message in check_security_with_stock_middleware(None)}


def test_checks_that_need_the_middleware_still_run():
    found = _ids(SECURE_HSTS_SECONDS=0, SECURE_CONTENT_TYPE_NOSNIFF=False, X_FRAME_OPTIONS="SAMEORIGIN")
    assert {"security.W004", "security.W006", "security.W019"} <= found
    assert not found & {"chatelly.W001", "chatelly.W002", "chatelly.W003"}


def test_missing_middleware_is_reported_under_our_ids():
    kept = [
        path
        for path in settings.MIDDLEWARE
        if not path.endswith(("SecurityMiddleware", "CsrfViewMiddleware"))
    ]
    found = _ids(MIDDLEWARE=kept)
    assert {"chatelly.W001", "chatelly.W003"} <= found and "chatelly.W002" not in found
