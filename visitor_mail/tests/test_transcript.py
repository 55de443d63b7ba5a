"""POST /widget/transcript: the whole conversation emailed to the visitor, as
that visitor only, once per double click, rate limited; against a real SMTP server."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chat import services as chat_services
from chat.sockets.visitor_tokens import visitor_token_make
from mail.models import EmailDelivery
from websites.widget_cache import active_site

from .helpers import assert_error, chat_with_reply

pytestmark = pytest.mark.django_db(transaction=True)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def visit(site, site_owner):
    visitor, chat = chat_with_reply(site, site_owner, reply="We have it in <red> & blue.")
    chat_services.chat_close_by_agent(user=site_owner, chat_id=chat.id)
    return visitor, chat, visitor_token_make(website_id=site.id, visitor_id=visitor.visitor_id)


def transcript(api, site, token, origin=None, **body):
    body.setdefault("widget_key", site.widget_key)
    headers = {"HTTP_X_VISITOR_TOKEN": token} if token is not None else {}
    if origin:
        headers["HTTP_ORIGIN"] = origin
    return api.post("/widget/transcript", body, format="json", **headers)


def test_the_whole_conversation_is_emailed(smtp_server, api, site, site_owner, visit, local_media):
    visitor, chat, token = visit
    # A new chat with an attachment: the transcript of the latest one by default.
    upload = chat_services.upload_store(
        website_id=site.id,
        uploader_type="visitor",
        uploader_id=visitor.visitor_id,
        upload=SimpleUploadedFile("photo <1>.png", PNG),
    )
    posted = chat_services.visitor_message_post(
        site=active_site(site.widget_key),
        visitor=visitor,
        content="",
        client_id="c2",
        attachment_id=upload.id,
    )
    chat_services.agent_message_post(user=site_owner, chat_id=posted.message.chat_id, content="Nice photo")
    response = transcript(api, site, token, email="ana+copy@example.com")
    assert (response.status_code, response.json()) == (202, {})
    [got] = smtp_server.handler.wait_for(1)
    assert got.rcpt_tos == ["ana+copy@example.com"] and got.subject == "Your chat with Shop"
    text, html = got.part("text/plain"), got.part("text/html")
    assert "Nice photo" in text and "Olga" in text
    assert "Attachment: photo <1>.png <http://127.0.0.1:8000/media/attachments/" in text
    assert "photo &lt;1&gt;.png" in html and 'href="http://127.0.0.1:8000/media/attachments/' in html
    assert "Here is the answer." not in text  # the other, older chat
    # The first chat, by id: every message, escaped in the HTML.
    assert transcript(api, site, token, email="ana@example.com", chat_id=chat.id).status_code == 202
    first = smtp_server.handler.wait_for(2)[1]
    text, html = first.part("text/plain"), first.part("text/html")
    assert (
        text.index("You (")
        < text.index("Hello, is this in stock?")
        < text.index("We have it in <red> & blue.")
    )
    assert "We have it in &lt;red&gt; &amp; blue." in html and "<red>" not in html
    assert "/email/unsubscribe?token=" in text and str(first.message["List-Unsubscribe-Post"]).strip()


def test_a_double_click_sends_one_email(smtp_server, api, site, visit):
    _visitor, chat, token = visit
    for _ in range(2):
        assert transcript(api, site, token, email="ana@example.com", chat_id=chat.id).status_code == 202
    smtp_server.handler.wait_for(2, timeout=1)
    assert len(smtp_server.handler.received) == 1
    assert EmailDelivery.objects.filter(kind="visitor_transcript").count() == 1


def test_only_the_visitors_own_chats(smtp_server, api, site, make_site, site_owner, visit):
    _visitor, chat, token = visit
    _other_visitor, other_chat = chat_with_reply(site, site_owner, email="bob@example.com", client_id="b1")
    assert_error(transcript(api, site, token, email="ana@example.com", chat_id=other_chat.id), 400, "chat_id")
    assert_error(transcript(api, site, token, email="ana@example.com", chat_id=10**9), 400, "chat_id")
    # A visitor token of another website does not sign in here.
    other_site = make_site(name="Other", domain="other.example.com")
    foreign = visitor_token_make(website_id=other_site.id, visitor_id=chat.visitor_id)
    assert_error(transcript(api, site, foreign, email="ana@example.com"), 401)
    # A visitor with no chat at all.
    newcomer = chat_services.visitor_connect(website_id=site.id, visitor_id=None)
    fresh = visitor_token_make(website_id=site.id, visitor_id=newcomer.visitor_id)
    assert_error(transcript(api, site, fresh, email="ana@example.com"), 400, "chat_id")
    assert smtp_server.handler.wait_for(1, timeout=0.5) == []


@pytest.mark.parametrize("token", [None, "", "garbage", "x" * 600])
def test_without_a_valid_visitor_token_401(api, site, visit, token):
    response = transcript(api, site, token, email="ana@example.com")
    assert_error(response, 401)
    assert "VisitorToken" in response["WWW-Authenticate"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "email"),
        ({"email": ""}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "a@example.com\r\nBcc: b@example.com"}, "email"),
        ({"email": 42}, "email"),
        ({"email": "a" * 250 + "@example.com"}, "email"),
        ({"email": "ana@example.com", "chat_id": "1"}, "chat_id"),
        ({"email": "ana@example.com", "chat_id": True}, "chat_id"),
        ({"email": "ana@example.com", "chat_id": 0}, "chat_id"),
        ({"email": "ana@example.com", "chat_id": 2**60}, "chat_id"),
        ({"email": "ana@example.com", "widget_key": None}, "widget_key"),
    ],
)
def test_bad_bodies_are_400_in_the_error_shape(api, site, visit, body, field):
    assert_error(transcript(api, site, visit[2], **body), 400, field)
    assert EmailDelivery.objects.count() == 0


def test_an_unknown_widget_key_is_404(api, site, visit):
    assert_error(
        transcript(api, site, visit[2], email="ana@example.com", widget_key="no-such-key-0123456789"), 404
    )


def test_a_flood_is_429_per_visitor(smtp_server, api, site, visit):
    _visitor, chat, token = visit
    statuses = [
        transcript(api, site, token, email=f"a{n}@example.com", chat_id=chat.id).status_code for n in range(6)
    ]
    assert statuses == [202] * 5 + [429]
    flooded = transcript(api, site, token, email="z@example.com")
    assert_error(flooded, 429)
    assert int(flooded["Retry-After"]) >= 1


def test_new_visitor_ids_do_not_lift_the_limit_of_an_address(api, site, site_owner, settings):
    settings.CHATELLY_RATE_TRANSCRIPT = "2/h"
    statuses = []
    for n in range(3):
        visitor, _chat = chat_with_reply(site, site_owner, email="", client_id=f"c{n}")
        token = visitor_token_make(website_id=site.id, visitor_id=visitor.visitor_id)
        statuses.append(transcript(api, site, token, email="victim@example.com").status_code)
    assert statuses == [202, 202, 429]


def test_cors_and_preflight_allow_the_visitor_token_header(api, site, visit, settings):
    settings.PRODUCTION = True
    preflight = api.options(
        "/widget/transcript",
        HTTP_ORIGIN="https://shop.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,x-visitor-token",
    )
    assert preflight.status_code == 204
    assert "X-Visitor-Token" in preflight["Access-Control-Allow-Headers"]
    ok = transcript(api, site, visit[2], email="ana@example.com", origin="https://shop.example.com")
    assert ok["Access-Control-Allow-Origin"] == "https://shop.example.com"
    evil = transcript(api, site, visit[2], email="ana@example.com", origin="https://evil.example.net")
    assert "Access-Control-Allow-Origin" not in evil
