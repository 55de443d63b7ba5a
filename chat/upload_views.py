"""What both upload endpoints share: the early size check and error mapping."""

from django.conf import settings
from rest_framework.exceptions import ValidationError

from chatelly.api.errors import PayloadTooLarge, RateLimited

from .errors import ChatError

MULTIPART_OVERHEAD = 64 * 1024


def refuse_oversize_body(request) -> None:
    """413 before reading a body that cannot hold an acceptable file."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    limit = settings.CHATELLY_MAX_UPLOAD_MB * 1024 * 1024
    if length > limit + MULTIPART_OVERHEAD:
        raise PayloadTooLarge(f"The file is larger than {settings.CHATELLY_MAX_UPLOAD_MB} MB.")


def upload_error(exc: ChatError) -> Exception:
    if exc.code == "payload_too_large":
        return PayloadTooLarge(exc.message)
    if exc.code == "rate_limited":  # over an upload quota (chat.services.uploads)
        return RateLimited(getattr(exc, "retry_after", 60), exc.message)
    return ValidationError({"file": exc.message})
