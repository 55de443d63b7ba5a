"""A forgotten password in Chromium, against the real API and a real SMTP
server: "Forgot password?" on the login form, the address sent, the same
answer for an unknown address, the link taken from the real email, the new
password typed twice (a mismatch and the server's strength error shown at the
field), then signed in with a cookie session that survives a reload; the used
link is refused with an offer of a new one. At desktop and phone widths,
axe-clean."""

import re

import pytest
from playwright.sync_api import expect

from chatelly.tests.dashboard_browser import *  # noqa: F403
from chatelly.tests.dashboard_browser import DESKTOP, PHONE, axe_violations, emailed_link, record, screenshot
from conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "another-Staple-7-battery"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_forgot_password_to_signed_in(browser, mail_server, smtp_server, make_user, viewport):
    base = mail_server.url
    make_user(email="ada@example.com", name="Ada")
    page = record(browser.new_context(viewport=viewport).new_page())

    page.goto(f"{base}/app/#/login")
    page.get_by_role("link", name="Forgot password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    assert axe_violations(page) == []

    # An unknown address gets the same answer, and no email.
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_focused()
    expect(page.get_by_text("If an account exists for nobody@example.com")).to_be_visible()

    page.get_by_role("link", name="send it again").click()
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_text("If an account exists for ada@example.com")).to_be_visible()
    assert axe_violations(page) == []
    link = emailed_link(smtp_server, 1, "reset-password")
    assert smtp_server.handler.received[0].rcpt_tos == ["ada@example.com"]
    assert link.startswith(f"{base}/app/#/reset-password?token=")

    # The email's link: the new password twice; a mismatch, then a weak one.
    page.goto(link)
    expect(page.get_by_role("heading", name="Set a new password")).to_be_visible()
    assert "token=" not in page.url  # out of the address bar and history
    new_password = page.get_by_label("New password", exact=True)
    repeat = page.get_by_label("Repeat the new password")
    new_password.fill(NEW_PASSWORD)
    repeat.fill(NEW_PASSWORD + "x")
    page.get_by_role("button", name="Set password and log in").click()
    expect(repeat).to_have_attribute("aria-invalid", "true")
    expect(repeat).to_have_accessible_description(re.compile("differ"))
    new_password.fill("12345678")
    repeat.fill("12345678")
    page.get_by_role("button", name="Set password and log in").click()
    expect(new_password).to_have_attribute("aria-invalid", "true")
    expect(new_password).to_be_focused()
    assert axe_violations(page) == []
    screenshot(page, f"reset-password-{'phone' if viewport is PHONE else 'desktop'}")

    new_password.fill(NEW_PASSWORD)
    repeat.fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password and log in").click()
    page.wait_for_url(re.compile(r"#/inbox$"))
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('chatelly.reset')") is None

    # A cookie session, as after logging in: a reload keeps it.
    page.reload()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert page.url.endswith("#/inbox")

    # The link works once: opened again, it is refused with a way to get a new one.
    page.goto(link)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD + "2")
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD + "2")
    page.get_by_role("button", name="Set password and log in").click()
    expect(page.get_by_role("heading", name="This link cannot be used")).to_be_focused()
    page.get_by_role("link", name="Request a new link").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    assert page.page_errors == []


def test_the_new_password_logs_in_and_the_old_one_does_not(browser, mail_server, smtp_server, make_user):
    base = mail_server.url
    make_user(email="ada@example.com", name="Ada")
    page = record(browser.new_context(viewport=DESKTOP).new_page())
    page.goto(f"{base}/app/#/forgot-password")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Send reset link").click()
    page.goto(emailed_link(smtp_server, 1, "reset-password"))
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password and log in").click()
    page.wait_for_url(re.compile(r"#/inbox$"))
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"#/login$"))

    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"#/inbox$"))
    assert page.page_errors == []


def test_a_link_without_token_says_so(browser, dashboard_server):
    page = record(browser.new_context(viewport=PHONE).new_page())
    page.goto(f"{dashboard_server.url}/app/#/reset-password")
    expect(page.get_by_role("heading", name="This link cannot be used")).to_be_visible()
    expect(page.get_by_text("The link is incomplete")).to_be_visible()
    expect(page.get_by_role("link", name="Request a new link")).to_be_visible()
    assert axe_violations(page) == []
    assert page.page_errors == []
