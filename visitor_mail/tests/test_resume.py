"""POST /widget/resume: a resume link's token for a visitor token, and every
way a token can be wrong; CORS and the rate limit."""

import time

import pytest
from django.core import signing

from chat import services as chat_services
from chat.models import Chat
from chat.sockets.visitor_tokens import visitor_token_read
from visitor_mail import links

from .helpers import assert_error, chat_with_reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(site, site_owner):
    return chat_with_reply(site, site_owner)[1]


def token_for(chat, **overrides):
    values = {"website_id": chat.website_id, "chat_id": chat.id, "visitor_id": chat.visitor_id, **overrides}
    return links.resume_token_make(**values)


def resume(api, body, **headers):
    return api.post("/widget/resume", body, format="json", **headers)


def test_a_token_resumes_its_chat_as_its_visitor(api, site, chat):
    response = resume(api, {"token": token_for(chat), "widget_key": site.widget_key})
    assert response.status_code == 200
    body = response.json()
    assert visitor_token_read(body["visitor_token"], website_id=site.id) == chat.visitor_id
    assert body["chat"] == {"id": chat.id, "status": "active"}
    assert body["messages"][-1]["content"] == "Here is the answer."
    assert response["Cache-Control"] == "no-store"


def test_a_closed_chat_resumes_with_its_history(api, site, site_owner, chat):
    chat_services.chat_close_by_agent(user=site_owner, chat_id=chat.id)
    body = resume(api, {"token": token_for(chat), "widget_key": site.widget_key}).json()
    assert body["chat"]["status"] == "closed"
    assert "Hello, is this in stock?" in [m["content"] for m in body["messages"]]


def old_token(chat, days):
    class Past(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - days * 86400)

    payload = {"w": chat.website_id, "c": chat.id, "v": chat.visitor_id}
    return Past(salt=links.RESUME_SALT).sign_object(payload)


def test_a_token_expires_after_the_link_days(api, site, chat, settings):
    assert settings.CHATELLY_RESUME_LINK_DAYS == 7
    assert resume(api, {"token": old_token(chat, 6), "widget_key": site.widget_key}).status_code == 200
    assert_error(resume(api, {"token": old_token(chat, 8), "widget_key": site.widget_key}), 400, "token")


def tampered(token: str) -> list[str]:
    payload, rest = token.split(":", 1)
    return [
        payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + ":" + rest,
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        signing.TimestampSigner(salt="another-salt").sign_object({"w": 1, "c": 1, "v": "v"}),
        "",
        "not-a-token",
        "x" * 600,
    ]


def test_tampered_and_bad_tokens_are_refused(api, site, chat):
    for token in tampered(token_for(chat)):
        assert_error(resume(api, {"token": token, "widget_key": site.widget_key}), 400, "token")


def test_a_token_of_another_website_or_visitor_is_refused(api, site, make_site, chat):
    other = make_site(name="Other", domain="other.example.com")
    assert_error(resume(api, {"token": token_for(chat), "widget_key": other.widget_key}), 400, "token")
    someone_else = token_for(chat, visitor_id="v_someone_else")
    assert_error(resume(api, {"token": someone_else, "widget_key": site.widget_key}), 400, "token")


def test_an_erased_chat_cannot_be_resumed(api, site, chat):
    token = token_for(chat)
    Chat.objects.filter(id=chat.id).delete()
    assert_error(resume(api, {"token": token, "widget_key": site.widget_key}), 400, "token")


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "token"),
        ({"token": "t"}, "widget_key"),
        ({"token": 123, "widget_key": "k" * 30}, "token"),
        ({"token": ["t"], "widget_key": "k" * 30}, "token"),
        ({"token": "t", "widget_key": None}, "widget_key"),
        ({"token": "t", "widget_key": "k" * 65}, "widget_key"),
        ({"token": "t\u0000", "widget_key": "k" * 30}, "token"),
    ],
)
def test_bad_bodies_are_400_in_the_error_shape(api, site, body, field):
    assert_error(resume(api, body), 400, field)


def test_a_body_that_is_not_json_is_refused(api, site):
    response = api.post("/widget/resume", "token=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"
    assert api.generic("POST", "/widget/resume", "{", content_type="application/json").status_code == 400


def test_a_switched_off_website_cannot_be_resumed(api, site, chat):
    from conftest import _clear_cache

    site.is_active = False
    site.save()
    _clear_cache()  # the widget's cached view of the website
    assert_error(resume(api, {"token": token_for(chat), "widget_key": site.widget_key}), 404)


@pytest.mark.parametrize("widget_key", ["unknown-key-0123456789", "   ", f" {'k' * 20} "])
def test_an_unknown_widget_key_is_404_as_on_the_other_widget_endpoints(api, site, chat, widget_key):
    # Compared as sent, not trimmed: spaces are an unknown key, not a blank field (the
    # schema allows them; the fuzz test found the 400).
    assert_error(resume(api, {"token": token_for(chat), "widget_key": widget_key}), 404)


def test_a_flood_is_429(api, site, chat, settings):
    settings.CHATELLY_RATE_WIDGET = "3/m"
    body = {"token": token_for(chat), "widget_key": site.widget_key}
    assert [resume(api, body).status_code for _ in range(3)] == [200, 200, 200]
    flooded = resume(api, body)
    assert_error(flooded, 429)
    assert int(flooded["Retry-After"]) >= 1


def test_cors_answers_only_the_websites_own_origins(api, site, chat, settings):
    settings.PRODUCTION = True
    body = {"token": token_for(chat), "widget_key": site.widget_key}
    ok = resume(api, body, HTTP_ORIGIN="https://shop.example.com")
    assert ok["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "Access-Control-Allow-Credentials" not in ok and "Origin" in ok["Vary"]
    for origin in ("https://evil.example.net", "null"):
        assert "Access-Control-Allow-Origin" not in resume(api, body, HTTP_ORIGIN=origin)
    refused = resume(api, {**body, "token": "bad"}, HTTP_ORIGIN="https://shop.example.com")
    assert refused.status_code == 400  # the widget can read why
    assert refused["Access-Control-Allow-Origin"] == "https://shop.example.com"


def test_the_preflight_allows_the_json_post_and_never_credentials(api, site):
    response = api.options(
        "/widget/resume",
        HTTP_ORIGIN="https://shop.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "Content-Type" in response["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in response
    for origin in ("null", "file://x", ""):
        assert "Access-Control-Allow-Origin" not in api.options("/widget/resume", HTTP_ORIGIN=origin)


@pytest.mark.parametrize(
    "domain, home",
    [
        ("shop.example.com", "https://shop.example.com/"),
        ("*.example.com", "https://example.com/"),
        ("http://localhost:8080/some/page?x=1", "http://localhost:8080/"),
        ("https://Shop.Example.com/path", "https://shop.example.com/"),
        ("ftp://shop.example.com", "https://shop.example.com/"),
        ("::1", "https://[::1]/"),
    ],
)
def test_the_link_goes_to_the_websites_home_page(domain, home):
    assert links.resume_url(domain=domain, token="abc") == f"{home}#chatelly-resume=abc"
