"""Visitor email in the widget, in Chromium: a resume link from a reply email
opens the chat where it was and leaves the address bar; after the agent closes
a chat, "Email me the transcript" sends it (to a real SMTP server)."""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tokens import issue_token_pair
from chat.models import Chat
from testsupport.servers import ServerProcess, server_env
from visitor_mail import services as visitor_mail_services
from visitor_mail.tests.helpers import chat_with_reply, resume_token_in

from . import test_widget_browser as rig
from .test_widget_browser import confirmed, launcher, send

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 800}
# The widget's browser rig's fixtures, by name; `server` is this module's own.
media, page_for, shop, orm_beside_playwright = rig.media, rig.page_for, rig.shop, rig.orm_beside_playwright
VIEWPORTS = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])


@pytest.fixture
def server(media, smtp_server):
    """The rig's server, sending its email to the test's SMTP server, jobs run in-process."""
    env = server_env(DJANGO_MEDIA_ROOT=str(media), EMAIL_URL=smtp_server.url, CHATELLY_JOBS_EAGER="true")
    process = ServerProcess(env=env).start()
    yield process
    process.stop()


def ready(page, key):
    page.wait_for_function(f"window.__chatelly['{key}'].status === 'ready'", timeout=15000)


@VIEWPORTS
def test_a_resume_link_opens_the_chat_and_leaves_the_address_bar(
    page_for, server, shop, site_owner, smtp_server, viewport
):
    _visitor, chat = chat_with_reply(shop, site_owner, reply="It is back in stock.")
    later = timezone.now() + timedelta(minutes=3)
    assert visitor_mail_services.unseen_replies_email(now=later) == 1
    text = smtp_server.handler.wait_for(1)[0].part("text/plain")
    assert "https://localhost/#chatelly-resume=" in text
    token = resume_token_in(text)

    page = page_for(shop.widget_key, viewport=viewport)  # a browser that was another visitor
    page.goto("about:blank")
    page.goto(f"{page.host_url}#chatelly-resume={token}")
    ready(page, shop.widget_key)
    assert page.evaluate("location.hash") == ""
    assert "chatelly-resume" not in page.evaluate("location.href")
    dialog = page.get_by_role("dialog", name="Ask the shop")
    dialog.wait_for()  # opened by the link
    log = dialog.get_by_role("log", name="Messages")
    log.get_by_text("It is back in stock.").wait_for()
    assert log.get_by_text("Hello, is this in stock?").is_visible()
    if viewport is PHONE:
        assert dialog.bounding_box()["width"] == 375
    # The browser carries on as the chat's visitor, in the same chat.
    send(page, "Great, I'll order it")
    confirmed(page, "Great, I'll order it").wait_for()
    assert Chat.objects.count() == 1
    assert chat.messages.filter(content="Great, I'll order it").exists()
    assert page.page_errors == []


def test_a_bad_resume_link_still_shows_the_widget(page_for, server, shop):
    page = page_for(shop.widget_key)
    page.goto("about:blank")
    page.goto(f"{page.host_url}#chatelly-resume=forged:token")
    ready(page, shop.widget_key)
    assert page.evaluate("location.hash") == ""
    dialog = page.get_by_role("dialog", name="Ask the shop")
    dialog.get_by_text("This link has expired").wait_for()
    assert page.page_errors == []


def close_chat(server, user, chat_id):
    access = issue_token_pair(user)["access"]
    status, body = server.request(
        "POST", f"/api/v1/chats/{chat_id}/close", headers={"Authorization": f"Bearer {access}"}
    )
    assert status == 200, body


@VIEWPORTS
def test_after_the_agent_closes_the_chat_the_transcript_is_emailed(
    page_for, server, make_site, site_owner, smtp_server, viewport
):
    site = make_site(domain="localhost", settings={"title": "Ask the shop", "require_email": True})
    page = page_for(site.widget_key, viewport=viewport)
    launcher(page).click()
    dialog = page.get_by_role("dialog", name="Ask the shop")
    given = dialog.get_by_label("Your email, so we can reply")
    given.fill("vera@example.com")
    given.press("Enter")  # at 375 px the launcher covers the Continue button
    send(page, "Can I get a receipt?")
    confirmed(page, "Can I get a receipt?").wait_for()
    close_chat(server, site_owner, Chat.objects.get().id)

    dialog.get_by_text("This conversation has ended").wait_for()
    form = dialog.get_by_role("form", name="Transcript")
    email = form.get_by_label("Your email, for the transcript")
    assert email.input_value() == "vera@example.com"  # what the visitor gave
    email.fill("not an address")
    form.get_by_role("button", name="Email me the transcript").click()
    assert form.get_by_role("alert").text_content() == "Enter a valid email address."
    assert email.get_attribute("aria-invalid") == "true"
    email.fill("vera@example.com")
    form.get_by_role("button", name="Email me the transcript").dblclick()
    dialog.get_by_role("status").filter(has_text="Transcript sent to vera@example.com.").wait_for()
    assert form.is_hidden()
    [got] = smtp_server.handler.wait_for(1, timeout=30)
    assert got.rcpt_tos == ["vera@example.com"]
    assert "Can I get a receipt?" in got.part("text/plain")
    smtp_server.handler.wait_for(2, timeout=1)
    assert len(smtp_server.handler.received) == 1  # the double click sent one
    # A new message starts a new chat: the transcript offer goes.
    send(page, "One more thing")
    confirmed(page, "One more thing").wait_for()
    assert dialog.get_by_text("This conversation has ended").is_hidden()
    assert dialog.get_by_role("status").filter(has_text="Transcript sent").is_hidden()
    assert page.page_errors == []


def test_the_widget_with_resume_and_transcript_stays_within_its_size_budget():
    import gzip
    from pathlib import Path

    from django.conf import settings

    sources = Path(settings.BASE_DIR) / "widget" / "js"
    sizes = {
        name: len(gzip.compress((sources / name).read_bytes(), 9)) for name in ("loader.js", "widget.js")
    }
    assert sizes["loader.js"] < 5 * 1024 and sum(sizes.values()) < 40 * 1024, json.dumps(sizes)
    assert re.search(r"chatelly-resume=", (sources / "loader.js").read_text())
