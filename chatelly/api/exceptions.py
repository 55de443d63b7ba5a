"""DRF exception handler producing the API's error shape (README, "API") for every exception."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from django_ratelimit.exceptions import Ratelimited
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from chatelly.errors import AppError

from .errors import error_body

logger = logging.getLogger("chatelly.api")

# DRF exception class -> (error code, message shown when DRF's is not useful).
_DRF_ERRORS: list[tuple[type, str, str | None]] = [
    (InvalidToken, "token_not_valid", "The token is invalid or expired."),
    (drf.NotAuthenticated, "not_authenticated", None),
    (drf.AuthenticationFailed, "token_not_valid", "The token is invalid or expired."),
    (drf.ParseError, "parse_error", "The request body is not valid JSON."),
    (drf.ValidationError, "validation_error", "Some fields are invalid."),
    (drf.PermissionDenied, "permission_denied", None),
    (drf.NotFound, "not_found", "Not found."),
    (drf.MethodNotAllowed, "method_not_allowed", None),
    (drf.UnsupportedMediaType, "unsupported_media_type", None),
    (drf.NotAcceptable, "not_acceptable", None),
]


def flatten_details(detail, prefix: str = "") -> dict[str, str]:
    """DRF's nested error detail -> {"dotted.path": "first message"}."""
    out: dict[str, str] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = str(key)
            if name == "non_field_errors" and prefix:
                name = ""
            path = f"{prefix}.{name}" if prefix and name else (prefix or name)
            out.update(flatten_details(value, path))
    elif isinstance(detail, list):
        if detail and all(not isinstance(item, (dict, list)) for item in detail):
            out[prefix or "non_field_errors"] = str(detail[0])
        else:
            for index, item in enumerate(detail):
                if item:
                    out.update(flatten_details(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out[prefix or "non_field_errors"] = str(detail)
    return out


# AppError code -> HTTP status (each operation's error responses in the OpenAPI
# schema). A code not here is one of the socket's finer validation codes
# (too_long, email_required): over HTTP, a validation error of its field.
APP_ERROR_STATUS: dict[str, int] = {
    "validation_error": 400,
    "token_not_valid": 401,
    "authentication_failed": 401,
    "permission_denied": 403,
    "plan_limit": 403,
    "not_found": 404,
    "conflict": 409,
    "chat_closed": 409,
    "payload_too_large": 413,
    "rate_limited": 429,
    "unavailable": 503,
}


def app_error_response(exc: AppError, context) -> Response:
    """The one mapping of an AppError to the HTTP error shape."""
    error = exc.code if exc.code in APP_ERROR_STATUS else "validation_error"
    if error == "not_found" and exc.field is not None and exc.field not in (context.get("kwargs") or {}):
        # What a body field names was not found (an attachment_id): the URL was,
        # so it is that field's error; an object the URL names is a 404.
        error = "validation_error"
    if error == "validation_error":
        details = exc.details or {exc.field or "non_field_errors": exc.message}
        return _response(400, error, "Some fields are invalid.", flatten_details(details))
    if error == "not_found":  # one message, whether absent or hidden
        return _response(404, error, "Not found.")
    exc_status, headers = APP_ERROR_STATUS[error], {}
    if error == "rate_limited":
        headers["Retry-After"] = str(max(1, int(getattr(exc, "retry_after", 60))))
    if error == "token_not_valid":
        # As DRF answers its own InvalidToken: a challenge, or 403 without one.
        view = context.get("view")
        challenge = view.get_authenticate_header(context["request"]) if view is not None else None
        if challenge:
            headers["WWW-Authenticate"] = challenge
        else:
            exc_status = 403
    return _response(exc_status, error, exc.message, exc.details, headers)


def _response(exc_status: int, error: str, message: str, details=None, headers=None):
    response = Response(error_body(error, message, exc_status, details), status=exc_status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def exception_handler(exc, context):
    """Every exception in the error shape: ours, the client's excess, a backing
    service down, DRF's own; anything else a logged 500."""
    if isinstance(exc, AppError):
        return app_error_response(exc, context)
    response = _over_limit_response(exc)
    if response is None:
        exc = _as_drf_exception(exc)
        response = _backing_service_response(exc)
    if response is None:
        response = _drf_response(exc)
    if response is None:
        logger.exception("unhandled error in %s", context.get("view").__class__.__name__)
        response = _response(500, "server_error", "Something went wrong on our side.")
    return response


def _over_limit_response(exc):
    """Throttled, rate limited or nested too deeply: the client's excess; else None."""
    if isinstance(exc, drf.Throttled):
        wait = max(1, int(exc.wait or 1))
        return _response(
            429, "rate_limited", "Too many requests; slow down.", headers={"Retry-After": str(wait)}
        )
    if isinstance(exc, Ratelimited):
        return _response(429, "rate_limited", "Too many requests; slow down.", headers={"Retry-After": "60"})
    if isinstance(exc, RecursionError):
        # A body nested past Python's parser (views without chatelly.api.parsers,
        # which names the field): the client's input, not our fault.
        return _response(400, "parse_error", "The request body is nested too deeply.")
    return None


def _as_drf_exception(exc):
    """Simple JWT's and Django's exceptions as the DRF ones they mean."""
    if isinstance(exc, TokenError):
        return InvalidToken()
    if isinstance(exc, Http404):
        return drf.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return drf.PermissionDenied()
    return exc


def _backing_service_response(exc):
    """503 when the database or Redis is unreachable, 500 for another database error; else None."""
    if isinstance(exc, (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)):
        logger.error("backing service unavailable: %s", exc.__class__.__name__)
        return _response(503, "unavailable", "A backing service is unavailable; retry later.")
    if isinstance(exc, DatabaseError):
        logger.exception("database error")
        return _response(500, "server_error", "Something went wrong on our side.")
    return None


def _drf_response(exc):
    """A DRF exception in the error shape, its code from _DRF_ERRORS; else None."""
    for exc_class, error, message in _DRF_ERRORS:
        if isinstance(exc, exc_class):
            details = None
            if isinstance(exc, drf.ValidationError):
                details = flatten_details(exc.detail)
            headers = {}
            auth_header = getattr(exc, "auth_header", None)
            if auth_header:
                headers["WWW-Authenticate"] = auth_header
            text = message or _detail_text(exc)
            return _response(exc.status_code, error, text, details, headers)
    if isinstance(exc, drf.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        return _response(exc.status_code, code, _detail_text(exc))
    return None


def _detail_text(exc: drf.APIException) -> str:
    detail = exc.detail
    if isinstance(detail, (list, dict)):
        return str(exc.default_detail)
    return str(detail)
