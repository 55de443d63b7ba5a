"""Why the application refused something: the one error hierarchy.

Services, selectors and the helpers they call raise AppError (never an HTTP or
DRF type). Two mappings turn it into what a client sees, one per transport:
`chatelly.api.exceptions` answers HTTP with the API's error shape (README,
"API"; `Error` in the OpenAPI schema), and `error_frame` below builds
docs/protocol.md's `error` frame. Admin actions and management commands catch
AppError and show `summary()`.

`code` is the error code both documents use; `field` names the input at fault;
`details` maps fields (dotted paths for nested ones) to a message or a list of
messages, as DRF's ValidationError took them.
"""

from typing import Any


class AppError(Exception):
    """A refusal with a stable `code` (`AppError("too_long", "...", field="content")`);
    raise a subclass where one fits."""

    code = "error"
    default_message = "The request cannot be done."

    def __init__(
        self, code: str, message: str | None = None, *, field: str | None = None, details: dict | None = None
    ):
        message = message or self.default_message
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.details = details or None

    def summary(self) -> str:
        """One line for a person (admin, command line): the fields and their messages."""
        if self.details:
            return "; ".join(f"{key}: {_first(value)}" for key, value in self.details.items())
        return f"{self.field}: {self.message}" if self.field else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, field={self.field!r})"


def _first(value: Any) -> str:
    return str(value[0] if isinstance(value, (list, tuple)) and value else value)


class _Coded(AppError):
    """A subclass whose class fixes the code: `NotFound()`, `InvalidInput("...", field="email")`."""

    def __init__(self, message: str | None = None, *, field: str | None = None, details: dict | None = None):
        super().__init__(type(self).code, message, field=field, details=details)


class InvalidInput(_Coded):
    """A field missing, of the wrong type or value; `details` for several fields."""

    code = "validation_error"
    default_message = "Some fields are invalid."


class TooLong(InvalidInput):
    """Content over the limit (the socket says `too_long`; HTTP a validation error)."""

    code = "too_long"
    default_message = "The content is too long."


class EmailRequired(InvalidInput):
    """The website wants the visitor's email before the first message."""

    code = "email_required"
    default_message = "Give an email address (identify) before the first message."


class NotFound(_Coded):
    """An object that does not exist or that the caller may not see."""

    code = "not_found"
    default_message = "Not found."


class PermissionDenied(_Coded):
    """The caller is known but their role is too low."""

    code = "permission_denied"
    default_message = "You do not have permission to perform this action."


class PlanLimit(_Coded):
    code = "plan_limit"
    default_message = "Your plan does not allow this."


class Conflict(_Coded):
    """The request clashes with the current state (an existing member, the owner)."""

    code = "conflict"
    default_message = "The request clashes with the current state."


class ChatClosed(_Coded):
    code = "chat_closed"
    default_message = "The chat is closed."


class PayloadTooLarge(_Coded):
    code = "payload_too_large"
    default_message = "The upload is too large."


class RateLimited(_Coded):
    """Over a rate or a quota; `retry_after` in seconds."""

    code = "rate_limited"
    default_message = "Too many requests; slow down."

    def __init__(self, message: str | None = None, *, retry_after: int = 60, field: str | None = None):
        super().__init__(message, field=field)
        self.retry_after = max(1, int(retry_after))


class Unavailable(_Coded):
    """A backing service (database, Redis) is down; nothing was done."""

    code = "unavailable"
    default_message = "A backing service is unavailable; retry later."


class LoginFailed(_Coded):
    """Wrong email or password: the same answer for both."""

    code = "authentication_failed"
    default_message = "Invalid email or password."


class TokenNotValid(_Coded):
    """A malformed, expired, spent or revoked token."""

    code = "token_not_valid"
    default_message = "The token is invalid or expired."


def error_frame(exc: AppError, client_id: Any = None) -> dict:
    """docs/protocol.md's `error` frame for `exc`; `client_id` when the frame that
    failed had one."""
    return frame_of(exc.code, exc.message, client_id)


def frame_of(code: str, message: str, client_id: Any = None) -> dict:
    frame = {"type": "error", "code": code, "message": message}
    if isinstance(client_id, str):
        frame["client_id"] = client_id
    return frame
