"""The loader in a real browser, on a page of another origin."""

import pytest

from testsupport.browser import chromium_page, static_site
from testsupport.servers import ServerProcess, free_port
from websites import services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HOST_PAGE = """<!doctype html><html><head><title>Host</title><link rel="icon" href="data:,">
<style>* {{ color: red !important; }} button {{ display: none !important; }}</style></head>
<body><h1 id="host">A shop</h1>
<script async src="{server}/widget/script/{key}"></script>
<script>window.hostScriptRan = true;</script>
</body></html>"""


@pytest.fixture
def server():
    with ServerProcess() as process:
        yield process


def test_the_loader_fetches_its_config_and_mounts(server, user, tmp_path):
    website = services.website_create(
        owner=user, name="Shop", domain="localhost", settings={"title": "Ask us", "color": "#ff0000"}
    )
    (tmp_path / "index.html").write_text(HOST_PAGE.format(server=server.url, key=website.widget_key))
    with static_site(tmp_path, free_port()) as site, chromium_page() as page:
        page.goto(f"{site}/index.html")
        page.wait_for_function(
            f"window.__chatelly && window.__chatelly['{website.widget_key}'].status !== 'loading'"
        )
        state = page.evaluate(f"window.__chatelly['{website.widget_key}']")
        assert state["status"] == "ready", state
        assert state["config"]["name"] == "Shop"
        assert state["config"]["settings"]["title"] == "Ask us"
        assert page.evaluate("window.hostScriptRan") is True
        page.wait_for_function(f"window.__chatelly['{website.widget_key}'].widget")
        assert page.locator("[data-chatelly]").count() == 1
        assert page.page_errors == []
        assert [m for m in page.console_messages if m[0] == "error"] == []


def test_an_unknown_key_fails_quietly_without_breaking_the_page(server, tmp_path):
    (tmp_path / "index.html").write_text(
        HOST_PAGE.format(server=server.url, key="unknown-key-0123456789abcdef")
    )
    with static_site(tmp_path, free_port()) as site, chromium_page() as page:
        page.goto(f"{site}/index.html")
        page.wait_for_load_state("load")
        assert page.evaluate("window.hostScriptRan") is True
        assert page.locator("#host").inner_text() == "A shop"
        assert page.locator("[data-chatelly]").count() == 0
        assert page.page_errors == []
