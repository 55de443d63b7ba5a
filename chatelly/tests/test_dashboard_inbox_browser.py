"""The inbox in a real browser (issue 17, points 3 and 7): a visitor on a real
WebSocket client chats with agents in Chromium pages, on two server processes,
through a 30-second network cut; 1,000 chats stay fast; axe-core finds nothing
on the inbox and a conversation at desktop and phone widths."""

import contextlib
import re
import time
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from chat.models import Chat, Message, Visitor
from chatelly.tests.dashboard_browser import *  # noqa: F403
from chatelly.tests.dashboard_browser import DESKTOP, PHONE, axe_violations, screenshot, sign_in
from chatelly.tests.dashboard_browser import dashboard as shared_dashboard  # noqa: F401 (a fixture)
from conftest import PASSWORD
from testsupport.servers import ServerProcess, WsClient, ws_url
from websites import services as website_services

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.REDIS_URL, reason="live delivery across processes needs Redis"),
]

ORIGIN = "https://shop.example.com"


class VisitorSide:
    """A visitor's socket that keeps every frame it receives."""

    def __init__(self, server, widget_key, token=None):
        query = f"?token={token}" if token else ""
        self.client = WsClient(ws_url(server, f"/widget/ws/{widget_key}{query}"), origin=ORIGIN)
        self.frames = []
        session = self.client.recv()
        assert session["type"] == "session"
        self.frames.append(session)

    def pump(self, quiet=0.2):
        self.frames.extend(self.client.frames_until_quiet(quiet))

    def wait_for(self, predicate, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            for frame in self.frames:
                if predicate(frame):
                    return frame
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"the visitor never got it; frames: {self.frames[-10:]}")
            with contextlib.suppress(TimeoutError):
                self.frames.append(self.client.recv(min(remaining, 1.0)))

    def say(self, content):
        client_id = uuid.uuid4().hex
        self.client.send({"type": "message", "content": content, "client_id": client_id})
        ack = self.wait_for(lambda f: f["type"] == "ack" and f["client_id"] == client_id)
        return ack["message"]

    def send(self, frame):
        self.client.send(frame)

    def messages(self):
        """Every message this visitor holds (its acks and live messages), by seq."""
        found = {}
        for frame in self.frames:
            if frame["type"] in ("ack", "message"):
                found.setdefault(frame["message"]["seq"], []).append(frame["message"])
            elif frame["type"] == "history":
                for message in frame["messages"]:
                    found.setdefault(message["seq"], []).append(message)
        return found

    def close(self):
        self.client.close()


def chat_list(page):
    return page.get_by_role("list", name="Inbox")


def message_log(page):
    return page.get_by_role("log", name="Messages")


def shown_messages(page):
    """(seq, text) of each stored message in the open conversation, in DOM order;
    bubbles still sending have no seq."""
    return (
        message_log(page)
        .get_by_role("listitem")
        .evaluate_all(
            "els => els.map(e => [e.dataset.seq ? Number(e.dataset.seq) : null,"
            " (e.querySelector('p') || {}).textContent || ''])"
        )
    )


def stored(chat_id):
    return [(m.seq, m.content) for m in Message.objects.filter(chat_id=chat_id).order_by("seq")]


def open_chat(page, text):
    chat_list(page).get_by_role("link", name=re.compile(re.escape(text))).click()
    expect(message_log(page).get_by_text(text)).to_be_visible()


def reply(page, text):
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")


def add_agent(site, make_user, email="agent@shop.example.com", name="Ada"):
    agent = make_user(email=email, name=name)
    website_services.member_add(website=site, email=email, role="agent")
    return agent


@pytest.fixture
def dashboard(shared_dashboard, request):  # noqa: F811
    """The shared fixture, and on a failure what each page showed and logged."""
    pages = []
    failed_before = request.session.testsfailed

    def open_dashboard(*args, **kwargs):
        page = shared_dashboard(*args, **kwargs)
        pages.append(page)
        return page

    yield open_dashboard
    if request.session.testsfailed == failed_before:
        return
    for page in pages:
        try:
            body = page.locator("body").inner_text(timeout=2_000)[:1500]
        except Exception as exc:  # a closed page
            body = f"<{exc}>"
        print(f"\n--- page {page.url}\n{body}\nconsole: {page.console_messages[-20:]}")
        print(f"--- its server's log\n{page.server.log()[-4000:]}")


@pytest.fixture
def second_server(dashboard_server):
    """A second uvicorn process on the same database and Redis."""
    process = ServerProcess(env=dashboard_server.env, kind="uvicorn").start()
    yield process
    process.stop()


def test_a_visitor_and_the_agent_chat_live(dashboard, dashboard_server, site, site_owner):
    page = dashboard(DESKTOP)
    sign_in(page, site_owner.email, PASSWORD)
    expect(page.get_by_text("No chats here yet.")).to_be_visible()

    visitor = VisitorSide(dashboard_server, site.widget_key)
    first = visitor.say("Hello, is anyone there?")
    chat_id = first["chat_id"]
    row = chat_list(page).get_by_role("link", name=re.compile("Hello, is anyone there"))
    expect(row).to_be_visible()  # live: chat_started, then the message
    expect(row).to_contain_text("1 unread")
    expect(page).to_have_title("(1) Inbox · Chatelly")

    row.click()
    expect(page).to_have_url(re.compile(rf"#/inbox/{chat_id}$"))
    expect(message_log(page).get_by_text("Hello, is anyone there?")).to_be_visible()
    # Opening it reads it: the visitor is told, the count goes.
    assert visitor.wait_for(lambda f: f["type"] == "read")["seq"] == first["seq"]
    expect(page).to_have_title("Inbox · Chatelly")
    expect(row).not_to_contain_text("unread")

    reply(page, "Hi! How can I help?")
    answer = visitor.wait_for(lambda f: f["type"] == "message" and f["message"]["sender_type"] == "agent")
    assert answer["message"]["content"] == "Hi! How can I help?"
    expect(message_log(page).get_by_text("Sending…")).to_have_count(0)

    page.get_by_role("textbox", name="Message").press_sequentially("Let me")
    typing = visitor.wait_for(lambda f: f["type"] == "typing")
    assert typing["from"] == "agent" and typing["is_typing"] is True
    page.get_by_role("textbox", name="Message").fill("")
    visitor.send({"type": "typing", "is_typing": True})
    expect(page.get_by_text("Visitor is typing…")).to_be_visible()
    visitor.send({"type": "read", "seq": answer["message"]["seq"]})
    expect(message_log(page).get_by_text("Seen", exact=True)).to_be_visible()
    # ... and still after a reload (the message's read_at), under that message only.
    page.reload()
    seen = message_log(page).get_by_text("Seen", exact=True)
    expect(seen).to_have_count(1)
    expect(message_log(page).get_by_role("listitem").filter(has_text="Hi! How can I help?")).to_contain_text(
        "Seen"
    )

    second = visitor.say("My order #42 did not arrive.")
    expect(message_log(page).get_by_text("My order #42 did not arrive.")).to_be_visible()
    expect(page.get_by_text("Visitor is typing…")).to_have_count(0)
    assert visitor.wait_for(lambda f: f["type"] == "read" and f["seq"] == second["seq"])
    assert [seq for seq, _ in shown_messages(page)] == [seq for seq, _ in stored(chat_id)]

    # The visitor panel and assigning to oneself.
    panel = page.get_by_role("complementary", name="Visitor")
    expect(panel.get_by_text("Browser")).to_be_visible()
    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_label("Assigned to")).to_have_value(str(site_owner.id))
    assert Chat.objects.get(pk=chat_id).assigned_to_id == site_owner.id

    # Presence: the visitor leaves, then comes back on the same token.
    visitor.close()
    expect(page.get_by_text("Visitor offline")).to_be_visible()
    back = VisitorSide(dashboard_server, site.widget_key, token=visitor.frames[0]["token"])
    expect(page.get_by_text("Visitor online")).to_be_visible()
    expect(chat_list(page).get_by_text("Online", exact=True)).to_be_visible()
    back.close()
    assert page.page_errors == []


def test_a_second_agent_on_another_process_sees_both_sides(
    dashboard, dashboard_server, second_server, site, site_owner, make_user
):
    agent = add_agent(site, make_user)
    owner_page = dashboard(DESKTOP)
    sign_in(owner_page, site_owner.email, PASSWORD)
    agent_page = dashboard(DESKTOP, server=second_server)
    sign_in(agent_page, agent.email, PASSWORD)

    visitor = VisitorSide(dashboard_server, site.widget_key)
    visitor.say("Two agents, one question")
    open_chat(owner_page, "Two agents, one question")
    open_chat(agent_page, "Two agents, one question")

    reply(owner_page, "Answer from the owner")
    expect(message_log(agent_page).get_by_text("Answer from the owner")).to_be_visible()
    visitor.wait_for(lambda f: f["type"] == "message" and f["message"]["content"] == "Answer from the owner")

    reply(agent_page, "And one from Ada")
    expect(message_log(owner_page).get_by_text("And one from Ada")).to_be_visible()
    visitor.wait_for(lambda f: f["type"] == "message" and f["message"]["content"] == "And one from Ada")

    visitor.say("Thanks both")
    for page in (owner_page, agent_page):
        expect(message_log(page).get_by_text("Thanks both")).to_be_visible()
    chat_id = Message.objects.get(content="Thanks both").chat_id
    for page in (owner_page, agent_page):
        assert shown_messages(page) == [list(m) for m in stored(chat_id)]
    # The owner sees who wrote what.
    expect(
        message_log(owner_page).get_by_role("listitem").filter(has_text="And one from Ada")
    ).to_contain_text("Ada")
    visitor.close()
    assert owner_page.page_errors == [] and agent_page.page_errors == []


def test_a_30_second_network_cut_loses_and_doubles_nothing(dashboard, dashboard_server, site, site_owner):
    page = dashboard(DESKTOP)
    sign_in(page, site_owner.email, PASSWORD)
    visitor = VisitorSide(dashboard_server, site.widget_key)
    chat_id = visitor.say("Before the cut")["chat_id"]
    open_chat(page, "Before the cut")
    reply(page, "Agent before the cut")
    visitor.wait_for(lambda f: f["type"] == "message" and f["message"]["content"] == "Agent before the cut")

    page.context.set_offline(True)
    cut = time.monotonic()
    for i in range(1, 4):
        visitor.say(f"Visitor during the cut {i}")
        reply(page, f"Agent during the cut {i}")  # optimistic bubbles, not delivered yet
        time.sleep(4)
    expect(message_log(page).get_by_text("Sending…")).to_have_count(3)
    # Leaving the chat and coming back loses no unsent message (the chat cannot
    # load offline: it says so, and loads again once the socket is back).
    page.goto(f"{dashboard_server.url}/app/#/inbox")
    page.goto(f"{dashboard_server.url}/app/#/inbox/{chat_id}")
    expect(page.get_by_role("region", name="Chat").get_by_role("button", name="Try again")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="reconnecting")).to_be_visible(timeout=30_000)
    visitor.say("Visitor during the cut 4")
    newcomer = VisitorSide(dashboard_server, site.widget_key)
    newcomer.say("A new chat while the agent was away")
    time.sleep(max(0.0, 30 - (time.monotonic() - cut)))
    page.context.set_offline(False)

    visitor.say("Visitor after the cut")
    expect(message_log(page).get_by_text("Visitor after the cut")).to_be_visible(timeout=30_000)
    expect(message_log(page).get_by_text("Sending…")).to_have_count(0, timeout=20_000)
    expect(page.get_by_role("status").filter(has_text=re.compile("reconnecting|catching up"))).to_have_count(
        0
    )

    rows = stored(chat_id)
    contents = [content for _, content in rows]
    # Each message stored once: the agent's retries carried their first client_id.
    assert len(contents) == len(set(contents)) == 10, contents
    assert [seq for seq, _ in rows] == list(range(1, 11))
    # The agent's page: every message once, in seq order.
    assert shown_messages(page) == [list(row) for row in rows]
    # The visitor: every message once (its own acks and the agent's live ones).
    visitor.wait_for(lambda f: f["type"] == "message" and f["message"]["content"] == "Agent during the cut 3")
    visitor.pump()
    held = visitor.messages()
    assert sorted(held) == list(range(1, 11))
    for seq, content in rows:
        assert {m["content"] for m in held[seq]} == {content}
        assert len([m for m in held[seq] if m["sender_type"] == "agent"]) <= 1
    # The list reloaded after the reconnect: the chat started meanwhile is there.
    expect(
        chat_list(page).get_by_role("link", name=re.compile("A new chat while the agent was away"))
    ).to_be_visible()
    newcomer.close()
    visitor.close()
    assert page.page_errors == []


def make_chats(site, count):
    """`count` chats with one visitor message each, made with bulk inserts."""
    now = timezone.now()
    visitors = Visitor.objects.bulk_create(
        [Visitor(website=site, visitor_id=f"v_bulk{i:05d}", name=f"Bulk visitor {i}") for i in range(count)]
    )
    chats = Chat.objects.bulk_create(
        [
            Chat(website=site, session_id=f"s_{i}", visitor_id=v.visitor_id, visitor_record=v)
            for i, v in enumerate(visitors)
        ]
    )
    messages = Message.objects.bulk_create(
        [
            Message(
                chat=chat,
                website=site,
                seq=1,
                content=f"Question number {i}",
                sender_type="visitor",
                sender_id=chat.visitor_id,
                client_id=f"c{i}",
            )
            for i, chat in enumerate(chats)
        ]
    )
    for i, (chat, message) in enumerate(zip(chats, messages, strict=True)):
        chat.last_seq = 1
        chat.message_count = 1
        chat.last_message = message
        chat.last_message_at = now - timedelta(seconds=count - i)
    Chat.objects.bulk_update(chats, ["last_seq", "message_count", "last_message", "last_message_at"])


def test_a_thousand_chats_show_one_page_and_open_fast(dashboard, site, site_owner):
    make_chats(site, 1000)
    page = dashboard(DESKTOP)
    sign_in(page, site_owner.email, PASSWORD)

    started = time.monotonic()
    page.reload()
    newest = chat_list(page).get_by_role("link", name=re.compile("Question number 999"))
    expect(newest).to_be_visible()
    listed = time.monotonic() - started
    newest.click()
    expect(message_log(page).get_by_text("Question number 999")).to_be_visible()
    usable = time.monotonic() - started
    print(f"\n1,000 chats: list shown {listed * 1000:.0f} ms, a chat open {usable * 1000:.0f} ms after load")
    assert usable < 5

    assert chat_list(page).get_by_role("listitem").count() == 50
    # The tab counts every unread chat, not only the loaded ones (one is read now).
    expect(page).to_have_title("(999) Inbox · Chatelly")
    page.get_by_role("button", name="Load more chats").click()
    expect(chat_list(page).get_by_role("listitem")).to_have_count(100)
    expect(page.get_by_text("100 of 1000 chats")).to_be_visible()
    assert page.page_errors == []


def test_the_inbox_is_accessible_at_both_widths(dashboard, dashboard_server, site, site_owner):
    visitor = VisitorSide(dashboard_server, site.widget_key)
    visitor.send({"type": "identify", "name": "Grace", "email": "grace@example.com"})
    visitor.say("Where is my parcel?")
    visitor.send({"type": "page_view", "url": "https://shop.example.com/orders", "title": "Orders"})

    for viewport, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page = dashboard(viewport)
        sign_in(page, site_owner.email, PASSWORD)
        row = chat_list(page).get_by_role("link", name=re.compile("Grace"))
        expect(row).to_be_visible()
        assert axe_violations(page) == [], label
        screenshot(page, f"inbox-{label}")

        row.click()
        expect(message_log(page).get_by_text("Where is my parcel?")).to_be_visible()
        reply(page, "It left the warehouse today.")
        expect(message_log(page).get_by_text("Sending…")).to_have_count(0)
        if viewport is PHONE:
            page.get_by_role("button", name="Visitor details").click()  # a panel over the chat
        panel = page.get_by_role("complementary", name="Visitor")
        expect(panel.get_by_text("grace@example.com")).to_be_visible()
        expect(panel.get_by_role("link", name="Orders", exact=True)).to_be_visible()
        assert axe_violations(page) == [], label
        if viewport is PHONE:
            page.get_by_role("button", name="Hide details").click()
            expect(panel).to_be_hidden()
            page.get_by_role("button", name="Visitor details").click()
            page.keyboard.press("Escape")
            expect(panel).to_be_hidden()
            expect(page.get_by_role("button", name="Visitor details")).to_be_focused()
        screenshot(page, f"conversation-{label}")
        if viewport is PHONE:
            # Two screens: the list is gone while the conversation shows; back returns to it.
            expect(chat_list(page)).to_be_hidden()
            page.get_by_role("link", name="All chats").click()
            expect(row).to_be_focused()
        assert page.page_errors == [], label
        page.context.close()
    visitor.close()


def png_bytes(width=4, height=4) -> bytes:
    """A small valid PNG (a blue square)."""
    import struct
    import zlib

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x1f\x5f\xbf" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def add_history(chat_id, count):
    """`count` more messages in a chat, alternating visitor and agent, bulk inserted."""
    chat = Chat.objects.get(pk=chat_id)
    start = chat.last_seq
    rows = Message.objects.bulk_create(
        [
            Message(
                chat=chat,
                website_id=chat.website_id,
                seq=start + i,
                content=f"Old message {start + i}",
                sender_type="visitor" if i % 2 else "agent",
                sender_id=chat.visitor_id if i % 2 else "1",
                client_id=f"old{start + i}",
                read_at=timezone.now(),
            )
            for i in range(1, count + 1)
        ]
    )
    chat.last_seq = start + count
    chat.message_count = start + count
    chat.last_message = rows[-1]
    chat.last_message_at = timezone.now()
    chat.save(update_fields=["last_seq", "message_count", "last_message", "last_message_at"])


def test_history_pages_up_attachments_go_both_ways_and_the_chat_closes(
    dashboard, dashboard_server, site, site_owner, tmp_path
):
    import requests

    visitor = VisitorSide(dashboard_server, site.widget_key)
    chat_id = visitor.say("Old message 1")["chat_id"]
    add_history(chat_id, 129)  # 130 messages: the last 50 show first
    page = dashboard(DESKTOP)
    sign_in(page, site_owner.email, PASSWORD)
    page.goto(f"{dashboard_server.url}/app/#/inbox/{chat_id}")
    log = message_log(page)
    expect(log.get_by_text("Old message 130", exact=True)).to_be_visible()
    assert [seq for seq, _ in shown_messages(page)] == list(range(81, 131))

    # Scrolling up brings earlier pages; the message the agent was reading stays in place.
    # One step to the top (scrolling the anchor into view first could itself reach
    # the top and load a page, and the second scroll a further one on a slow machine).
    anchor = log.get_by_text("Old message 81", exact=True)
    log.evaluate("el => { el.scrollTop = 0; }")
    expect(log.get_by_text("Old message 31", exact=True)).to_be_attached()
    # Within the log's box (polled: under load the page may still be laying out).
    page.wait_for_function(
        """([log, anchor]) => {
          const outer = log.getBoundingClientRect(), inner = anchor.getBoundingClientRect();
          return outer.top <= inner.top && inner.top <= outer.bottom;
        }""",
        arg=[log.element_handle(), anchor.element_handle()],
        timeout=5000,
    )
    # A DOM click: Playwright's would scroll the button into view first, which
    # reaches the top and loads the page by itself before the click lands.
    page.get_by_role("button", name="Load earlier messages").evaluate("button => button.click()")
    expect(log.get_by_text("Old message 1", exact=True)).to_be_attached()
    expect(page.get_by_role("button", name="Load earlier messages")).to_be_hidden()
    assert [seq for seq, _ in shown_messages(page)] == list(range(1, 131))

    # The agent sends an image; the visitor gets it with its attachment.
    image = tmp_path / "receipt.png"
    image.write_bytes(png_bytes())
    page.get_by_label("Attach a file").set_input_files(str(image))
    expect(log.get_by_role("img", name="receipt.png")).to_be_visible()
    sent = visitor.wait_for(lambda f: f["type"] == "message" and f["message"]["attachment"])["message"]
    assert sent["attachment"]["name"] == "receipt.png" and sent["type"] == "image"
    assert page.evaluate(
        "() => [...document.querySelectorAll('[role=log] img')].every(i => i.complete && i.naturalWidth > 0)"
    )

    # The visitor sends a PDF: a download link.
    status = requests.post(
        f"{dashboard_server.url}/widget/upload/{site.widget_key}",
        files={"file": ("invoice.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
        headers={"X-Visitor-Token": visitor.frames[0]["token"], "Origin": ORIGIN},
        timeout=10,
    )
    assert status.status_code == 201, status.text
    visitor.client.send(
        {"type": "message", "content": "", "client_id": "pdf-1", "attachment_id": status.json()["id"]}
    )
    expect(log.get_by_role("link", name=re.compile(r"^invoice\.pdf \("))).to_be_visible()

    # Close, confirmed in a dialog: the visitor is told and the composer locks.
    page.get_by_role("button", name="Close chat").click()
    page.get_by_role("dialog").get_by_role("button", name="Close chat").click()
    visitor.wait_for(lambda f: f["type"] == "chat_status" and f["status"] == "closed")
    expect(page.get_by_role("textbox", name="Message")).to_be_disabled()
    expect(page.get_by_text("Shop · Closed")).to_be_visible()
    assert Chat.objects.get(pk=chat_id).status == "closed"
    visitor.close()
    assert page.page_errors == []


def test_filters_search_and_assigning_to_a_member(dashboard, dashboard_server, site, site_owner, make_user):
    agent = add_agent(site, make_user)
    grace = VisitorSide(dashboard_server, site.widget_key)
    grace.say("Where is my parcel?")
    linus = VisitorSide(dashboard_server, site.widget_key)
    linus_chat = linus.say("Do you ship to Finland?")["chat_id"]
    page = dashboard(DESKTOP)
    sign_in(page, site_owner.email, PASSWORD)
    rows = chat_list(page).get_by_role("listitem")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Finland")  # newest activity first

    open_chat(page, "Do you ship to Finland?")
    page.get_by_label("Assigned to").select_option(label="Ada")
    expect(page.get_by_text("Chat assigned.")).to_be_attached()  # said to screen readers
    assert Chat.objects.get(pk=linus_chat).assigned_to_id == agent.id
    expect(page.get_by_role("button", name="Assign to me")).to_be_visible()

    page.get_by_label("Assigned", exact=True).select_option(label="Unassigned")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("parcel")
    page.get_by_label("Assigned", exact=True).select_option(label="Mine")
    expect(page.get_by_text("No chats here yet.")).to_be_visible()
    page.get_by_label("Assigned", exact=True).select_option(label="All")
    expect(rows).to_have_count(2)

    page.get_by_label("Search chats").fill("finland")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Finland")
    # Live while searching: a chat that comes to match appears, one that does not stays out.
    grace.say("Or could it go to Finland instead?")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Or could it go to Finland instead?")
    third = VisitorSide(dashboard_server, site.widget_key)
    third.say("Unrelated question")
    page.wait_for_timeout(1500)  # the search runs again at most once a second
    expect(rows).to_have_count(2)
    third.close()
    page.get_by_label("Search chats").fill("nothing like this")
    expect(page.get_by_text("No chats match this search.")).to_be_visible()
    page.get_by_label("Search chats").fill("")
    expect(rows).to_have_count(3)

    # Live while filtered: a message moves its chat to the top.
    grace.say("Hello again")
    expect(rows.first).to_contain_text("Hello again")
    page.get_by_label("Status").select_option(label="Closed")
    expect(page.get_by_text("No chats here yet.")).to_be_visible()
    grace.close()
    linus.close()
    assert page.page_errors == []


# A stand-in for the browser's Notification and AudioContext that records what
# the page asks of them (headless Chromium shows neither).
ALERT_RECORDER = """
window.__alerts = [];
window.Notification = class {
  static permission = "default";
  static async requestPermission() { window.Notification.permission = "granted"; return "granted"; }
  constructor(title, options) { window.__alerts.push(["notification", title, options.body]); }
  addEventListener() {}
  close() {}
};
const RealAudio = window.AudioContext;
window.AudioContext = class extends RealAudio {
  createOscillator() { window.__alerts.push(["beep"]); return super.createOscillator(); }
};
let hidden = false;
Object.defineProperty(Document.prototype, "hidden", { get: () => hidden, configurable: true });
window.__hide = (value) => { hidden = value; document.dispatchEvent(new Event("visibilitychange")); };
"""


def test_sound_and_notifications_while_the_tab_is_hidden_when_opted_in(
    dashboard, dashboard_server, site, site_owner
):
    page = dashboard(DESKTOP)
    page.add_init_script(ALERT_RECORDER)
    page.reload()
    sign_in(page, site_owner.email, PASSWORD)
    visitor = VisitorSide(dashboard_server, site.widget_key)
    chat_id = visitor.say("First, seen with the tab in front")["chat_id"]
    expect(chat_list(page).get_by_role("listitem")).to_have_count(1)
    assert page.evaluate("window.__alerts") == []  # not opted in, tab visible

    page.get_by_label("Notify me").check()
    page.get_by_label("Sound").check()
    page.evaluate("window.__hide(true)")
    visitor.say("Second, while the tab is hidden")
    expect(page).to_have_title("(1) Inbox · Chatelly")  # unread chats, not messages
    page.wait_for_function("window.__alerts.length >= 2")
    alerts = page.evaluate("window.__alerts")
    assert ["beep"] in alerts
    assert [
        "notification",
        "Visitor " + visitor.frames[0]["visitor_id"][-5:],
        "Second, while the tab is hidden",
    ] in (alerts)

    # An open conversation in a hidden tab still counts as unread until the agent looks.
    page.evaluate("window.__hide(false)")
    page.goto(f"{dashboard_server.url}/app/#/inbox/{chat_id}")
    expect(message_log(page).get_by_text("Second, while the tab is hidden")).to_be_visible()
    expect(page).to_have_title("Inbox · Chatelly")
    page.evaluate("window.__hide(true)")
    last = visitor.say("Third, open but hidden")
    expect(page).to_have_title("(1) Inbox · Chatelly")
    page.evaluate("window.__hide(false)")
    expect(page).to_have_title("Inbox · Chatelly")
    visitor.wait_for(lambda f: f["type"] == "read" and f["seq"] == last["seq"])
    visitor.close()
    assert page.page_errors == []


def test_wide_screens_show_list_conversation_and_visitor_side_by_side(
    dashboard, dashboard_server, site, site_owner
):
    visitor = VisitorSide(dashboard_server, site.widget_key)
    visitor.say("Hello from a big screen")
    page = dashboard({"width": 1920, "height": 1080})
    sign_in(page, site_owner.email, PASSWORD)
    open_chat(page, "Hello from a big screen")
    boxes = [
        page.get_by_role("region", name="Inbox").bounding_box(),
        page.get_by_role("region", name=re.compile("^Visitor ")).bounding_box(),
        page.get_by_role("complementary", name="Visitor").bounding_box(),
    ]
    assert boxes[0]["x"] + boxes[0]["width"] <= boxes[1]["x"] + 1
    assert boxes[1]["x"] + boxes[1]["width"] <= boxes[2]["x"] + 1
    assert boxes[2]["x"] + boxes[2]["width"] > 1800  # the whole width is used
    expect(page.get_by_role("button", name="Visitor details")).to_be_hidden()
    screenshot(page, "inbox-wide")
    visitor.close()
    assert page.page_errors == []


def test_a_message_written_while_the_history_loads_shows_once(dashboard, dashboard_server, site, site_owner):
    visitor = VisitorSide(dashboard_server, site.widget_key)
    chat_id = visitor.say("Before the agent opens it")["chat_id"]
    page = dashboard(DESKTOP)
    sign_in(page, site_owner.email, PASSWORD)
    expect(chat_list(page).get_by_role("listitem")).to_have_count(1)

    raced = []

    def history_then_a_message(route):
        # The history answer is read first; the visitor writes before the page sees it.
        response = route.fetch()
        if not raced:
            raced.append(visitor.say("Written while the history was on its way"))
            time.sleep(0.5)  # its live frame reaches the page before the history does
        route.fulfill(response=response)

    page.route(re.compile(rf"/api/v1/chats/{chat_id}/messages"), history_then_a_message)
    open_chat(page, "Before the agent opens it")
    expect(message_log(page).get_by_text("Written while the history was on its way")).to_be_visible()
    visitor.say("And one after")
    expect(message_log(page).get_by_text("And one after")).to_be_visible()
    assert shown_messages(page) == [list(row) for row in stored(chat_id)]
    visitor.close()
    assert page.page_errors == []


def test_a_lost_ack_is_retried_with_the_same_client_id(dashboard, dashboard_server, site, site_owner):
    page = dashboard(DESKTOP)
    dropped = []

    def lose_one_ack(ws):
        server = ws.connect_to_server()
        ws.on_message(lambda text: server.send(text))

        def to_page(text):
            if (
                '"type": "ack"' in text.replace('":"', '": "')
                and "Is this stored once?" in text
                and not dropped
            ):
                dropped.append(text)  # the message is stored, the page never hears so
                return
            ws.send(text)

        server.on_message(to_page)

    page.route_web_socket(re.compile(r"/ws/agent/"), lose_one_ack)
    sign_in(page, site_owner.email, PASSWORD)
    visitor = VisitorSide(dashboard_server, site.widget_key)
    chat_id = visitor.say("Will the answer come once?")["chat_id"]
    open_chat(page, "Will the answer come once?")

    reply(page, "Is this stored once?")
    visitor.wait_for(lambda f: f["type"] == "message" and f["message"]["content"] == "Is this stored once?")
    expect(message_log(page).get_by_text("Sending…")).to_have_count(1)  # no ack yet
    assert dropped
    # About 10 s later the page sends it again with the same client_id; the server
    # answers with the first message's ack and stores nothing new.
    expect(message_log(page).get_by_text("Sending…")).to_have_count(0, timeout=20_000)
    expect(message_log(page).get_by_text("Is this stored once?")).to_have_count(1)
    assert Message.objects.filter(chat_id=chat_id, content="Is this stored once?").count() == 1
    assert shown_messages(page) == [list(row) for row in stored(chat_id)]
    visitor.pump()
    assert len([f for f in visitor.frames if f["type"] == "message"]) == 1
    visitor.close()
    assert page.page_errors == []


def test_chats_started_before_the_socket_opens_are_listed(dashboard, dashboard_server, site, site_owner):
    page = dashboard(DESKTOP)
    held = []
    page.route_web_socket(re.compile(r"/ws/agent/"), lambda ws: held.append(ws))  # not connected yet
    sign_in(page, site_owner.email, PASSWORD)
    expect(page.get_by_text("No chats here yet.")).to_be_visible()  # the list is loaded

    visitor = VisitorSide(dashboard_server, site.widget_key)
    visitor.say("I wrote before your socket was open")
    ws = held[0]
    server = ws.connect_to_server()
    ws.on_message(lambda text: server.send(text))
    server.on_message(lambda text: ws.send(text))
    expect(
        chat_list(page).get_by_role("link", name=re.compile("before your socket was open"))
    ).to_be_visible()
    visitor.close()
    assert page.page_errors == []


def test_no_form_shows_before_the_startup_refresh_answers(dashboard, site, site_owner):
    """A form drawn before the start-up session refresh answers would be drawn
    again, empty, when it does (a sign-in typed meanwhile was lost): the page
    waits for that answer, then signs in and stays signed in."""
    page = dashboard(DESKTOP)
    held = []
    page.route(re.compile(r"/api/v1/auth/session/refresh"), lambda route: held.append(route))
    page.goto(f"{page.server.url}/app/#/login")
    page.reload()  # a fresh load, whose start-up refresh is held
    expect(page.get_by_role("status").filter(has_text="Loading")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_count(0)
    page.wait_for_timeout(300)
    assert held
    for route in held:  # what the server answers a refresh without a cookie
        route.fulfill(
            status=401,
            content_type="application/json",
            body='{"error": "token_not_valid", "message": "No session.", "code": 401}',
        )
    page.unroute(re.compile(r"/api/v1/auth/session/refresh"))
    sign_in(page, site_owner.email, PASSWORD)
    page.wait_for_timeout(500)
    expect(page).to_have_url(re.compile(r"#/inbox$"))
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    assert page.page_errors == []
