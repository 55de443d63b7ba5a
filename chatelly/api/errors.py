"""The one error shape of the API: {"error", "message", "code", "details"?}.

The errors themselves are `chatelly.errors` (AppError and its subclasses, raised
by services and views alike); `exceptions.exception_handler` turns every
exception (ours, DRF's, Django's) into this shape. The names below are the
shared classes, kept importable from here for the HTTP layer.
"""

from chatelly.errors import (  # noqa: F401 (re-exported)
    AppError,
    ChatClosed,
    Conflict,
    LoginFailed,
    PayloadTooLarge,
    PlanLimit,
    RateLimited,
    Unavailable,
)


def error_body(error: str, message: str, status_code: int, details=None) -> dict:
    body = {"error": error, "message": message, "code": status_code}
    if details:
        body["details"] = details
    return body
