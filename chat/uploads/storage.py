"""S3 storage for uploads (used when AWS_STORAGE_BUCKET_NAME is set): the same
rules as local files: images inline, everything else a download, never sniffed."""

from storages.backends.s3 import S3Storage

from .files import ALLOWED, INLINE_TYPES


def object_parameters_for(name: str) -> dict:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    content_type = ALLOWED.get(extension, "application/octet-stream")
    parameters = {"ContentType": content_type, "CacheControl": "private, max-age=86400"}
    if content_type not in INLINE_TYPES:
        parameters["ContentDisposition"] = "attachment"
    return parameters


class AttachmentS3Storage(S3Storage):
    def get_object_parameters(self, name: str) -> dict:
        return {**super().get_object_parameters(name), **object_parameters_for(name)}
