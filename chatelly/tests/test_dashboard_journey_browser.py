"""The whole journey, as a new site owner lives it: sign up in the dashboard,
create a website, copy its snippet into a page of another origin, a visitor
chats there through the real widget, the owner answers from the inbox, and an
agent on a second server process sees both sides live."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from chat.models import Message
from chatelly.tests.dashboard_browser import *  # noqa: F403
from chatelly.tests.dashboard_browser import DESKTOP, sign_in
from conftest import PASSWORD
from testsupport.browser import new_page, record, static_site
from testsupport.servers import ServerProcess, free_port

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.REDIS_URL, reason="two server processes need Redis (set REDIS_URL)"),
]


def message_log(page):
    return page.get_by_role("log", name="Messages")


def shown(page) -> list[tuple[int, str]]:
    """(seq, text) of the open conversation's stored messages, in DOM order."""
    return [
        tuple(item)
        for item in message_log(page)
        .get_by_role("listitem")
        .evaluate_all(
            "els => els.filter(e => e.dataset.seq).map(e => [Number(e.dataset.seq),"
            " (e.querySelector('p') || {}).textContent || ''])"
        )
    ]


def reply(page, text: str) -> None:
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")


def test_sign_up_to_first_answer_with_a_second_agent(browser, dashboard_server, make_user, tmp_path):
    base = dashboard_server.url
    ada = make_user(email="ada@example.com", name="Ada")
    second = ServerProcess(env=dashboard_server.env, kind="uvicorn").start()
    host = None
    try:
        # The owner signs up and creates a website for the shop on localhost.
        context = browser.new_context(permissions=["clipboard-read", "clipboard-write"], viewport=DESKTOP)
        owner = record(context.new_page())
        owner.goto(f"{base}/app/#/signup")
        owner.get_by_label("Name").fill("Olivia")
        owner.get_by_label("Email").fill("olivia@example.com")
        owner.get_by_label("Password").fill(PASSWORD)
        owner.get_by_role("button", name="Create account").click()
        owner.wait_for_url(re.compile(r"#/inbox"))
        owner.get_by_role("link", name="Websites").click()
        owner.get_by_role("link", name="New website").first.click()
        owner.get_by_label("Name").fill("Corner shop")
        owner.get_by_label("Domain").fill("localhost")
        owner.get_by_role("button", name="Create website").click()

        # The snippet, copied to the clipboard, goes into the shop's page.
        owner.get_by_role("button", name="Copy snippet").click()
        expect(owner.get_by_role("region", name="Embed snippet").get_by_text("Copied")).to_be_visible()
        snippet = owner.evaluate("navigator.clipboard.readText()")
        key = re.search(r"/widget/script/([\w-]+)", snippet).group(1)

        # Ada, who has an account, joins as an agent.
        owner.get_by_label("Email of the new member").fill(ada.email)
        owner.get_by_role("button", name="Add member").click()
        expect(owner.get_by_role("cell", name=ada.email)).to_be_visible()

        site_dir = tmp_path / "shop"
        site_dir.mkdir()
        (site_dir / "index.html").write_text(
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Corner shop</title>'
            f'<link rel="icon" href="data:,"></head><body><h1>Corner shop</h1>{snippet}</body></html>'
        )
        host = static_site(site_dir, free_port())
        shop_url = host.__enter__()

        # Ada works on the second server process; the owner opens the inbox.
        agent = new_page(browser)
        agent.server = second
        sign_in(agent, ada.email, PASSWORD)
        owner.get_by_role("link", name="Inbox").click()
        expect(owner.get_by_text("No chats here yet.")).to_be_visible()

        # A visitor writes from the shop's page, through the real widget.
        visitor = new_page(browser)
        visitor.goto(f"{shop_url}/index.html")
        visitor.wait_for_function(
            f"window.__chatelly && window.__chatelly['{key}'].status === 'ready'", timeout=15_000
        )
        visitor.get_by_role("button", name=re.compile("Open chat")).click()
        widget_box = visitor.get_by_role("textbox", name="Message")
        widget_box.fill("Do you deliver on Sundays?")
        widget_box.press("Enter")

        # Both agents see the new chat live and open it.
        for page in (owner, agent):
            page.get_by_role("list", name="Inbox").get_by_role(
                "link", name=re.compile("Do you deliver on Sundays")
            ).click()
            expect(message_log(page).get_by_text("Do you deliver on Sundays?")).to_be_visible()

        reply(owner, "Yes, from 10 to 4.")
        expect(visitor.get_by_role("log", name="Messages").get_by_text("Yes, from 10 to 4.")).to_be_visible()
        expect(message_log(agent).get_by_text("Yes, from 10 to 4.")).to_be_visible()

        reply(agent, "Ada here: free delivery over 20.")
        expect(
            visitor.get_by_role("log", name="Messages").get_by_text("free delivery over 20")
        ).to_be_visible()
        expect(message_log(owner).get_by_text("free delivery over 20")).to_be_visible()

        widget_box.fill("Great, thanks!")
        widget_box.press("Enter")
        for page in (owner, agent):
            expect(message_log(page).get_by_text("Great, thanks!")).to_be_visible()

        # Each agent shows every stored message once, in seq order.
        chat_id = Message.objects.get(content="Great, thanks!").chat_id
        stored = [(m.seq, m.content) for m in Message.objects.filter(chat_id=chat_id).order_by("seq")]
        assert [content for _, content in stored] == [
            "Do you deliver on Sundays?",
            "Yes, from 10 to 4.",
            "Ada here: free delivery over 20.",
            "Great, thanks!",
        ]
        for page in (owner, agent):
            expect(message_log(page).get_by_role("listitem")).to_have_count(len(stored))
            assert shown(page) == stored
        assert owner.page_errors == [] and agent.page_errors == [] and visitor.page_errors == []
    finally:
        if host is not None:
            host.__exit__(None, None, None)
        second.stop()
