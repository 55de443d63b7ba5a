"""The one error shape of the API: {"error", "message", "code", "details"?}.

Raise these from services and views; `exceptions.exception_handler` turns every
exception (ours, DRF's, Django's) into that shape.
"""

from rest_framework import status
from rest_framework.exceptions import APIException


class ApiError(APIException):
    """An API error with a stable `error` code and optional field details."""

    status_code = status.HTTP_400_BAD_REQUEST
    error = "validation_error"
    default_detail = "The request is invalid."

    def __init__(self, message: str | None = None, *, details: dict | None = None):
        super().__init__(message or self.default_detail)
        self.details = details or None


class Conflict(ApiError):
    status_code = status.HTTP_409_CONFLICT
    error = "conflict"
    default_detail = "The request clashes with the current state."


class ChatClosed(ApiError):
    status_code = status.HTTP_409_CONFLICT
    error = "chat_closed"
    default_detail = "The chat is closed."


class PlanLimit(ApiError):
    status_code = status.HTTP_403_FORBIDDEN
    error = "plan_limit"
    default_detail = "Your plan does not allow this."


class PayloadTooLarge(ApiError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    error = "payload_too_large"
    default_detail = "The upload is too large."


class Unavailable(ApiError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    error = "unavailable"
    default_detail = "A backing service is unavailable; retry later."


class LoginFailed(ApiError):
    status_code = status.HTTP_401_UNAUTHORIZED
    error = "authentication_failed"
    default_detail = "Invalid email or password."


class RateLimited(ApiError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    error = "rate_limited"
    default_detail = "Too many requests; slow down."

    def __init__(self, retry_after: int, message: str | None = None):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


def error_body(error: str, message: str, status_code: int, details=None) -> dict:
    body = {"error": error, "message": message, "code": status_code}
    if details:
        body["details"] = details
    return body
