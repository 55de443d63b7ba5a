"""Uploads: an attachment stored after checking what the file really is, and the
upload quotas (bytes stored per website, per agent and per visitor over the last day).

Measured from the attachment rows (size, created_at), so every process counts
the same uploads. Correct under concurrent uploads: the new row is written
first, then a transaction-scoped lock per quota is taken and the window summed
again; under READ COMMITTED that sum sees every upload committed before the lock
was granted, so two uploads cannot both take the last megabytes. The lock is
held only for that sum and the commit, never while a file is written.
"""

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import F, Q, Sum, Window
from django.utils import timezone

from analytics.models import EventType
from analytics.services import event_record
from chat.models import Attachment
from chat.uploads.files import check_upload, display_name
from chatelly.db import on_postgres
from chatelly.errors import PayloadTooLarge, RateLimited

WINDOW = timedelta(days=1)
MB = 1024 * 1024

# Advisory-lock namespaces (pg_advisory_xact_lock's first key), one per quota.
_LOCK_NAMESPACE = {"website": 0x43480101, "user": 0x43480102, "visitor": 0x43480103}


class QuotaExceeded(RateLimited):
    """Over a quota: retry when enough of the last day's uploads leave the window."""

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, retry_after=retry_after, field="file")


@dataclass(frozen=True)
class Quota:
    scope: str  # "website", "user" or "visitor"
    limit_mb: int
    rows: Q
    lock_key: int

    @property
    def limit(self) -> int:
        return self.limit_mb * MB


def _int32(value: int) -> int:
    return (value + 2**31) % 2**32 - 2**31


def quotas_for(*, website_id: int, uploader_type: str, uploader_id: str) -> list[Quota]:
    """The quotas an upload counts toward (a limit of 0 switches one off)."""
    quotas = [
        Quota(
            "website",
            settings.CHATELLY_UPLOAD_QUOTA_WEBSITE_MB_PER_DAY,
            Q(website_id=website_id),
            _int32(website_id),
        )
    ]
    if uploader_type == "agent":
        quotas.append(
            Quota(
                "user",
                settings.CHATELLY_UPLOAD_QUOTA_USER_MB_PER_DAY,
                Q(uploader_type="agent", uploader_id=uploader_id),
                _int32(int(uploader_id)),
            )
        )
    else:
        quotas.append(
            Quota(
                "visitor",
                settings.CHATELLY_UPLOAD_QUOTA_VISITOR_MB_PER_DAY,
                Q(website_id=website_id, uploader_type="visitor", uploader_id=uploader_id),
                _int32(zlib.crc32(f"{website_id}:{uploader_id}".encode())),
            )
        )
    return [quota for quota in quotas if quota.limit_mb > 0]


_WHOSE = {"website": "This website's", "user": "Your", "visitor": "Your"}


def _check(quota: Quota, *, size: int, since: datetime, exclude_id: int | None = None) -> None:
    """Refuse `size` more bytes when the window already holds too many."""
    if size > quota.limit:
        raise PayloadTooLarge(
            f"The file is larger than the daily upload quota ({quota.limit_mb} MB).",
            field="file",
        )
    rows = Attachment.objects.filter(quota.rows, created_at__gte=since)
    if exclude_id is not None:
        rows = rows.exclude(id=exclude_id)
    used = rows.aggregate(total=Sum("size"))["total"] or 0
    if used + size <= quota.limit:
        return
    # The oldest upload whose leaving the window (with all older ones) makes room.
    frees_room = (
        rows.annotate(running=Window(Sum("size"), order_by=[F("created_at").asc(), F("id").asc()]))
        .filter(running__gte=used + size - quota.limit)
        .order_by("created_at", "id")
        .values_list("created_at", flat=True)
        .first()
    )
    wait = (frees_room + WINDOW - timezone.now()).total_seconds() if frees_room else WINDOW.total_seconds()
    raise QuotaExceeded(
        f"{_WHOSE[quota.scope]} upload quota ({quota.limit_mb} MB a day) is used up.",
        retry_after=max(1, int(wait) + 1),
    )


def _lock(quotas: list[Quota]) -> None:
    """Serialize the quota check of uploads sharing a quota (always in the same order:
    no deadlock). SQLite runs IMMEDIATE transactions: writers are serialized already."""
    if not on_postgres():
        return
    with connection.cursor() as cursor:
        for quota in sorted(quotas, key=lambda q: (_LOCK_NAMESPACE[q.scope], q.lock_key)):
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE[quota.scope], quota.lock_key]
            )


@transaction.atomic
def attachment_create(
    *, website_id: int | None, uploader_type: str, uploader_id: str, upload: UploadedFile
) -> Attachment:
    """Store an uploaded file under a random name, after checking what it really is."""
    extension, content_type = check_upload(upload)
    attachment = Attachment(
        website_id=website_id,
        uploader_type=uploader_type,
        uploader_id=uploader_id,
        name=display_name(upload.name, extension),
        # Django types `size` as int | None; a file from a request always has it.
        size=upload.size,  # type: ignore[misc]
        content_type=content_type,
    )
    upload.seek(0)
    attachment.file.save(f"upload.{extension}", upload, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)  # no row, no orphan file
        raise
    if website_id is not None:
        event_record(
            website_id=website_id,
            event_type=EventType.FILE_UPLOADED,
            visitor_id=uploader_id if uploader_type == "visitor" else "",
            data={"uploader_type": uploader_type, "content_type": content_type, "size": attachment.size},
        )
    return attachment


def upload_store(
    *, website_id: int, uploader_type: str, uploader_id: str, upload: UploadedFile
) -> Attachment:
    """Store an upload for a website if it fits the quotas it counts toward."""
    check_upload(upload)  # a refused type is a 400 whatever the quotas
    quotas = quotas_for(website_id=website_id, uploader_type=uploader_type, uploader_id=uploader_id)
    since = timezone.now() - WINDOW
    for quota in quotas:  # cheap refusal before any byte is written
        _check(quota, size=upload.size, since=since)  # type: ignore[arg-type]  # as above
    attachment = None
    try:
        with transaction.atomic():
            attachment = attachment_create(
                website_id=website_id, uploader_type=uploader_type, uploader_id=uploader_id, upload=upload
            )
            _lock(quotas)
            for quota in quotas:
                _check(quota, size=attachment.size, since=since, exclude_id=attachment.id)
    except BaseException:
        if attachment is not None:  # the row is rolled back: its file goes too
            attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment
