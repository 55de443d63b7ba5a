"""The widget in a real browser (Debian's Chromium via Playwright) on a page of another origin."""

import json
import re
import struct
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from playwright.sync_api import expect

from accounts.tokens import issue_token_pair
from chat.models import Chat, Message, Visitor
from testsupport.browser import chromium, new_page, static_site
from testsupport.servers import ServerProcess, WsClient, free_port, server_env, ws_url
from websites import services as website_services
from websites.settings_schema import DAYS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
HOSTILE_CSS = """
* { color: red !important; font-size: 40px !important; font-family: serif !important; }
div, section, button, textarea, form { border: 5px solid lime !important; background: black !important; }
[data-chatelly] { opacity: 0 !important; display: none !important; }
"""


def host_page(server_url: str, key: str, css: str = "") -> str:
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Host shop</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<style>{css}</style></head><body><h1>A shop on another origin</h1>
<script async src="{server_url}/widget/script/{key}"></script></body></html>"""


def png_bytes() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 8 for _ in range(8))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(autouse=True)
def orm_beside_playwright(monkeypatch):
    # Playwright's sync API keeps an event loop on this thread; the ORM calls
    # made here are plain blocking calls between browser steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def media(tmp_path):
    return tmp_path / "media"


@pytest.fixture
def server(media):
    process = ServerProcess(env=server_env(DJANGO_MEDIA_ROOT=str(media))).start()
    yield process
    process.stop()


@pytest.fixture
def shop(site_owner):
    return website_services.website_create(
        owner=site_owner,
        name="Shop",
        domain="localhost",
        settings={"title": "Ask the shop", "color": "#0f766e", "greeting": "Hello there!"},
    )


@pytest.fixture
def page_for(tmp_path, server):
    """Open the host page in Chromium; yields a function(key, css, viewport, ready) -> page,
    ready being the state the widget reaches once mounted ("hidden" and "form" open no socket)."""
    stack = []
    browser_context = chromium()
    browser = browser_context.__enter__()

    def open_page(key, css="", viewport=None, ready="ready"):
        site_dir = tmp_path / f"site{len(stack)}"
        site_dir.mkdir()
        (site_dir / "index.html").write_text(host_page(server.url, key, css))
        site = static_site(site_dir, free_port())
        base = site.__enter__()
        stack.append(site)
        page = new_page(browser)
        if viewport:
            page.set_viewport_size(viewport)
        page.websockets = []
        page.on("websocket", lambda socket: page.websockets.append(socket.url))
        page.goto(f"{base}/index.html")
        page.wait_for_function(
            f"window.__chatelly && window.__chatelly['{key}'].status === '{ready}'", timeout=15000
        )
        page.host_url = f"{base}/index.html"
        return page

    yield open_page
    try:
        # While Playwright's loop runs on this thread, Django keeps the test's database
        # connection per async context (asgiref), out of reach of the suite's own
        # clean-up once the loop is gone: close it here, in that context.
        connections.close_all()
    finally:
        browser_context.__exit__(None, None, None)
        for site in reversed(stack):
            site.__exit__(None, None, None)


def agent_for(server, user) -> WsClient:
    access = issue_token_pair(user)["access"]
    _status, body = server.request(
        "POST", "/api/v1/realtime/ticket", headers={"Authorization": f"Bearer {access}"}
    )
    agent = WsClient(ws_url(server, f"/ws/agent/?ticket={json.loads(body)['ticket']}"))
    assert agent.recv()["type"] == "ready"
    return agent


def launcher(page):
    return page.get_by_role("button", name=re.compile("chat: Ask the shop"))


def send(page, text):
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")


def confirmed(page, text):
    """The visitor's message with this text, once the server acked it (it has a seq)."""
    return page.locator(".msg.visitor[data-seq]", has_text=text)


def test_a_conversation_from_the_widget_to_an_agent_and_back(page_for, server, shop, site_owner):
    agent = agent_for(server, site_owner)
    page = page_for(shop.widget_key)
    launcher(page).click()
    dialog = page.get_by_role("dialog", name="Ask the shop")
    assert dialog.is_visible()
    assert (
        page.evaluate("document.querySelector('[data-chatelly]').shadowRoot.activeElement.tagName")
        == "TEXTAREA"
    )

    send(page, "Hello, I have a question")
    confirmed(page, "Hello, I have a question").wait_for()
    started = agent.recv_type("chat_started")
    chat_id = started["chat"]["id"]
    message = agent.recv_type("message")["message"]
    assert message["content"] == "Hello, I have a question" and message["sender_type"] == "visitor"

    agent.send({"type": "typing", "chat_id": chat_id, "is_typing": True})
    page.get_by_text("Agent is typing").wait_for()
    evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    agent.send({"type": "message", "chat_id": chat_id, "content": evil, "client_id": "a1"})
    page.locator(".msg.agent", has_text="<img src=x").wait_for()
    assert page.evaluate("window.__pwned") is None
    assert page.locator(".log img").count() == 0
    assert page.get_by_text("Agent is typing").is_hidden()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-open.png"))
    assert (ARTIFACTS / "widget-open.png").stat().st_size > 5000

    # A reload restores the conversation from the visitor token in localStorage.
    page.reload()
    page.wait_for_function(f"window.__chatelly['{shop.widget_key}'].status === 'ready'")
    launcher(page).click()
    page.locator(".msg.agent", has_text="<img src=x").wait_for()
    assert confirmed(page, "Hello, I have a question").count() == 1
    assert Visitor.objects.count() == 1
    agent.close()
    assert page.page_errors == []


def test_keyboard_focus_escape_and_the_unread_badge(page_for, server, shop, site_owner):
    page = page_for(shop.widget_key)
    launcher(page).focus()
    page.keyboard.press("Enter")
    assert page.get_by_role("dialog").is_visible()
    send(page, "hi")
    confirmed(page, "hi").wait_for()
    page.keyboard.press("Escape")
    assert page.get_by_role("dialog").is_hidden()
    assert launcher(page).get_attribute("aria-expanded") == "false"
    assert (
        page.evaluate("document.querySelector('[data-chatelly]').shadowRoot.activeElement.className")
        == "launcher"
    )
    agent = agent_for(server, site_owner)
    chat_id = Message.objects.first().chat_id
    agent.send({"type": "message", "chat_id": chat_id, "content": "Are you still there?", "client_id": "a1"})
    page.locator(".badge", has_text="1").wait_for()
    launcher(page).click()
    assert page.locator(".badge").is_hidden()
    agent.close()


def test_hostile_css_on_the_host_page_changes_nothing(page_for, shop):
    page = page_for(shop.widget_key, css=HOSTILE_CSS)
    button = launcher(page)
    assert button.is_visible()
    style = button.evaluate(
        "b => { const s = getComputedStyle(b); return [s.backgroundColor, s.borderTopWidth, s.width] }"
    )
    assert style == ["rgb(15, 118, 110)", "0px", "56px"]
    button.click()
    box = page.get_by_role("textbox", name="Message")
    assert box.evaluate("t => getComputedStyle(t).fontSize") == "14px"
    title = page.get_by_role("heading", name="Ask the shop")
    assert title.evaluate("h => getComputedStyle(h).color") == "rgb(255, 255, 255)"


def test_the_launcher_sits_in_its_corner_even_on_a_hostile_page(page_for, shop, site_owner):
    page = page_for(shop.widget_key, css=HOSTILE_CSS)
    box = launcher(page).bounding_box()
    viewport = page.viewport_size
    assert box["x"] + box["width"] == pytest.approx(viewport["width"] - 20, abs=1)
    assert box["y"] + box["height"] == pytest.approx(viewport["height"] - 20, abs=1)
    left = website_services.website_create(
        owner=site_owner,
        name="Left",
        domain="localhost",
        settings={"title": "Ask the shop", "position": "left"},
    )
    page = page_for(left.widget_key)
    assert launcher(page).bounding_box()["x"] == pytest.approx(20, abs=1)


def test_a_narrow_mobile_viewport_gets_a_full_screen_panel(page_for, shop):
    page = page_for(shop.widget_key, viewport={"width": 375, "height": 667})
    launcher(page).click()
    panel = page.get_by_role("dialog").bounding_box()
    assert panel["width"] == 375 and panel["height"] == 667
    # The launcher steps aside so it covers none of the panel's buttons...
    assert not launcher(page).is_visible()
    page.get_by_role("button", name="Close chat", exact=True).click()
    # ...and comes back, focused, once the panel is closed.
    expect(launcher(page)).to_be_focused()


def test_require_email_and_the_away_message(page_for, server, site_owner):
    site = website_services.website_create(
        owner=site_owner,
        name="Strict",
        domain="localhost",
        settings={
            "title": "Ask the shop",
            "require_email": True,
            "away_message": "Nobody is here right now.",
        },
    )
    page = page_for(site.widget_key)
    launcher(page).click()
    page.get_by_text("Nobody is here right now.").wait_for()
    email = page.get_by_label("Your email, so we can reply")
    assert email.is_visible()
    email.fill("vera@example.org")
    email.press("Enter")
    send(page, "Is anyone there?")
    confirmed(page, "Is anyone there?").wait_for()
    page.locator(".msg.bot", has_text="Nobody is here right now.").wait_for()
    assert Visitor.objects.get().email == "vera@example.org"


def test_an_upload_round_trip(page_for, server, shop, site_owner, media, tmp_path):
    agent = agent_for(server, site_owner)
    page = page_for(shop.widget_key)
    launcher(page).click()
    send(page, "Here is a photo")
    confirmed(page, "Here is a photo").wait_for()
    image = tmp_path / "photo.png"
    image.write_bytes(png_bytes())
    page.locator("input[type=file]").set_input_files(str(image))
    thumbnail = page.locator(".msg.visitor[data-seq] img")
    thumbnail.wait_for()
    page.wait_for_function(
        "document.querySelector('[data-chatelly]').shadowRoot.querySelector('.msg.visitor[data-seq] img').naturalWidth === 8"
    )
    message = agent.recv_type("chat_started") and None
    for _ in range(3):
        message = agent.recv_type("message")["message"]
        if message["attachment"]:
            break
    assert message["type"] == "image" and message["attachment"]["name"] == "photo.png"
    status, body = server.get(message["attachment"]["url"])
    assert status == 200 and body == png_bytes()
    agent.close()


def test_a_server_restart_is_survived_with_nothing_lost(page_for, server, shop):
    page = page_for(shop.widget_key)
    launcher(page).click()
    send(page, "before the restart")
    confirmed(page, "before the restart").wait_for()
    server.stop()
    send(page, "while it was down")  # shown at once, sent when the socket is back
    assert page.locator(".msg.visitor.pending", has_text="while it was down").count() == 1
    restarted = ServerProcess(env=server.env, port=server.port).start()
    try:
        confirmed(page, "while it was down").wait_for(timeout=20000)
        send(page, "after the restart")
        confirmed(page, "after the restart").wait_for()
        contents = list(Message.objects.order_by("seq").values_list("seq", "content"))
        assert contents == [
            (1, "before the restart"),
            (2, "Hello there!"),  # the greeting
            (3, "while it was down"),
            (4, "after the restart"),
        ]
        assert page.locator(".msg.visitor").count() == 3
    finally:
        restarted.stop()


def test_the_widget_stays_within_its_size_budget():
    import gzip

    sources = Path(settings.BASE_DIR) / "widget" / "js"
    loader = len(gzip.compress((sources / "loader.js").read_bytes(), 9))
    app = len(gzip.compress((sources / "widget.js").read_bytes(), 9))
    assert loader < 5 * 1024
    assert loader + app < 40 * 1024


PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 800}
BACK = re.compile(r"^We're back \S")


def closed_site(owner, offline_mode, **settings):
    """Business hours all week long, but today and tomorrow (UTC) are holidays: closed now,
    with opens_at the day after tomorrow, whatever the time of day the test runs."""
    today = datetime.now(UTC).date()
    return website_services.website_create(
        owner=owner,
        name="Closed",
        domain="localhost",
        settings={
            "title": "Ask the shop",
            "business_hours": {"timezone": "UTC", "days": {day: [["00:00", "24:00"]] for day in DAYS}},
            "holidays": [today.isoformat(), (today + timedelta(days=1)).isoformat()],
            "offline_mode": offline_mode,
            **settings,
        },
    )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_hidden_when_closed_shows_no_launcher_and_opens_no_socket(page_for, site_owner, viewport):
    site = closed_site(site_owner, "hidden")
    page = page_for(site.widget_key, viewport=viewport, ready="hidden")
    assert page.locator("[data-chatelly]").count() == 0
    assert page.get_by_role("button").count() == 0
    assert page.websockets == []
    assert page.evaluate("!window.__chatellyApp")  # not even the UI bundle is loaded
    assert Visitor.objects.count() == 0
    assert page.page_errors == []


def test_hidden_still_shows_a_visitor_their_chat_going_on(page_for, site_owner):
    site = closed_site(site_owner, "live")
    page = page_for(site.widget_key)
    launcher(page).click()
    send(page, "Still there?")
    confirmed(page, "Still there?").wait_for()
    website_services.website_update(website=site, settings={**site.settings, "offline_mode": "hidden"})
    page.reload()
    page.wait_for_function(f"window.__chatelly['{site.widget_key}'].status === 'ready'")
    launcher(page).click()
    confirmed(page, "Still there?").wait_for()
    assert Chat.objects.count() == 1


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_live_while_closed_is_the_normal_chat_with_when_we_are_back(page_for, site_owner, viewport):
    site = closed_site(site_owner, "live")
    page = page_for(site.widget_key, viewport=viewport)
    launcher(page).click()
    dialog = page.get_by_role("dialog", name="Ask the shop")
    assert dialog.get_by_text(BACK).is_visible()
    send(page, "Hello after hours")
    confirmed(page, "Hello after hours").wait_for()
    assert dialog.bounding_box()["width"] == (375 if viewport is PHONE else 360)


def test_the_back_line_speaks_the_widget_locale(page_for, site_owner):
    site = closed_site(site_owner, "live", locale="de-DE")
    page = page_for(site.widget_key)
    opens_at = page.evaluate(f"window.__chatelly['{site.widget_key}'].config.opens_at")
    expected = page.evaluate(
        "at => new Intl.DateTimeFormat('de-DE', {weekday: 'long', month: 'short', day: 'numeric',"
        " hour: 'numeric', minute: '2-digit'}).format(new Date(at))",
        opens_at,
    )
    launcher(page).click()
    assert page.get_by_text(BACK).text_content() == f"We're back {expected}"
    assert re.search(r"(Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag)", expected)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_leave_a_message_when_closed(page_for, site_owner, viewport):
    site = closed_site(site_owner, "form")
    page = page_for(site.widget_key, viewport=viewport, ready="form")
    assert page.websockets == []  # no socket until there is something to send
    launcher(page).focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Ask the shop")
    assert dialog.get_by_text(BACK).is_visible()
    assert page.get_by_role("textbox", name="Message", exact=True).is_hidden()  # no composer
    form = page.get_by_role("form", name="Leave a message")
    email = form.get_by_label("Your email (required)")
    message = form.get_by_label("Your message")
    assert email.evaluate("e => e.getRootNode().activeElement === e")
    if viewport is PHONE:
        assert dialog.bounding_box()["width"] == 375
    message.fill("Please call me back")
    send_button = form.get_by_role("button", name="Send")

    send_button.click()  # no email
    assert form.get_by_role("alert").text_content() == "Enter a valid email address."
    assert email.get_attribute("aria-invalid") == "true"
    email.fill("vera@")
    email.press("Enter")  # a bad one
    assert form.get_by_role("alert").text_content() == "Enter a valid email address."
    assert email.evaluate("e => e.getRootNode().activeElement === e")
    assert page.websockets == [] and Visitor.objects.count() == 0

    email.fill("vera@example.org")
    form.evaluate("f => { f.requestSubmit(); f.requestSubmit(); }")  # a double submit sends once
    page.get_by_role("status").get_by_text(
        "Thanks \u2014 we'll reply by email at vera@example.org."
    ).wait_for()
    assert confirmed(page, "Please call me back").count() == 1
    assert form.is_hidden()
    chat = Chat.objects.get()
    assert Visitor.objects.get(visitor_id=chat.visitor_id).email == "vera@example.org"
    visitor_messages = Message.objects.filter(chat=chat, sender_type="visitor")
    assert list(visitor_messages.values_list("content", flat=True)) == ["Please call me back"]
    assert len(page.websockets) == 1
    assert page.page_errors == []
