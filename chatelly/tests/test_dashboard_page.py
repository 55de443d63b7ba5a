"""The dashboard's page at /app/: the HTML shell with a strict Content-Security-Policy."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; media-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@pytest.fixture
def client():
    return Client()


@pytest.mark.parametrize("path", ["/app/", "/app"])
def test_the_page_is_served_with_and_without_the_slash(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b'id="main"' in response.content


def test_the_page_sends_a_strict_csp_and_no_caching(client):
    response = client.get("/app/")
    assert response["Content-Security-Policy"] == CSP
    assert response["Cache-Control"] == "no-store"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_csp_allows_no_inline_code_and_no_other_origin(client):
    policy = dict(
        (directive.split()[0], directive.split()[1:])
        for directive in client.get("/app/")["Content-Security-Policy"].split("; ")
    )
    for directive in ("script-src", "style-src", "connect-src", "default-src"):
        assert policy[directive] == ["'self'"], directive
    sources = [source for values in policy.values() for source in values]
    assert not [s for s in sources if "unsafe" in s or "*" in s or s.startswith(("http", "ws"))]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]


def test_the_page_has_no_inline_script_or_style(client):
    html = client.get("/app/").content.decode()
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S | re.I)
    assert scripts and all(not body.strip() for body in scripts)
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", html, flags=re.I))
    assert not re.search(r"<style\b", html, flags=re.I)
    assert not re.search(r"\sstyle\s*=", html, flags=re.I)
    assert not re.search(r"\son[a-z]+\s*=", html, flags=re.I)  # no inline event handlers
    assert "/static/dashboard/" in html


def test_the_page_is_the_same_for_everyone(client):
    """No token, cookie or user reaches the HTML: the page is static."""
    anonymous = client.get("/app/").content
    client.cookies["chatelly_refresh"] = "x.y.z"
    assert client.get("/app/", HTTP_AUTHORIZATION="Bearer x").content == anonymous


def test_the_page_takes_get_and_head_only(client):
    assert client.head("/app/").status_code == 200
    assert client.post("/app/").status_code == 405
    assert client.delete("/app").status_code == 405


def test_the_service_worker_is_served_under_app_without_caching(client):
    """/app/sw.js: a worker's scope is at most its script's folder, so it lives
    under /app/; no-cache so a new version is fetched on the next registration."""
    response = client.get("/app/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "no-cache"
    assert response["Content-Security-Policy"] == CSP
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    body = response.content.decode()
    assert 'addEventListener("push"' in body and 'addEventListener("notificationclick"' in body
    assert client.head("/app/sw.js").status_code == 200
    assert client.post("/app/sw.js").status_code == 405
