"""The S3 storage's per-file headers (the bucket itself cannot be reached from here)."""

from chat.uploads.storage import AttachmentS3Storage, object_parameters_for


def test_images_inline_everything_else_a_download():
    assert object_parameters_for("attachments/abc.png") == {
        "ContentType": "image/png",
        "CacheControl": "private, max-age=86400",
    }
    pdf = object_parameters_for("attachments/abc.pdf")
    assert pdf["ContentDisposition"] == "attachment" and pdf["ContentType"] == "application/pdf"
    assert object_parameters_for("attachments/abc.svg")["ContentDisposition"] == "attachment"
    assert object_parameters_for("noext")["ContentType"] == "application/octet-stream"


def test_the_storage_class_applies_them():
    storage = AttachmentS3Storage(bucket_name="chatelly-test", object_parameters={"StorageClass": "STANDARD"})
    parameters = storage.get_object_parameters("attachments/x.zip")
    assert parameters["StorageClass"] == "STANDARD" and parameters["ContentDisposition"] == "attachment"
