"""/email/unsubscribe: a GET only asks, a POST (the page's form, or RFC 8058's
one-click POST without a CSRF token) unsubscribes; forged tokens are refused."""

import pytest
from django.test import Client

from mail import services as mail_services
from mail.models import Suppression
from visitor_mail import links

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return Client(enforce_csrf_checks=True)  # as a browser or a mail client posts


def token(email="Ana@Example.com", website_id=7):
    return links.unsubscribe_token_make(email=email, website_id=website_id)


def test_a_get_shows_a_confirm_button_and_unsubscribes_nobody(client):
    response = client.get("/email/unsubscribe", {"token": token()})
    assert response.status_code == 200
    page = response.content.decode()
    assert "<button" in page and "ana@example.com" in page and "<script" not in page
    assert 'name="robots" content="noindex' in page and "noindex" in response["X-Robots-Tag"]
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "form-action 'self'" in csp
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "no-referrer"
    assert client.head("/email/unsubscribe", {"token": token()}).status_code == 200
    assert Suppression.objects.count() == 0


def test_the_pages_form_post_unsubscribes(client):
    response = client.post("/email/unsubscribe", {"token": token()})
    assert response.status_code == 200
    assert "<h1>You're unsubscribed</h1>" in response.content.decode()
    assert mail_services.is_suppressed("ana@example.com", website_id=7)
    assert not mail_services.is_suppressed("ana@example.com", website_id=8)
    assert Suppression.objects.get().reason == "unsubscribe"
    assert client.post("/email/unsubscribe", {"token": token()}).status_code == 200  # twice is fine


def test_the_one_click_post_unsubscribes(client):
    response = client.post(
        f"/email/unsubscribe?token={token()}",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert mail_services.is_suppressed("ana@example.com", website_id=7)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "garbage",
        token()[:-1] + ("A" if token()[-1] != "A" else "B"),
        token().replace("eyJ", "eyK", 1),
        links.resume_token_make(website_id=7, chat_id=1, visitor_id="v"),
        "x" * 5000,
    ],
)
def test_a_forged_token_is_a_400_page(client, bad):
    for response in (
        client.get("/email/unsubscribe", {"token": bad}),
        client.post("/email/unsubscribe", {"token": bad}),
        client.post(f"/email/unsubscribe?token={bad}", "List-Unsubscribe=One-Click",
                    content_type="application/x-www-form-urlencoded"),
    ):  # fmt: skip
        assert response.status_code == 400
        assert "Link not valid" in response.content.decode()
        assert "default-src 'none'" in response["Content-Security-Policy"]
    assert Suppression.objects.count() == 0


def test_no_token_and_other_methods(client):
    assert client.get("/email/unsubscribe").status_code == 400
    assert client.put("/email/unsubscribe", {"token": token()}).status_code == 405
    assert Suppression.objects.count() == 0


def test_the_page_is_not_in_the_api_schema(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert not [path for path in schema["paths"] if path.startswith("/email/")]
    assert {"/widget/resume", "/widget/transcript"} <= set(schema["paths"])
