"""Serving uploads from local storage: images inline, everything else as a download,
never sniffed, never able to run script (the application serves them itself
unless nginx takes /media/ over, with the same headers: deploy/nginx.conf)."""

import mimetypes

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404

from chat.models import Attachment
from chatelly.api.views import get_only

from .files import INLINE_TYPES


@get_only
def serve_media(request, path: str):
    try:
        full_path = default_storage.path(path)
    except SuspiciousFileOperation:  # a path that leaves MEDIA_ROOT
        raise Http404() from None
    attachment = Attachment.objects.filter(file=path).only("name", "content_type").first()
    if attachment is None:
        raise Http404()
    try:
        handle = open(full_path, "rb")  # noqa: SIM115 (FileResponse closes it)
    except OSError:
        raise Http404() from None
    content_type = attachment.content_type or mimetypes.guess_type(path)[0] or "application/octet-stream"
    inline = content_type in INLINE_TYPES
    response = FileResponse(
        handle, content_type=content_type, as_attachment=not inline, filename=attachment.name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=86400"
    return response
