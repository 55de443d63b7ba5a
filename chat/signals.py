"""Uploaded files leave storage with their rows, however the rows go.

Deleting a website, a chat, a visitor or a user (through a service, the admin,
a cascade or retention) deletes the attachment rows in the database; these
receivers delete the files once that transaction commits (never when it rolls
back), through the storage API, so on local disk and S3 alike.
"""

import logging
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.signals import post_delete

from websites.models import Website

from .models import Attachment, Message

logger = logging.getLogger("chatelly.chat")


def _delete_file(storage, name: str) -> None:
    try:
        storage.delete(name)
    except Exception:  # a file left behind must not fail the other deletions
        logger.exception("could not delete the uploaded file %s", name)


def attachment_deleted(sender, instance: Attachment, using: str, **kwargs) -> None:
    if instance.file.name:
        transaction.on_commit(partial(_delete_file, instance.file.storage, instance.file.name), using=using)


def _deletes_attachments_itself(origin) -> bool:
    """A website's (or its owner's) deletion cascades to the website's attachments."""
    model = origin.model if isinstance(origin, QuerySet) else type(origin)
    return model is Website or model is get_user_model()


def message_deleted(sender, instance: Message, using: str, origin=None, **kwargs) -> None:
    """A message's attachment goes with it (a chat's files go with the chat), unless
    another message still shows it."""
    if instance.attachment_id is None or _deletes_attachments_itself(origin):
        return
    still_shown = Message.objects.using(using).filter(attachment_id=OuterRef("pk"))
    Attachment.objects.using(using).filter(id=instance.attachment_id).exclude(Exists(still_shown)).delete()


def user_deleted(sender, instance, using: str, **kwargs) -> None:
    """The user's websites cascade with their files; agent uploads from before uploads
    named a website have none, so they go here."""
    Attachment.objects.using(using).filter(
        website__isnull=True, uploader_type="agent", uploader_id=str(instance.pk)
    ).delete()


def connect() -> None:
    post_delete.connect(attachment_deleted, sender=Attachment, dispatch_uid="chat.attachment_file")
    post_delete.connect(message_deleted, sender=Message, dispatch_uid="chat.message_attachment")
    post_delete.connect(user_deleted, sender=settings.AUTH_USER_MODEL, dispatch_uid="chat.user_uploads")
