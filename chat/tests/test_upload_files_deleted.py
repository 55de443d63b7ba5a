"""Uploaded files leave storage with their rows: website, chat, visitor and user
deletion (service, admin, cascade), retention and the unused-upload purge; after
commit only. Real files in a temporary MEDIA_ROOT; S3 through a storage class
that records what the backend is asked to delete."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from chat import services as chat_services
from chat.models import Attachment, Chat, Message, Visitor
from chat.services.retention import data_purge
from chat.uploads.storage import AttachmentS3Storage
from conftest import bearer
from websites import services as website_services
from websites.models import Website

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%test\n"


def visitor_upload(website, visitor, name="photo.png", data=PNG) -> Attachment:
    return chat_services.attachment_create(
        website_id=website.id,
        uploader_type="visitor",
        uploader_id=visitor.visitor_id,
        upload=SimpleUploadedFile(name, data),
    )


def conversation(website, *, attach: bool = True):
    """A visitor's chat with a message showing their upload; and the upload."""
    visitor = chat_services.visitor_connect(website_id=website.id, visitor_id=None)
    upload = visitor_upload(website, visitor)
    posted = chat_services.visitor_message_post(
        site={"id": website.id, "settings": {}},
        visitor=visitor,
        content="look" if not attach else "",
        client_id="c1",
        attachment_id=upload.id if attach else None,
    )
    return visitor, Chat.objects.get(id=posted.message.chat_id), upload


def on_disk(media, attachment: Attachment) -> bool:
    return (media / attachment.file.name).is_file()


@pytest.fixture
def media(local_media):
    return local_media


@pytest.fixture
def agent_upload(user):
    def upload(website, data=PDF, name="report.pdf") -> Attachment:
        client = APIClient()
        client.credentials(**bearer(user))
        response = client.post(
            "/api/v1/uploads",
            {"file": SimpleUploadedFile(name, data), "website_id": website.id},
            format="multipart",
        )
        assert response.status_code == 201, response.json()
        return Attachment.objects.get(id=response.json()["id"])

    return upload


# --- local storage, on commit ---------------------------------------------------


@pytest.mark.django_db
def test_deleting_a_website_deletes_its_files(
    user, website, make_website, media, agent_upload, django_capture_on_commit_callbacks
):
    _, _, shown = conversation(website)
    unattached = agent_upload(website)
    other_site = make_website(name="Other")
    _, _, kept = conversation(other_site)
    assert on_disk(media, shown) and on_disk(media, unattached)
    client = APIClient()
    client.credentials(**bearer(user))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert client.delete(f"/api/v1/websites/{website.id}").status_code == 204
    assert on_disk(media, shown) and on_disk(media, unattached)  # not before commit
    for callback in callbacks:
        callback()
    assert not on_disk(media, shown) and not on_disk(media, unattached)
    assert on_disk(media, kept)
    assert list(Attachment.objects.values_list("id", flat=True)) == [kept.id]


@pytest.mark.django_db
def test_deleting_a_chat_deletes_the_files_its_messages_show(
    website, media, django_capture_on_commit_callbacks
):
    visitor, chat, shown = conversation(website)
    _, other_chat, other_file = conversation(website)
    # The same upload shown again in another chat of its uploader stays while shown.
    again = chat_services.visitor_message_post(
        site={"id": website.id, "settings": {}},
        visitor=visitor,
        content="",
        client_id="c2",
        attachment_id=shown.id,
    )
    assert again.message.chat_id == chat.id
    with django_capture_on_commit_callbacks(execute=True):
        Chat.objects.filter(id=chat.id).delete()
    assert not Attachment.objects.filter(id=shown.id).exists() and not on_disk(media, shown)
    assert Attachment.objects.filter(id=other_file.id).exists() and on_disk(media, other_file)
    assert Message.objects.filter(chat=other_chat).exists()


@pytest.mark.django_db
def test_a_file_shown_in_another_chat_is_kept(website, media, django_capture_on_commit_callbacks):
    visitor, chat, shown = conversation(website)
    chat_services.chat_close(chat=chat)
    posted = chat_services.visitor_message_post(
        site={"id": website.id, "settings": {}},
        visitor=visitor,
        content="",
        client_id="c9",
        attachment_id=shown.id,
    )
    assert posted.message.chat_id != chat.id
    with django_capture_on_commit_callbacks(execute=True):
        chat.delete()
    assert Attachment.objects.filter(id=shown.id).exists() and on_disk(media, shown)


@pytest.mark.django_db
def test_deleting_a_visitor_deletes_the_files_of_their_chats(
    website, media, django_capture_on_commit_callbacks
):
    visitor, _, shown = conversation(website)
    with django_capture_on_commit_callbacks(execute=True):
        Visitor.objects.get(id=visitor.id).delete()  # e.g. in the admin
    assert not on_disk(media, shown) and not Attachment.objects.filter(id=shown.id).exists()


@pytest.mark.django_db
def test_deleting_a_user_deletes_their_websites_files_and_old_uploads(
    user, website, media, agent_upload, django_capture_on_commit_callbacks
):
    _, _, shown = conversation(website)
    mine = agent_upload(website)
    # An upload from before uploads named a website.
    legacy = chat_services.attachment_create(
        website_id=None,
        uploader_type="agent",
        uploader_id=str(user.id),
        upload=SimpleUploadedFile("a.pdf", PDF),
    )
    someone_elses = chat_services.attachment_create(
        website_id=None,
        uploader_type="agent",
        uploader_id=str(user.id + 1),
        upload=SimpleUploadedFile("b.pdf", PDF),
    )
    with django_capture_on_commit_callbacks(execute=True):
        User.objects.get(id=user.id).delete()
    assert not Website.objects.filter(id=website.id).exists()
    for gone in (shown, mine, legacy):
        assert not on_disk(media, gone) and not Attachment.objects.filter(id=gone.id).exists()
    assert on_disk(media, someone_elses)


@pytest.mark.django_db
def test_admin_deletes_delete_files(staff_client, website, media, django_capture_on_commit_callbacks):
    """One attachment, then several with the bulk action (chats, visitors and websites with
    chats cannot be deleted in the admin: erase_visitor / purge_data / the API do that)."""
    visitor, _, shown = conversation(website)
    loose = visitor_upload(website, visitor, "doc.pdf", PDF)
    more = [visitor_upload(website, visitor, f"{n}.pdf", PDF) for n in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/admin/chat/attachment/{loose.id}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not on_disk(media, loose) and on_disk(media, shown)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/admin/chat/attachment/",
            {"action": "delete_selected", "_selected_action": [a.id for a in more], "post": "yes"},
        )
    assert response.status_code == 302
    assert not any(on_disk(media, a) for a in more) and on_disk(media, shown)


@pytest.mark.django_db
def test_retention_deletes_files_of_purged_chats(website, media, django_capture_on_commit_callbacks):
    _, chat, shown = conversation(website)
    Chat.objects.filter(id=chat.id).update(last_message_at=timezone.now() - timedelta(days=400))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        data_purge(older_than=timezone.now() - timedelta(days=365))
    assert not on_disk(media, shown)
    assert len(callbacks) >= 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_delete_keeps_the_files_and_a_committed_one_does_not(user, media):
    website = website_services.website_create(owner=user, name="Shop", domain="shop.example.com")
    visitor, chat, shown = conversation(website)
    loose = visitor_upload(website, visitor, "doc.pdf", PDF)

    class Undo(Exception):
        pass

    for delete in (
        lambda: Chat.objects.filter(id=chat.id).delete(),
        lambda: Attachment.objects.filter(id=loose.id).delete(),
        lambda: website_services.website_delete(website=Website.objects.get(id=website.id)),
        lambda: User.objects.get(id=user.id).delete(),
    ):
        with pytest.raises(Undo), transaction.atomic():
            delete()
            raise Undo
    assert on_disk(media, shown) and on_disk(media, loose)
    assert Attachment.objects.filter(id__in=[shown.id, loose.id]).count() == 2
    with transaction.atomic():
        User.objects.get(id=user.id).delete()
        assert on_disk(media, shown)  # still there until the commit
    assert not on_disk(media, shown) and not on_disk(media, loose)


# --- unused uploads ---------------------------------------------------------------


@pytest.mark.django_db
def test_purge_data_removes_uploads_never_attached(
    website, media, agent_upload, settings, django_capture_on_commit_callbacks
):
    settings.CHATELLY_UNUSED_UPLOAD_HOURS = 24
    visitor, _, shown = conversation(website)
    unused = visitor_upload(website, visitor, "doc.pdf", PDF)
    agents_unused = agent_upload(website)
    fresh = visitor_upload(website, visitor, "new.pdf", PDF)
    day_ago = timezone.now() - timedelta(hours=25)
    Attachment.objects.exclude(id=fresh.id).update(created_at=day_ago)

    out = StringIO()
    call_command("purge_data", "--dry-run", stdout=out)
    assert "would delete 2 unused uploads" in out.getvalue()
    assert Attachment.objects.count() == 4

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_data", stdout=out)
    assert "deleted 2 unused uploads" in out.getvalue()
    for gone in (unused, agents_unused):
        assert not Attachment.objects.filter(id=gone.id).exists() and not on_disk(media, gone)
    for kept in (shown, fresh):  # shown by a message; too recent to be judged unused
        assert Attachment.objects.filter(id=kept.id).exists() and on_disk(media, kept)


@pytest.mark.django_db
def test_unused_upload_hours_is_a_setting(website, media, settings, django_capture_on_commit_callbacks):
    settings.CHATELLY_UNUSED_UPLOAD_HOURS = 2
    visitor = chat_services.visitor_connect(website_id=website.id, visitor_id=None)
    upload = visitor_upload(website, visitor)
    Attachment.objects.update(created_at=timezone.now() - timedelta(hours=3))
    with django_capture_on_commit_callbacks(execute=True):
        out = StringIO()
        call_command("purge_data", "--older-than", "365d", stdout=out)
    assert "deleted 0 chats" in out.getvalue() and "deleted 1 unused uploads" in out.getvalue()
    assert not on_disk(media, upload)


# --- S3 -------------------------------------------------------------------------


class RecordingS3Storage(AttachmentS3Storage):
    """The S3 backend with its bucket replaced by a dict (no S3 here)."""

    objects: dict = {}
    deleted: list = []

    def _save(self, name, content):
        content.seek(0)
        self.objects[name] = content.read()
        return name

    def exists(self, name):
        return name in self.objects

    def delete(self, name):
        self.deleted.append(name)
        self.objects.pop(name, None)

    def url(self, name, parameters=None, expire=None, http_method=None):
        return f"https://bucket.example.com/{name}?signed"


@pytest.fixture
def s3(settings):
    RecordingS3Storage.objects = {}
    RecordingS3Storage.deleted = []
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "chat.tests.test_upload_files_deleted.RecordingS3Storage",
            "OPTIONS": {"bucket_name": "chatelly-test", "file_overwrite": False},
        },
    }
    return RecordingS3Storage


@pytest.mark.django_db
def test_s3_objects_are_deleted_with_the_website(
    s3, user, website, make_website, agent_upload, django_capture_on_commit_callbacks
):
    _, _, shown = conversation(website)
    unattached = agent_upload(website)
    _, _, kept = conversation(make_website(name="Other"))
    assert {shown.file.name, unattached.file.name, kept.file.name} <= set(s3.objects)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        website_services.website_delete(website=website)
    assert s3.deleted == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert sorted(s3.deleted) == sorted([shown.file.name, unattached.file.name])  # each once
    assert set(s3.objects) == {kept.file.name}


@pytest.mark.django_db
def test_s3_unused_uploads_are_purged(s3, website, settings, django_capture_on_commit_callbacks):
    visitor = chat_services.visitor_connect(website_id=website.id, visitor_id=None)
    upload = visitor_upload(website, visitor)
    Attachment.objects.update(created_at=timezone.now() - timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_data", stdout=StringIO())
    assert s3.deleted == [upload.file.name]
