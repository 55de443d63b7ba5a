"""The dashboard's account, websites and analytics screens in Chromium: an owner
signs up and sets a website up end to end (field errors next to their fields,
the snippet copied, the key rotated, members and roles, deactivation and
deletion after confirming), the session survives a reload and ends with log
out; an agent sees no management controls; analytics draws its tiles, chart
and heat map with accessible names and downloads the CSV. Every screen passes
axe-core (WCAG 2.2 AA) at desktop and phone width."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from chat.models import Chat, Message, Visitor
from chatelly.tests.dashboard_browser import *  # noqa: F403
from chatelly.tests.dashboard_browser import DESKTOP, PHONE, axe_violations, record, screenshot, sign_in
from conftest import PASSWORD
from websites.models import Membership, Website

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "another-Staple-7-battery"


def go(page, hash_):
    """Navigate inside the app as a user would: by changing the hash (no reload)."""
    page.evaluate("(h) => { location.hash = h; }", hash_)


def check_screen(page, name, ready):
    """axe-clean and a screenshot at both widths; `ready` is a locator the screen shows when drawn."""
    for viewport, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(viewport)
        expect(ready).to_be_visible()
        page.evaluate("window.scrollTo(0, 0)")
        assert axe_violations(page) == [], f"{name} at {suffix}"
        screenshot(page, f"{name}-{suffix}")
    page.set_viewport_size(DESKTOP)


def dialog_confirm(page, label):
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=label, exact=True).click()
    expect(dialog).to_have_count(0)


def test_owner_signs_up_and_sets_a_website_up(browser, dashboard_server, make_user):
    base = dashboard_server.url
    agent = make_user(email="agent@shop.example.com", name="Aki")
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"], viewport=DESKTOP)
    page = record(context.new_page())

    # Sign up through the page.
    page.goto(f"{base}/app/#/signup")
    page.get_by_label("Name").fill("Olivia")
    page.get_by_label("Email").fill("olivia@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(re.compile(r"#/inbox"))

    # Websites: none yet, the plan's limit shown before it is hit.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Websites").click()
    expect(page.get_by_role("heading", name="Websites", level=1)).to_be_visible()
    expect(page.get_by_text("0 of 3 websites on the Free plan.")).to_be_visible()
    expect(page.get_by_text("Each website takes up to 100 visitors at once")).to_be_visible()
    check_screen(page, "websites-empty", page.get_by_role("link", name="New website"))
    page.get_by_role("link", name="New website").click()
    expect(page.get_by_role("heading", name="New website", level=1)).to_be_visible()

    # A bad domain and a bad colour: the API's 400 shows next to each field.
    page.get_by_label("Name", exact=True).fill("Shop")
    page.get_by_label("Domain").fill("https://shop.example.com/x")
    page.get_by_label("Colour").fill("red")
    page.get_by_role("button", name="Create website").click()
    domain = page.get_by_label("Domain")
    expect(domain).to_have_attribute("aria-invalid", "true")
    expect(domain).to_have_accessible_description(re.compile(r"without scheme, port, path"))
    page.get_by_label("Domain").fill("shop.example.com")
    page.get_by_role("button", name="Create website").click()
    colour = page.get_by_label("Colour")
    expect(colour).to_have_attribute("aria-invalid", "true")
    expect(colour).to_have_accessible_description(re.compile(r"#rrggbb.*A colour as #rrggbb"))
    expect(domain).not_to_have_attribute("aria-invalid", "true")
    check_screen(page, "website-new", colour)  # with a field error shown
    colour.fill("#1F5FBF")
    page.get_by_role("button", name="Create website").click()
    page.wait_for_url(re.compile(r"#/websites/\d+$"))
    expect(page.get_by_role("heading", name="Shop", level=1)).to_be_visible()
    site = Website.objects.get(name="Shop")
    assert site.domain == "shop.example.com"
    assert site.settings == {"color": "#1f5fbf"}

    # Edit settings: texts, business hours, an auto-reply; a bad range is caught next to its day.
    page.get_by_label("Widget title").fill("Talk to us")
    page.get_by_label("Greeting").fill("Hello! How can we help?")
    page.get_by_label("Position").select_option("left")
    page.get_by_label("Ask visitors for their email before they chat").check()
    page.get_by_label("Time zone of the business hours").select_option("Europe/Berlin")
    page.get_by_label("Monday hours").fill("9-5")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_label("Monday hours")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Monday hours").fill("09:00-12:00, 13:00-17:00")
    page.get_by_role("button", name="Add auto-reply").click()
    page.get_by_label("Keywords of rule 1").fill("price, cost")
    page.get_by_label("Reply of rule 1").fill("See our pricing page.")
    page.get_by_label("Allowed origins").fill("https://app.example.com")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Changes saved.")).to_be_visible()
    site.refresh_from_db()
    assert site.settings == {
        "color": "#1f5fbf",
        "title": "Talk to us",
        "greeting": "Hello! How can we help?",
        "position": "left",
        "require_email": True,
        "business_hours": {
            "timezone": "Europe/Berlin",
            "days": {"mon": [["09:00", "12:00"], ["13:00", "17:00"]]},
        },
        "allowed_origins": ["https://app.example.com"],
        "auto_replies": [{"keywords": ["price", "cost"], "reply": "See our pricing page."}],
    }
    # A server error deep in the settings lands next to its field.
    page.get_by_label("Allowed origins").fill("not an origin")
    page.get_by_role("button", name="Save changes").click()
    origins = page.get_by_label("Allowed origins")
    expect(origins).to_have_attribute("aria-invalid", "true")
    expect(origins).to_have_accessible_description(re.compile(r"Item 1: A full origin"))
    origins.fill("https://app.example.com")
    page.get_by_role("button", name="Save changes").click()
    expect(origins).not_to_have_attribute("aria-invalid", "true")

    # The snippet, copied.
    old_script = f"{base}/widget/script/{site.widget_key}"
    page.get_by_role("button", name="Copy snippet").click()
    snippet = page.get_by_role("region", name="Embed snippet")
    expect(snippet.get_by_text("Copied", exact=True)).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == f'<script async src="{old_script}"></script>'
    assert page.request.get(old_script).status == 200

    # Rotating the key warns first; cancelling keeps it, confirming breaks the old snippet at once.
    page.get_by_role("button", name="Rotate widget key").click()
    expect(page.get_by_role("dialog")).to_contain_text("stops working at once")
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    site.refresh_from_db()
    assert f"{base}/widget/script/{site.widget_key}" == old_script
    page.get_by_role("button", name="Rotate widget key").click()
    dialog_confirm(page, "Rotate key")
    expect(snippet).not_to_contain_text(old_script)
    site.refresh_from_db()
    new_script = f"{base}/widget/script/{site.widget_key}"
    expect(snippet).to_contain_text(new_script)
    assert page.request.get(old_script).status == 404
    assert page.request.get(new_script).status == 200

    # Members: a malformed email is refused next to its field, an address without an
    # account is invited (test_dashboard_invite_browser.py); add an agent, make them admin.
    page.get_by_label("Email of the new member").fill("nobody@")
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_label("Email of the new member")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Email of the new member").fill("nobody@example.com")
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_role("list", name="Invited")).to_contain_text("nobody@example.com")
    expect(page.get_by_label("Email of the new member")).not_to_have_attribute("aria-invalid", "true")
    page.get_by_label("Email of the new member").fill(agent.email)
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_role("status").filter(has_text="Aki was added as agent.")).to_be_visible()
    members = page.get_by_role("table", name="Members of Shop")
    expect(members.get_by_role("row", name=re.compile("Aki"))).to_be_visible()
    expect(members.get_by_role("button", name=re.compile("Olivia"))).to_have_count(
        0
    )  # the owner: no controls
    page.get_by_label("Role of Aki").select_option("admin")
    page.get_by_role("button", name="Change role of Aki").click()
    expect(page.get_by_text("Aki is now admin.")).to_be_visible()
    assert Membership.objects.get(website=site, user=agent).role == "admin"

    check_screen(page, "website", page.get_by_role("heading", name="Shop", level=1))
    # Removing a member asks first.
    page.get_by_role("button", name="Remove Aki").click()
    dialog_confirm(page, "Remove member")
    expect(members.get_by_role("row", name=re.compile("Aki"))).to_have_count(0)
    assert not Membership.objects.filter(website=site, user=agent).exists()

    # A reload keeps the session: the refresh cookie renews it.
    page.reload()
    expect(page.get_by_role("heading", name="Shop", level=1)).to_be_visible()
    expect(page.get_by_label("Widget title")).to_have_value("Talk to us")

    # Deactivate after confirming.
    page.get_by_role("button", name="Deactivate website").click()
    dialog_confirm(page, "Deactivate")
    expect(page.get_by_role("button", name="Activate website", exact=True)).to_be_focused()
    site.refresh_from_db()
    assert site.is_active is False
    assert page.request.get(new_script).status == 404

    # The list shows it with its role and state.
    go(page, "#/websites")
    row = page.get_by_role("listitem").filter(has=page.get_by_role("link", name="Shop"))
    expect(row).to_contain_text("owner")
    expect(row).to_contain_text("Inactive")
    expect(page.get_by_text("1 of 3 websites on the Free plan.")).to_be_visible()
    check_screen(page, "websites", page.get_by_role("link", name="Shop"))

    # Delete after confirming.
    page.get_by_role("link", name="Shop").click()
    page.get_by_role("button", name="Delete website").click()
    dialog_confirm(page, "Delete for good")
    page.wait_for_url(re.compile(r"#/websites$"))
    expect(page.get_by_text("0 of 3 websites on the Free plan.")).to_be_visible()
    assert not Website.objects.filter(id=site.id).exists()

    # Account: profile with its field errors, the plan, the password.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", name="Account", level=1)).to_be_visible()
    expect(page.get_by_text("You are on the Free plan.")).to_be_visible()
    # exact: "Email me about unread chats" (the notifications card) is a label too.
    page.get_by_label("Email", exact=True).fill(agent.email)
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_label("Email", exact=True)).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Email", exact=True).fill("olivia@example.com")
    page.get_by_label("Name").fill("Olivia Stone")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Profile saved.")).to_be_visible()
    page.get_by_label("Current password").fill("wrong-password-1")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_label("Current password")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Password changed.")).to_be_visible()
    check_screen(page, "account", page.get_by_role("heading", name="Account", level=1))
    # The new refresh cookie came with the new password: a reload stays signed in.
    page.reload()
    expect(page.get_by_role("heading", name="Account", level=1)).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Olivia Stone")

    # Log out ends the session, also across a reload.
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to Chatelly")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Log in to Chatelly")).to_be_visible()
    assert page.page_errors == []
    context.close()


def test_plan_limit_disables_the_new_website_button(dashboard, site_owner, make_site):
    for n in range(3):
        make_site(name=f"Site {n}", domain=f"s{n}.example.com")
    page = dashboard()
    sign_in(page, site_owner.email, PASSWORD)
    go(page, "#/websites")
    expect(
        page.get_by_text(re.compile(r"3 of 3 websites on the Free plan\. The limit is reached"))
    ).to_be_visible()
    button = page.get_by_role("button", name="New website")
    expect(button).to_be_disabled()
    expect(button).to_have_accessible_description(re.compile("The limit is reached"))
    go(page, "#/websites/new")
    expect(page.get_by_text(re.compile("The limit is reached"))).to_be_visible()
    expect(page.get_by_role("button", name="Create website")).to_have_count(0)
    assert page.page_errors == []


def test_websites_list_is_paged(dashboard, make_user, make_website):
    owner = make_user(email="big@example.com", plan="business")
    for n in range(23):
        make_website(owner=owner, name=f"Site {n:02}", domain=f"s{n}.example.com")
    page = dashboard()
    sign_in(page, owner.email, PASSWORD)
    go(page, "#/websites")
    expect(page.get_by_text("23 websites on the Business plan (no limit).")).to_be_visible()
    sites = page.get_by_role("list", name="Your websites").get_by_role("listitem")
    expect(sites).to_have_count(20)
    expect(page.get_by_text("Showing 20 of 23.")).to_be_visible()
    page.get_by_role("button", name="Load more").click()
    expect(sites).to_have_count(23)
    expect(page.get_by_text("Showing 23 of 23.")).to_be_visible()
    expect(page.get_by_role("button", name="Load more")).to_have_count(0)
    expect(page.get_by_role("link", name="New website")).to_be_visible()
    assert page.page_errors == []


@pytest.mark.parametrize("role", ["agent", "admin"])
def test_each_role_sees_only_its_controls(dashboard, site, make_user, role):
    member = make_user(email=f"{role}@example.com", name="Mo")
    Membership.objects.create(website=site, user=member, role=role)
    page = dashboard()
    sign_in(page, member.email, PASSWORD)
    go(page, "#/websites")
    row = page.get_by_role("listitem").filter(has=page.get_by_role("link", name="Shop"))
    expect(row).to_contain_text(role)
    page.get_by_role("link", name="Shop").click()
    expect(page.get_by_role("heading", name="Shop", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Copy snippet")).to_be_visible()
    expect(page.get_by_role("table", name="Members of Shop")).to_contain_text("Olga")
    expect(page.get_by_role("button", name="Delete website")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Change role of"))).to_have_count(
        0
    )  # the owner is the only other
    if role == "agent":
        expect(page.get_by_text("settings and members are read-only")).to_be_visible()
        expect(page.get_by_label("Name", exact=True)).to_be_disabled()
        expect(page.get_by_label("Colour")).to_be_disabled()
        for name in (
            "Save changes",
            "Add member",
            "Rotate widget key",
            "Deactivate website",
            "Add auto-reply",
        ):
            expect(page.get_by_role("button", name=name)).to_have_count(0)
        check_screen(page, "website-agent", page.get_by_role("heading", name="Shop", level=1))
    else:
        expect(page.get_by_label("Name", exact=True)).to_be_enabled()
        for name in ("Save changes", "Add member", "Rotate widget key", "Deactivate website"):
            expect(page.get_by_role("button", name=name)).to_be_visible()
    assert page.page_errors == []


def test_analytics_pictures_and_csv(dashboard, site, site_owner, make_site, tmp_path):
    make_site(name="Blog", domain="blog.example.com")
    now = timezone.now()
    for n in range(4):
        visitor = Visitor.objects.create(website=site)
        chat = Chat.objects.create(
            website=site,
            visitor_record=visitor,
            visitor_id=visitor.visitor_id,
            session_id="s",
            status="active",
        )
        started = now - timedelta(days=n, hours=1)
        Chat.objects.filter(id=chat.id).update(
            started_at=started,
            first_visitor_message_at=started,
            first_response_at=started + timedelta(seconds=90),
        )
        for seq, sender in enumerate(("visitor", "agent"), start=1):
            message = Message.objects.create(
                chat=chat, website=site, seq=seq, content="x", sender_type=sender, sender_id="s"
            )
            Message.objects.filter(id=message.id).update(created_at=started + timedelta(seconds=seq * 45))

    page = dashboard()
    sign_in(page, site_owner.email, PASSWORD)

    # Across all websites.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Analytics").click()
    expect(page.get_by_role("heading", name="Analytics", level=1)).to_be_visible()
    expect(
        page.get_by_role("img", name=re.compile(r"^Daily chats, messages and visitors .*4 chats, 8 messages"))
    ).to_be_visible()
    expect(page.get_by_role("table", name="Chats, messages and visitors per website")).to_contain_text("Blog")
    check_screen(page, "analytics-all", page.get_by_role("img", name=re.compile("^Daily chats")))

    # One website, picked in the selector.
    page.get_by_label("Website", exact=True).select_option(label="Shop")
    page.wait_for_url(re.compile(rf"#/analytics/{site.id}$"))
    expect(page.get_by_role("heading", name="Analytics: Shop", level=1)).to_be_visible()
    tiles = page.get_by_role("term")
    expect(tiles.filter(has_text="Chats")).to_have_count(2)  # "Chats" and "Active chats now"
    expect(page.get_by_role("definition").first).to_have_text("4")
    expect(page.get_by_text("1 min 30 s")).to_be_visible()  # avg first response
    expect(page.get_by_role("definition").filter(has_text="—")).to_have_count(
        1
    )  # no closed chat: no duration
    chart = page.get_by_role(
        "img", name=re.compile(r"^Daily chats, messages and visitors .*4 chats, 8 messages")
    )
    expect(chart).to_be_visible()
    heat = page.get_by_role(
        "img", name=re.compile(r"^Chats started by weekday and hour \([^)]+\)\. Busiest: ")
    )
    expect(heat).to_be_visible()
    page.get_by_text("Daily figures as a table").click()
    expect(page.get_by_role("table", name="Chats, messages and visitors per day")).to_be_visible()
    page.get_by_text("Chats per weekday and hour as a table").click()
    expect(page.get_by_role("table", name=re.compile("Chats started per weekday"))).to_be_visible()
    page.set_viewport_size(PHONE)  # the wide tables scroll: still axe-clean
    assert axe_violations(page) == [], "analytics tables at phone"
    page.set_viewport_size(DESKTOP)

    # The range: a preset, then dates and a zone; a bad range answers next to "From".
    page.get_by_role("button", name="Last 7 days").click()
    expect(page.get_by_role("button", name="Last 7 days")).to_have_attribute("aria-pressed", "true")
    page.get_by_text("Daily figures as a table").click()  # a new table, its <details> closed again
    expect(
        page.get_by_role("table", name="Chats, messages and visitors per day").get_by_role("row")
    ).to_have_count(8)
    page.get_by_label("From", exact=True).fill("2026-01-10")
    page.get_by_label("To", exact=True).fill("2026-01-01")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.get_by_label("From", exact=True)).to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Last 30 days").click()
    page.get_by_label("Time zone", exact=True).select_option("Asia/Tokyo")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.get_by_role("img", name=re.compile(r"\(Asia.Tokyo\)"))).to_be_visible()
    check_screen(page, "analytics", heat)

    # The CSV download.
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    path = tmp_path / "figures.csv"
    info.value.save_as(path)
    text = path.read_text()
    assert text.startswith("date,chats,messages,visitors")
    assert len(text.strip().splitlines()) >= 31
    assert page.page_errors == []
