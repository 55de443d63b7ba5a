"""The ops commands: --help, dry runs, and what they really do."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from analytics import services as analytics_services
from analytics.models import Event
from chat import services
from chat.models import Attachment, Chat, Message, Visitor
from websites.models import Website

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _media(local_media):
    return local_media


@pytest.fixture
def conversation(site, django_capture_on_commit_callbacks):
    """A visitor with a chat (visitor, bot-less), an upload, and its events."""
    with django_capture_on_commit_callbacks(execute=True):
        visitor = services.visitor_connect(website_id=site.id, visitor_id=None)
        upload = services.attachment_create(
            website_id=site.id, uploader_type="visitor", uploader_id=visitor.visitor_id,
            upload=SimpleUploadedFile("photo.png", PNG),
        )  # fmt: skip
        posted = services.visitor_message_post(
            site={"id": site.id, "settings": {}},
            visitor=visitor,
            content="",
            client_id="c1",
            attachment_id=upload.id,
        )
        services.agent_message_post(user=site.user, chat_id=posted.message.chat_id, content="Nice photo")
    analytics_services.flush()
    return visitor, Chat.objects.get(id=posted.message.chat_id), upload


def age(chat: Chat, days: int) -> None:
    then = timezone.now() - timedelta(days=days)
    Chat.objects.filter(id=chat.id).update(started_at=then, last_message_at=then)
    Message.objects.filter(chat=chat).update(created_at=then)
    Attachment.objects.filter(id__in=chat.messages.values("attachment_id")).update(created_at=then)
    Event.objects.filter(visitor_id=chat.visitor_id).update(created_at=then)
    Visitor.objects.filter(id=chat.visitor_record_id).update(last_seen=then)


@pytest.mark.parametrize(
    "command",
    [
        "close_idle_chats",
        "purge_data",
        "erase_visitor",
        "export_visitor",
        "rotate_widget_key",
        "set_plan",
        "seed_demo",
    ],
)
def test_every_command_has_help(command):
    with pytest.raises(SystemExit) as done:
        call_command(command, "--help", stdout=StringIO())
    assert done.value.code == 0


def test_close_idle_chats(conversation, django_capture_on_commit_callbacks):
    _, chat, _ = conversation
    assert "would close 0" in run("close_idle_chats", "--idle", "30m", "--dry-run")
    Chat.objects.filter(id=chat.id).update(last_message_at=timezone.now() - timedelta(minutes=45))
    assert "would close 1" in run("close_idle_chats", "--idle", "30m", "--dry-run")
    assert Chat.objects.get(id=chat.id).status == "active"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert "closed 1" in run("close_idle_chats", "--idle", "30m")
    assert Chat.objects.get(id=chat.id).status == "closed"
    assert callbacks  # both sides are told after commit


@pytest.mark.parametrize("idle", ["30", "0m", "soon", "-5m"])
def test_bad_durations_are_refused(idle):
    with pytest.raises(CommandError):
        call_command("close_idle_chats", "--idle", idle, stdout=StringIO(), stderr=StringIO())


def test_purge_data_dry_run_then_for_real(conversation, site, django_capture_on_commit_callbacks):
    visitor, chat, upload = conversation
    recent_visitor = services.visitor_connect(website_id=site.id, visitor_id=None)
    age(chat, 400)
    path = upload.file.name
    assert default_storage.exists(path)
    report = run("purge_data", "--older-than", "365d", "--dry-run")
    assert "would delete 1 chats, 2 messages" in report and "1 files" in report
    assert Chat.objects.filter(id=chat.id).exists() and default_storage.exists(path)
    with django_capture_on_commit_callbacks(execute=True):
        report = run("purge_data", "--older-than", "365d")
    assert "deleted 1 chats, 2 messages" in report
    assert not Chat.objects.filter(id=chat.id).exists()
    assert not Attachment.objects.filter(id=upload.id).exists() and not default_storage.exists(path)
    assert not Event.objects.filter(visitor_id=visitor.visitor_id).exists()
    assert not Visitor.objects.filter(id=visitor.id).exists()
    assert Visitor.objects.filter(id=recent_visitor.id).exists()  # seen recently: kept


def test_purge_keeps_recent_data(conversation):
    _, chat, upload = conversation
    assert "deleted 0 chats" in run("purge_data", "--older-than", "365d")
    assert Chat.objects.filter(id=chat.id).exists() and Attachment.objects.filter(id=upload.id).exists()


def test_export_visitor_is_json_with_everything(conversation, site):
    visitor, _chat, upload = conversation
    data = json.loads(run("export_visitor", "--website", str(site.id), "--visitor", visitor.visitor_id))
    assert data["visitor"]["visitor_id"] == visitor.visitor_id
    assert [m["content"] for m in data["chats"][0]["messages"]] == ["", "Nice photo"]
    assert data["uploads"][0]["id"] == upload.id
    assert {e["type"] for e in data["events"]} >= {
        "widget_loaded",
        "chat_started",
        "message_sent",
        "file_uploaded",
    }
    with pytest.raises(CommandError):
        run("export_visitor", "--website", str(site.id), "--visitor", "v_nobody")


def test_erase_visitor_removes_everything_including_files(
    conversation, site, django_capture_on_commit_callbacks
):
    visitor, chat, upload = conversation
    other = services.visitor_connect(website_id=site.id, visitor_id=None)
    path = upload.file.name
    report = run("erase_visitor", "--website", str(site.id), "--visitor", visitor.visitor_id, "--dry-run")
    assert "would erase 1 visitors, 1 chats, 2 messages" in report
    assert Visitor.objects.filter(id=visitor.id).exists()
    with django_capture_on_commit_callbacks(execute=True):
        run("erase_visitor", "--website", str(site.id), "--visitor", visitor.visitor_id)
    assert not Visitor.objects.filter(id=visitor.id).exists()
    assert (
        not Chat.objects.filter(id=chat.id).exists() and not Message.objects.filter(chat_id=chat.id).exists()
    )
    assert not Attachment.objects.filter(id=upload.id).exists() and not default_storage.exists(path)
    assert not Event.objects.filter(visitor_id=visitor.visitor_id).exists()
    assert Visitor.objects.filter(id=other.id).exists()
    with pytest.raises(CommandError):
        run("erase_visitor", "--website", str(site.id), "--visitor", visitor.visitor_id)


def test_erase_is_scoped_to_the_website(conversation, make_site):
    visitor, _, _ = conversation
    other_site = make_site(name="Other")
    with pytest.raises(CommandError):
        run("erase_visitor", "--website", str(other_site.id), "--visitor", visitor.visitor_id)
    assert Visitor.objects.filter(id=visitor.id).exists()


def test_rotate_widget_key(site):
    old = site.widget_key
    assert "replaced by" in run("rotate_widget_key", "--website", str(site.id))
    assert Website.objects.get(id=site.id).widget_key != old
    with pytest.raises(CommandError):
        run("rotate_widget_key", "--website", "999999")


def test_set_plan(user):
    assert "pro plan" in run("set_plan", "--email", "OWNER@example.com", "--plan", "pro")
    assert User.objects.get(id=user.id).plan == "pro"
    with pytest.raises(CommandError):
        run("set_plan", "--email", "nobody@example.com", "--plan", "pro")
    with pytest.raises(CommandError):
        call_command(
            "set_plan", "--email", user.email, "--plan", "platinum", stdout=StringIO(), stderr=StringIO()
        )


def _email(key: str, to: str, website_id: int | None, days_old: int = 0):
    from mail import services as mail_services
    from mail.models import EmailDelivery

    context = {"subject": "Hi", "body": "Hello."}
    mail_services.queue_email(
        key=key, kind="test", to=to, template="plain", context=context, website_id=website_id
    )
    EmailDelivery.objects.filter(key=key).update(created_at=timezone.now() - timedelta(days=days_old))


def test_purge_data_forgets_old_emails_but_not_suppressions(site):
    from mail import services as mail_services
    from mail.models import EmailDelivery, Suppression

    _email("old", "a@example.com", site.id, days_old=400)
    _email("new", "b@example.com", site.id)
    mail_services.suppress("a@example.com", reason="unsubscribe", website_id=site.id)
    assert "1 emails" in run("purge_data", "--older-than", "365d", "--dry-run")
    assert EmailDelivery.objects.count() == 2
    assert "1 emails" in run("purge_data", "--older-than", "365d")
    assert list(EmailDelivery.objects.values_list("key", flat=True)) == ["new"]
    assert Suppression.objects.filter(email="a@example.com").exists()


def test_purge_data_always_drops_spent_reset_tokens_and_closed_invitations(site, site_owner):
    from accounts.models import PasswordResetToken
    from websites import services as website_services
    from websites.models import Invitation

    now = timezone.now()
    spent = PasswordResetToken.objects.create(
        user=site_owner, token_hash="a" * 64, expires_at=now - timedelta(days=2)
    )
    live = PasswordResetToken.objects.create(
        user=site_owner, token_hash="b" * 64, expires_at=now + timedelta(hours=1)
    )
    old = website_services.invitation_create(
        website=site, email="x@example.com", role="agent", invited_by=site_owner
    )
    fresh = website_services.invitation_create(
        website=site, email="y@example.com", role="agent", invited_by=site_owner
    )
    Invitation.objects.filter(id=old.id).update(expires_at=now - timedelta(days=31))
    report = run("purge_data", "--dry-run")
    assert "would delete 1 spent password-reset tokens and 1 closed invitations" in report
    assert "deleted 1 spent password-reset tokens and 1 closed invitations" in run("purge_data")
    assert list(PasswordResetToken.objects.values_list("id", flat=True)) == [live.id]
    assert list(Invitation.objects.values_list("id", flat=True)) == [fresh.id]
    assert spent.id != live.id


def test_erase_and_export_cover_the_emails_sent_to_the_visitor(conversation, site, make_site):
    from mail.models import EmailDelivery

    visitor, _, _ = conversation
    Visitor.objects.filter(id=visitor.id).update(email="vera@example.org")
    other_site = make_site(name="Other")
    _email("reply", "vera@example.org", site.id)
    _email("elsewhere", "vera@example.org", other_site.id)
    data = json.loads(run("export_visitor", "--website", str(site.id), "--visitor", visitor.visitor_id))
    assert [(e["kind"], e["subject"]) for e in data["emails"]] == [("test", "Hi")]
    assert "1 emails" in run("erase_visitor", "--website", str(site.id), "--visitor", visitor.visitor_id)
    assert list(EmailDelivery.objects.values_list("key", flat=True)) == ["elsewhere"]
