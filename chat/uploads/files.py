"""Uploaded files: the allow-list, checked on the bytes (never the client's claim)."""

import zipfile

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from chatelly.errors import InvalidInput, PayloadTooLarge

# extension -> content type; the allow-list of docs/embedding.md ("Files").
ALLOWED = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "txt": "text/plain",
    "csv": "text/csv",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
ALLOWED_LIST = "images (png, jpeg, gif, webp), pdf, txt, csv, docx, xlsx or zip"


class TooLarge(PayloadTooLarge):
    def __init__(self, limit_mb: int):
        super().__init__(f"The file is larger than {limit_mb} MB.", field="file")


def _office_kind(upload: UploadedFile) -> str | None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist()[:2000])
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        upload.seek(0)
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return "zip"


def _looks_like_text(upload: UploadedFile) -> bool:
    upload.seek(0)
    sample = upload.read(64 * 1024)
    upload.seek(0)
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        if exc.start < len(sample) - 4:
            return False
    lowered = sample.lstrip().lower()
    return not lowered.startswith((b"<!doctype html", b"<html", b"<svg", b"<?xml", b"<script"))


def detect_kind(upload: UploadedFile) -> str | None:
    """The allow-listed extension this file really is, or None."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _office_kind(upload)
    name = (upload.name or "").lower()
    if name.endswith((".txt", ".csv")) and _looks_like_text(upload):
        return name.rsplit(".", 1)[-1]
    return None


def check_upload(upload) -> tuple[str, str]:
    """(extension, content type) of an acceptable upload; InvalidInput or TooLarge otherwise."""
    if upload is None or not isinstance(upload, UploadedFile):
        raise InvalidInput("Send the file as multipart form field `file`.", field="file")
    limit_mb = settings.CHATELLY_MAX_UPLOAD_MB
    if upload.size > limit_mb * 1024 * 1024:
        raise TooLarge(limit_mb)
    if upload.size == 0:
        raise InvalidInput("The file is empty.", field="file")
    kind = detect_kind(upload)
    if kind is None:
        raise InvalidInput(f"This type of file is not accepted; send {ALLOWED_LIST}.", field="file")
    return kind, ALLOWED[kind]


def display_name(name: str | None, extension: str) -> str:
    """The name shown to people: the client's, trimmed, without path parts."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200] or f"file.{extension}"
    return base
