"""What both upload endpoints share: the early size check."""

from django.conf import settings

from chatelly.errors import PayloadTooLarge

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
