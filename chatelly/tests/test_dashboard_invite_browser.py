"""Invitations in Chromium, against the real API and a real SMTP server: an
owner invites an address without an account (it shows under "Invited" with
its role and expiry), sends it again (a second email), is told why a second
invitation or an existing member cannot be added (409), and revokes it after
confirming; an agent sees none of it. The invited person follows the email's
link logged out, signs up and lands on the website; someone logged in as
another user is told so and continues after logging out; a used link is
refused. At desktop and phone widths, axe-clean."""

import json
import re

import pytest
from playwright.sync_api import expect

from accounts.tokens import issue_token_pair
from chatelly.tests.dashboard_browser import *  # noqa: F403
from chatelly.tests.dashboard_browser import (
    DESKTOP,
    PHONE,
    axe_violations,
    emailed_link,
    record,
    screenshot,
    sign_in,
)
from conftest import PASSWORD
from websites.models import Membership, Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def dialog_confirm(page, label):
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=label, exact=True).click()
    expect(dialog).to_have_count(0)


def invite(server, owner, site, email: str, role: str = "agent") -> tuple[int, dict]:
    """An invitation through the server's API, as the owner."""
    status, body = server.request(
        "POST",
        f"/api/v1/websites/{site.id}/members",
        {"email": email, "role": role},
        headers={"Authorization": f"Bearer {issue_token_pair(owner)['access']}"},
    )
    return status, json.loads(body or b"{}")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_invite_resend_and_revoke(browser, mail_server, smtp_server, site, site_owner, make_user, viewport):
    member = make_user(email="aki@example.com", name="Aki")
    Membership.objects.create(website=site, user=member, role=Role.AGENT)
    page = record(browser.new_context(viewport=viewport).new_page())
    page.server = mail_server
    sign_in(page, site_owner.email, PASSWORD)
    page.goto(f"{mail_server.url}/app/#/websites/{site.id}")
    members = page.get_by_role("region", name="Members")
    expect(members.get_by_role("heading", name="Invited")).to_be_visible()
    expect(members.get_by_text("No open invitations.")).to_be_visible()

    # An address without an account: invited, shown with its role and expiry.
    members.get_by_label("Email of the new member").fill("new.hire@example.com")
    members.get_by_label("Role", exact=True).select_option("admin")
    members.get_by_role("button", name="Add member").click()
    expect(
        members.get_by_text("No account for new.hire@example.com yet: an invitation was emailed.")
    ).to_be_visible()
    invited = members.get_by_role("list", name="Invited")
    row = invited.get_by_role("listitem").filter(has_text="new.hire@example.com")
    expect(row).to_contain_text("admin")
    expect(row).to_contain_text(re.compile("expires"))
    expect(members.get_by_text("No open invitations.")).to_be_hidden()
    assert emailed_link(smtp_server, 1, "accept-invitation").startswith(
        f"{mail_server.url}/app/#/accept-invitation"
    )
    assert smtp_server.handler.received[0].rcpt_tos == ["new.hire@example.com"]
    assert axe_violations(page) == []
    members.get_by_role("heading", name="Invited").scroll_into_view_if_needed()
    screenshot(page, f"invited-{'phone' if viewport is PHONE else 'desktop'}")

    # The same address again, and someone already a member: 409, said at the form.
    members.get_by_label("Email of the new member").fill("new.hire@example.com")
    members.get_by_role("button", name="Add member").click()
    expect(members.get_by_role("alert")).to_contain_text("open invitation")
    members.get_by_label("Email of the new member").fill(member.email)
    members.get_by_role("button", name="Add member").click()
    expect(members.get_by_role("alert")).to_contain_text("already a member")
    expect(invited.get_by_role("listitem")).to_have_count(1)

    # Resend: a second email with a link.
    row.get_by_role("button", name="Resend invitation to new.hire@example.com").click()
    expect(members.get_by_text("The invitation to new.hire@example.com was sent again.")).to_be_visible()
    emailed_link(smtp_server, 2, "accept-invitation")

    # Revoke: cancelling keeps it; confirming removes it, also after a reload.
    row.get_by_role("button", name="Revoke invitation to new.hire@example.com").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    expect(row).to_be_visible()
    expect(row.get_by_role("button", name="Revoke invitation to new.hire@example.com")).to_be_focused()
    row.get_by_role("button", name="Revoke invitation to new.hire@example.com").click()
    dialog_confirm(page, "Revoke invitation")
    expect(members.get_by_text("The invitation to new.hire@example.com was revoked.")).to_be_visible()
    expect(invited.get_by_role("listitem")).to_have_count(0)
    page.reload()
    expect(page.get_by_text("No open invitations.")).to_be_visible()
    assert page.page_errors == []


def test_an_agent_sees_no_invitations(browser, mail_server, site, make_user):
    agent = make_user(email="aki@example.com", name="Aki")
    Membership.objects.create(website=site, user=agent, role=Role.AGENT)
    page = record(browser.new_context(viewport=PHONE).new_page())
    page.server = mail_server
    sign_in(page, agent.email, PASSWORD)
    page.goto(f"{mail_server.url}/app/#/websites/{site.id}")
    members = page.get_by_role("region", name="Members")
    expect(members.get_by_role("cell", name=agent.email)).to_be_visible()
    expect(members.get_by_role("heading", name="Invited")).to_have_count(0)
    expect(members.get_by_role("button", name=re.compile("Resend|Revoke"))).to_have_count(0)
    assert page.page_errors == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_accept_logged_out_by_signing_up(browser, mail_server, smtp_server, site, site_owner, viewport):
    status, _ = invite(mail_server, site_owner, site, "new.hire@example.com")
    assert status == 202
    link = emailed_link(smtp_server, 1, "accept-invitation")

    page = record(browser.new_context(viewport=viewport).new_page())
    page.goto(link)
    expect(page.get_by_role("heading", name="You're invited to Chatelly")).to_be_focused()
    assert "token=" not in page.url  # kept in sessionStorage, out of the address bar
    assert axe_violations(page) == []
    screenshot(page, f"accept-invitation-{'phone' if viewport is PHONE else 'desktop'}")
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_text("Use the email address the invitation was sent to")).to_be_visible()
    page.get_by_label("Name").fill("Nina")
    page.get_by_label("Email").fill("new.hire@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    # Accepted right after signing up: the website opens.
    page.wait_for_url(re.compile(rf"#/websites/{site.id}$"))
    expect(page.get_by_role("heading", name=site.name, level=1)).to_be_visible()
    expect(page.get_by_text("Your role: agent")).to_be_visible()
    assert Membership.objects.get(website=site, user__email="new.hire@example.com").role == Role.AGENT
    assert page.evaluate("sessionStorage.getItem('chatelly.invitation')") is None

    # The link is used: opened again, it is refused.
    page.goto(link)
    expect(page.get_by_role("heading", name="This invitation cannot be used")).to_be_visible()
    assert axe_violations(page) == []
    assert page.page_errors == []


def test_accept_logged_in_as_someone_else(browser, mail_server, smtp_server, site, site_owner, make_user):
    bob = make_user(email="bob@example.com", name="Bob")
    status, _ = invite(mail_server, site_owner, site, "carol@example.com", role="admin")
    assert status == 202
    link = emailed_link(smtp_server, 1, "accept-invitation")
    carol = make_user(email="carol@example.com", name="Carol")  # signs up after the invitation

    page = record(browser.new_context(viewport=DESKTOP).new_page())
    page.server = mail_server
    sign_in(page, bob.email, PASSWORD)
    page.goto(link)
    expect(page.get_by_role("heading", name="This invitation is for someone else")).to_be_focused()
    expect(page.get_by_role("alert")).to_contain_text("bob@example.com")
    assert axe_violations(page) == []
    assert not Membership.objects.filter(website=site, user=bob).exists()

    # Staying logged in drops the invitation; the link opened again brings it back.
    page.get_by_role("link", name="Stay logged in").click()
    page.wait_for_url(re.compile(r"#/inbox$"))
    assert page.evaluate("sessionStorage.getItem('chatelly.invitation')") is None
    page.goto(link)
    expect(page.get_by_role("heading", name="This invitation is for someone else")).to_be_visible()

    # Log out and continue: the invitation waits while Carol logs in.
    page.get_by_role("button", name="Log out and continue").click()
    expect(page.get_by_role("heading", name="You're invited to Chatelly")).to_be_visible()
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill(carol.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(rf"#/websites/{site.id}$"))
    expect(page.get_by_text("Your role: admin")).to_be_visible()
    assert Membership.objects.get(website=site, user=carol).role == Role.ADMIN
    assert page.page_errors == []


def test_long_member_and_invitation_lists_load_more(dashboard, site, site_owner, make_user):
    """Past a page of 50, "Load more" adds the rest of each list, in order."""
    from websites import services as website_services

    for n in range(51):
        user = make_user(email=f"agent{n:02}@example.com", name=f"Agent {n:02}")
        Membership.objects.create(website=site, user=user, role=Role.AGENT)
        website_services.invitation_create(
            website=site, email=f"guest{n:02}@example.com", role=Role.AGENT, invited_by=site_owner
        )
    page = record(dashboard(viewport=DESKTOP))
    sign_in(page, site_owner.email, PASSWORD)
    page.goto(f"{page.server.url}/app/#/websites/{site.id}")
    members = page.get_by_role("region", name="Members")
    invited = members.get_by_role("list", name="Invited")
    expect(invited.get_by_role("listitem")).to_have_count(50)
    members.get_by_role("button", name="Load more invitations").click()
    expect(invited.get_by_role("listitem")).to_have_count(51)
    # Oldest first, as the API lists them, across both pages.
    expect(invited.get_by_role("listitem").first).to_contain_text("guest00@example.com")
    expect(invited.get_by_role("listitem").last).to_contain_text("guest50@example.com")
    expect(members.get_by_role("button", name="Load more invitations")).to_have_count(0)
    expect(members.get_by_text("agent50@example.com")).to_have_count(0)
    members.get_by_role("button", name="Load more members").click()
    expect(members.get_by_text("agent50@example.com")).to_be_visible()
    assert page.page_errors == []
