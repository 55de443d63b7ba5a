"""Uploads: the widget's (visitor token) and the agents'; how files are served."""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from chat import services as chat_services
from chat.models import Attachment, Message
from chat.sockets.visitor_tokens import visitor_token_make
from conftest import bearer

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%test\n"


def office(kind: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        part = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}.get(kind, "readme.txt")
        archive.writestr(part, "<x/>")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _media(local_media):
    return local_media


@pytest.fixture
def visitor(website):
    return chat_services.visitor_connect(website_id=website.id, visitor_id=None)


@pytest.fixture
def token(website, visitor):
    return visitor_token_make(website_id=website.id, visitor_id=visitor.visitor_id)


def upload(api, website, token, name="photo.png", data=PNG, **headers):
    body = {"file": SimpleUploadedFile(name, data, content_type="application/octet-stream")}
    if token is not None:
        headers["HTTP_X_VISITOR_TOKEN"] = token
    return api.post(f"/widget/upload/{website.widget_key}", body, format="multipart", **headers)


@pytest.mark.parametrize(
    "name, data, content_type",
    [
        ("photo.png", PNG, "image/png"),
        ("a.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg"),
        ("a.gif", b"GIF89a" + b"\x00" * 20, "image/gif"),
        ("a.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        ("doc.pdf", PDF, "application/pdf"),
        ("notes.txt", "héllo\nworld".encode(), "text/plain"),
        ("data.csv", b"a,b\n1,2\n", "text/csv"),
        (
            "letter.docx",
            office("docx"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("sheet.xlsx", office("xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("bundle.zip", office("zip"), "application/zip"),
    ],
)
def test_allowed_types_are_stored_under_random_names(api, website, token, name, data, content_type):
    response = upload(api, website, token, name, data)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"id", "url", "name", "size", "content_type"}
    assert body["name"] == name and body["size"] == len(data) and body["content_type"] == content_type
    stored = Attachment.objects.get(id=body["id"])
    assert re.fullmatch(
        r"attachments/[A-Za-z0-9_-]{32}\.[a-z]+", stored.file.name
    )  # random, not the client's
    assert body["url"].startswith("/media/attachments/")


@pytest.mark.parametrize(
    "name, data",
    [
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("page.html", b"<!doctype html><script>alert(1)</script>"),
        ("page.txt", b"<html><script>alert(1)</script></html>"),
        ("photo.png", b"<svg onload=alert(1)>"),
        ("tool.exe", b"MZ\x90\x00" + b"\x00" * 60),
        ("binary.txt", b"\x00\x01\x02"),
        ("empty.png", b""),
        ("noext", b"just some text"),
    ],
)
def test_types_off_the_list_are_refused(api, website, token, name, data):
    response = upload(api, website, token, name, data)
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"file"}
    assert not Attachment.objects.exists()


def test_oversize_is_413(api, website, token, settings):
    settings.CHATELLY_MAX_UPLOAD_MB = 1
    response = upload(api, website, token, "big.pdf", PDF + b"0" * (1024 * 1024))
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    huge = upload(api, website, token, "huge.pdf", PDF + b"0" * (2 * 1024 * 1024))
    assert huge.status_code == 413
    assert not Attachment.objects.exists()


@pytest.mark.parametrize("which", ["missing", "garbage", "foreign", "unknown visitor"])
def test_a_missing_or_bad_token_is_401(api, website, make_website, which):
    other = make_website(name="Other")
    token = {
        "missing": None,
        "garbage": "not-a-token",
        "foreign": visitor_token_make(website_id=other.id, visitor_id="v_x"),
        "unknown visitor": visitor_token_make(website_id=website.id, visitor_id="v_never_connected"),
    }[which]
    response = upload(api, website, token)
    assert response.status_code == 401
    assert response.json()["error"] == "token_not_valid"
    assert not Attachment.objects.exists()


def test_unknown_key_is_404_and_no_file_is_400(api, website, token):
    response = api.post(
        "/widget/upload/unknown-key-0123456789abcdef",
        {"file": SimpleUploadedFile("a.png", PNG)},
        format="multipart",
        HTTP_X_VISITOR_TOKEN=token,
    )
    assert response.status_code == 404
    response = api.post(
        f"/widget/upload/{website.widget_key}", {}, format="multipart", HTTP_X_VISITOR_TOKEN=token
    )
    assert response.status_code == 400 and "file" in response.json()["details"]
    response = api.post(
        f"/widget/upload/{website.widget_key}", {"file": "x"}, format="json", HTTP_X_VISITOR_TOKEN=token
    )
    assert response.status_code == 415


def test_upload_cors_for_the_websites_origin(api, website, token, settings):
    settings.PRODUCTION = True
    response = upload(api, website, token, HTTP_ORIGIN="https://shop.example.com")
    assert response["Access-Control-Allow-Origin"] == "https://shop.example.com"


def test_images_are_served_inline_and_everything_else_as_a_download(api, website, token):
    image = upload(api, website, token).json()
    document = upload(api, website, token, "doc.pdf", PDF).json()
    served = api.get(image["url"])
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "attachment" not in served.get("Content-Disposition", "")
    assert b"".join(served.streaming_content) == PNG
    pdf = api.get(document["url"])
    assert pdf["Content-Disposition"].startswith("attachment")
    assert pdf["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in pdf["Content-Security-Policy"]


@pytest.mark.parametrize(
    "path", ["/media/../settings.py", "/media/attachments/nothing.png", "/media/%2e%2e/x"]
)
def test_media_outside_or_unknown_is_404(api, path):
    assert api.get(path).status_code == 404


def test_a_visitor_message_with_an_upload(api, website, token, visitor, django_capture_on_commit_callbacks):
    attachment = upload(api, website, token).json()
    posted = chat_services.visitor_message_post(
        site={"id": website.id, "settings": {}},
        visitor=visitor,
        content="",
        client_id="c1",
        attachment_id=attachment["id"],
    )
    message = Message.objects.get(id=posted.message.id)
    assert message.type == "image" and message.attachment_id == attachment["id"]


def test_another_visitors_upload_is_not_found(api, website, token):
    from chatelly.errors import AppError

    attachment = upload(api, website, token).json()
    stranger = chat_services.visitor_connect(website_id=website.id, visitor_id=None)
    with pytest.raises(AppError) as refused:
        chat_services.visitor_message_post(
            site={"id": website.id, "settings": {}},
            visitor=stranger,
            content="",
            client_id="c1",
            attachment_id=attachment["id"],
        )
    assert refused.value.code == "not_found"


def test_agents_upload_and_attach_to_replies(user, website, token, visitor, make_user):
    client = APIClient()
    client.credentials(**bearer(user))
    response = client.post(
        "/api/v1/uploads",
        {"file": SimpleUploadedFile("report.pdf", PDF), "website_id": website.id},
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json()["content_type"] == "application/pdf"
    assert Attachment.objects.get(id=response.json()["id"]).website_id == website.id
    posted = chat_services.visitor_message_post(
        site={"id": website.id, "settings": {}}, visitor=visitor, content="hi", client_id="c1"
    )
    reply = client.post(
        f"/api/v1/chats/{posted.message.chat_id}/messages",
        {"content": "", "attachment_id": response.json()["id"]},
        format="json",
    )
    assert reply.status_code == 201
    assert reply.json()["type"] == "file" and reply.json()["attachment"]["name"] == "report.pdf"
    # Another member cannot use this agent's upload.
    colleague = make_user()
    from websites.models import Membership

    Membership.objects.create(website=website, user=colleague, role="agent")
    other = APIClient()
    other.credentials(**bearer(colleague))
    refused = other.post(
        f"/api/v1/chats/{posted.message.chat_id}/messages",
        {"content": "", "attachment_id": response.json()["id"]},
        format="json",
    )
    assert refused.status_code == 400 and "attachment_id" in refused.json()["details"]


def test_agent_upload_for_a_foreign_website_is_404(user, make_user, make_website):
    theirs = make_website(owner=make_user(), name="Theirs")
    client = APIClient()
    client.credentials(**bearer(user))
    response = client.post(
        "/api/v1/uploads",
        {"file": SimpleUploadedFile("a.png", PNG), "website_id": theirs.id},
        format="multipart",
    )
    assert response.status_code == 404 and response.json()["error"] == "not_found"
    nonexistent = client.post(
        "/api/v1/uploads",
        {"file": SimpleUploadedFile("a.png", PNG), "website_id": theirs.id + 1000},
        format="multipart",
    )
    assert nonexistent.status_code == 404 and nonexistent.json()["error"] == "not_found"
    assert client.post("/api/v1/uploads", {}, format="multipart").status_code == 400
    assert (
        APIClient()
        .post("/api/v1/uploads", {"file": SimpleUploadedFile("a.png", PNG)}, format="multipart")
        .status_code
        == 401
    )
    assert not Attachment.objects.exists()


@pytest.mark.parametrize("website_id", [None, "", "abc", "1.5", "0", "-3", "\x00", "²", str(2**70)])
def test_agent_upload_needs_a_valid_website_id(user, website, website_id):
    """A member of a website still names it: a file without one (or with garbage) is a 400."""
    client = APIClient()
    client.credentials(**bearer(user))
    body = {"file": SimpleUploadedFile("a.png", PNG)}
    if website_id is not None:
        body["website_id"] = website_id
    response = client.post("/api/v1/uploads", body, format="multipart")
    assert response.status_code == 400, response.json()
    assert response.json()["error"] == "validation_error"
    assert set(response.json()["details"]) == {"website_id"}
    assert not Attachment.objects.exists()


def test_an_agent_upload_needs_membership_not_just_an_account(make_user, website):
    """Any logged-in user could upload before; now only a member of the named website."""
    stranger = make_user()
    client = APIClient()
    client.credentials(**bearer(stranger))
    response = client.post(
        "/api/v1/uploads",
        {"file": SimpleUploadedFile("a.png", PNG), "website_id": website.id},
        format="multipart",
    )
    assert response.status_code == 404
    from websites.models import Membership

    Membership.objects.create(website=website, user=stranger, role="agent")
    response = client.post(
        "/api/v1/uploads",
        {"file": SimpleUploadedFile("a.png", PNG), "website_id": website.id},
        format="multipart",
    )
    assert response.status_code == 201
    stored = Attachment.objects.get(id=response.json()["id"])
    assert (stored.website_id, stored.uploader_type, stored.uploader_id) == (
        website.id,
        "agent",
        str(stranger.id),
    )


def test_an_upload_of_another_website_cannot_be_attached(user, website, make_website, token, visitor):
    """The agent is a member of both websites; an upload made for one stays with that one."""
    other = make_website(name="Other")
    client = APIClient()
    client.credentials(**bearer(user))
    uploaded = client.post(
        "/api/v1/uploads",
        {"file": SimpleUploadedFile("a.png", PNG), "website_id": other.id},
        format="multipart",
    ).json()
    posted = chat_services.visitor_message_post(
        site={"id": website.id, "settings": {}}, visitor=visitor, content="hi", client_id="c1"
    )
    refused = client.post(
        f"/api/v1/chats/{posted.message.chat_id}/messages",
        {"content": "", "attachment_id": uploaded["id"]},
        format="json",
    )
    assert refused.status_code == 400 and "attachment_id" in refused.json()["details"]
    # Nor can a visitor of another website attach this website's visitor upload.
    visitor_upload = upload(APIClient(), website, token).json()
    stranger = chat_services.visitor_connect(website_id=other.id, visitor_id=None)
    from chatelly.errors import AppError

    with pytest.raises(AppError) as not_theirs:
        chat_services.visitor_message_post(
            site={"id": other.id, "settings": {}},
            visitor=stranger,
            content="",
            client_id="c2",
            attachment_id=visitor_upload["id"],
        )
    assert not_theirs.value.code == "not_found"
