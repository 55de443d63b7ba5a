"""Invitations of emails with no account (issue 19, 3): sent, listed, resent,
withdrawn and accepted; end to end against a real SMTP server."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.onetime import token_hash
from conftest import PASSWORD, bearer
from mail.models import EmailDelivery
from websites import services
from websites.models import Invitation, Membership

URL = "/api/v1/websites"
ACCEPT = "/api/v1/invitations/accept"
INVITEE = "vera@example.org"
LINK = re.compile(
    re.escape(f"{settings.CHATELLY_PUBLIC_URL}/app/#/accept-invitation?token=") + r"([A-Za-z0-9_-]+)"
)

mailed = pytest.mark.django_db(transaction=True)  # the send job runs after the commit


def client_of(user) -> APIClient:
    client = APIClient()
    client.credentials(**bearer(user))
    return client


def invite(client, website, email=INVITEE, role="agent"):
    return client.post(f"{URL}/{website.id}/members", {"email": email, "role": role}, format="json")


def token_in(text: str) -> str:
    [token] = LINK.findall(text)
    return token


def token_of(invitation: Invitation) -> str:
    """The raw token of the invitation's current link, read from its email row."""
    invitation.refresh_from_db()
    delivery = EmailDelivery.objects.get(key=f"invitation:{invitation.id}:{invitation.generation}")
    return token_in(delivery.text)


def register(api, email=INVITEE) -> APIClient:
    response = api.post(
        "/api/v1/auth/register", {"email": email, "password": PASSWORD, "name": "Vera"}, format="json"
    )
    assert response.status_code == 201, response.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


def accept(client, token):
    return client.post(ACCEPT, {"token": token}, format="json")


def assert_token_error(response):
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "validation_error"
    assert set(response.json()["details"]) == {"token"}


@pytest.fixture
def owner(site_owner):
    return client_of(site_owner)


@mailed
def test_invite_email_accept_end_to_end(api, owner, site, site_owner, smtp_server):
    response = invite(owner, site, email="Vera@Example.org", role="admin")
    assert response.status_code == 202, response.content
    invitation = response.json()["invitation"]
    assert set(invitation) == {"id", "email", "role", "invited_by", "created_at", "expires_at"}
    assert (invitation["email"], invitation["role"]) == (INVITEE, "admin")
    assert invitation["invited_by"]["id"] == site_owner.id
    [got] = smtp_server.handler.wait_for(1)
    assert got.rcpt_tos == [INVITEE]
    assert got.subject == "Olga invited you to Shop on Chatelly"
    token = token_in(got.part("text/plain"))
    assert f'href="{settings.CHATELLY_PUBLIC_URL}/app/#/accept-invitation?token={token}"' in got.part(
        "text/html"
    )
    stored = Invitation.objects.get(id=invitation["id"])
    assert stored.token_hash == token_hash(token)

    listed = owner.get(f"{URL}/{site.id}/invitations").json()
    assert (listed["count"], listed["results"][0]["id"]) == (1, invitation["id"])

    vera = register(api)
    response = accept(vera, token)
    assert response.status_code == 200, response.content
    member = response.json()
    assert set(member) == {"user", "role", "created_at", "website_id"}
    assert member["website_id"] == site.id
    assert (member["user"]["email"], member["role"]) == (INVITEE, "admin")
    members = owner.get(f"{URL}/{site.id}/members").json()["results"]
    assert [m["user"]["email"] for m in members] == [site_owner.email, INVITEE]
    # Vera sees the website now, and the invitation is used up.
    assert vera.get(f"{URL}/{site.id}").json()["role"] == "admin"
    assert owner.get(f"{URL}/{site.id}/invitations").json()["count"] == 0
    assert_token_error(accept(vera, token))


@pytest.mark.django_db
def test_an_invitation_lasts_the_configured_days(owner, site):
    before = timezone.now()
    invitation = Invitation.objects.get(id=invite(owner, site).json()["invitation"]["id"])
    days = timedelta(days=settings.CHATELLY_INVITATION_DAYS)
    assert settings.CHATELLY_INVITATION_DAYS == 7
    assert before + days <= invitation.expires_at <= timezone.now() + days


@pytest.mark.django_db
def test_another_user_cannot_accept(api, owner, site, make_user):
    invitation = Invitation.objects.get(id=invite(owner, site).json()["invitation"]["id"])
    token = token_of(invitation)
    intruder = client_of(make_user(email="intruder@example.org"))
    response = accept(intruder, token)
    assert (response.status_code, response.json()["error"]) == (403, "permission_denied")
    assert Membership.objects.filter(website=site).count() == 1
    # The invitation is still open for its address.
    assert accept(register(api), token).status_code == 200


@pytest.mark.django_db
def test_accepting_needs_a_signed_in_user(api, owner, site):
    token = token_of(Invitation.objects.get(id=invite(owner, site).json()["invitation"]["id"]))
    response = accept(api, token)
    assert (response.status_code, response.json()["error"]) == (401, "not_authenticated")


@mailed
def test_resend_mails_a_new_link_and_kills_the_old_one(api, owner, site, smtp_server):
    created = invite(owner, site).json()["invitation"]
    [first] = smtp_server.handler.wait_for(1)
    old_token = token_in(first.part("text/plain"))
    Invitation.objects.filter(id=created["id"]).update(expires_at=timezone.now() + timedelta(days=1))
    response = owner.post(f"{URL}/{site.id}/invitations/{created['id']}/resend")
    assert response.status_code == 202, response.content
    resent = response.json()
    assert set(resent) == {"id", "email", "role", "invited_by", "created_at", "expires_at"}
    assert resent["id"] == created["id"]
    assert resent["expires_at"] > created["expires_at"]
    assert Invitation.objects.get(id=created["id"]).expires_at > timezone.now() + timedelta(days=6)
    second = smtp_server.handler.wait_for(2)[1]
    assert second.rcpt_tos == [INVITEE]
    new_token = token_in(second.part("text/plain"))
    assert new_token != old_token
    vera = register(api)
    assert_token_error(accept(vera, old_token))
    assert accept(vera, new_token).status_code == 200


@pytest.mark.django_db
def test_a_repeated_email_job_of_one_generation_is_one_email(owner, site):
    invitation = Invitation.objects.get(id=invite(owner, site).json()["invitation"]["id"])
    services._email_invitation(invitation, "raw-token")
    assert EmailDelivery.objects.filter(kind="invitation").count() == 1
    owner.post(f"{URL}/{site.id}/invitations/{invitation.id}/resend")
    assert EmailDelivery.objects.filter(kind="invitation").count() == 2


@pytest.mark.django_db
def test_withdrawing_kills_the_link(api, owner, site):
    invitation = Invitation.objects.get(id=invite(owner, site).json()["invitation"]["id"])
    token = token_of(invitation)
    assert owner.delete(f"{URL}/{site.id}/invitations/{invitation.id}").status_code == 204
    assert owner.get(f"{URL}/{site.id}/invitations").json()["count"] == 0
    # Gone: a second withdrawal, or a resend, finds nothing.
    assert owner.delete(f"{URL}/{site.id}/invitations/{invitation.id}").status_code == 404
    assert owner.post(f"{URL}/{site.id}/invitations/{invitation.id}/resend").status_code == 404
    # The address may be invited again; the withdrawn link stays dead.
    assert invite(owner, site).status_code == 202
    assert_token_error(accept(register(api), token))


@pytest.mark.django_db
def test_an_expired_invitation_is_refused_unlisted_and_replaceable(api, owner, site):
    invitation = Invitation.objects.get(id=invite(owner, site).json()["invitation"]["id"])
    token = token_of(invitation)
    Invitation.objects.filter(id=invitation.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert owner.get(f"{URL}/{site.id}/invitations").json()["count"] == 0
    # A new invitation of the address replaces the expired one.
    response = invite(owner, site)
    assert response.status_code == 202
    assert Invitation.objects.get(id=invitation.id).revoked_at is not None
    vera = register(api)
    assert_token_error(accept(vera, token))
    fresh = Invitation.objects.get(id=response.json()["invitation"]["id"])
    assert accept(vera, token_of(fresh)).status_code == 200


@pytest.mark.django_db
def test_conflicts_an_open_invitation_and_an_existing_member(owner, site, site_owner):
    assert invite(owner, site).status_code == 202
    for email in (INVITEE, "VERA@example.org"):
        response = invite(owner, site, email=email, role="admin")
        assert (response.status_code, response.json()["error"]) == (409, "conflict")
    response = invite(owner, site, email=site_owner.email)
    assert (response.status_code, response.json()["error"]) == (409, "conflict")
    assert Invitation.objects.count() == 1


@pytest.mark.django_db
def test_the_same_address_may_be_invited_to_two_websites(owner, site, make_site):
    other = make_site(name="Other", domain="other.example.com")
    assert invite(owner, site).status_code == 202
    assert invite(owner, other).status_code == 202


@pytest.mark.django_db
def test_adding_the_account_directly_withdraws_its_invitation(api, owner, site):
    invitation = Invitation.objects.get(id=invite(owner, site).json()["invitation"]["id"])
    vera = register(api)
    assert invite(owner, site).status_code == 201  # the address has an account now
    assert_token_error(accept(vera, token_of(invitation)))


@pytest.fixture
def admin_inviter(owner, site, make_user):
    """An admin of the site, and the token of an admin invitation they sent."""
    admin = make_user(email="adam@example.org", name="Adam")
    assert (
        owner.post(
            f"{URL}/{site.id}/members", {"email": admin.email, "role": "admin"}, format="json"
        ).status_code
        == 201
    )
    response = invite(client_of(admin), site, role="admin")
    assert response.status_code == 202, response.content
    return admin, token_of(Invitation.objects.get(id=response.json()["invitation"]["id"]))


def _open_invitations(owner, site) -> int:
    return owner.get(f"{URL}/{site.id}/invitations").json()["count"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "loses_rights",
    [
        pytest.param(
            lambda owner, site, admin: owner.delete(f"{URL}/{site.id}/members/{admin.id}"), id="removed"
        ),
        pytest.param(
            lambda owner, site, admin: owner.patch(
                f"{URL}/{site.id}/members/{admin.id}", {"role": "agent"}, format="json"
            ),
            id="demoted",
        ),
    ],
)
def test_an_admin_who_loses_the_right_to_invite_takes_their_invitations(
    api, owner, site, admin_inviter, loses_rights
):
    # Else an admin about to be removed could invite an address of their own
    # and come back through it.
    admin, token = admin_inviter
    assert _open_invitations(owner, site) == 1
    assert loses_rights(owner, site, admin).status_code in (200, 204)
    assert _open_invitations(owner, site) == 0
    assert_token_error(accept(register(api), token))
    assert not Membership.objects.filter(website=site, user__email=INVITEE).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["deactivated", "demoted_in_the_admin"])
def test_an_inviter_changed_around_the_services_cannot_be_invited_through(api, site, admin_inviter, change):
    from accounts import services as account_services

    admin, token = admin_inviter
    if change == "deactivated":
        account_services.user_deactivate(user=admin)
    else:
        Membership.objects.filter(website=site, user=admin).update(role="agent")
    assert_token_error(accept(register(api), token))


@pytest.mark.django_db
def test_other_members_invitations_stay_when_one_admin_goes(api, owner, site, admin_inviter, make_user):
    admin, _ = admin_inviter
    kept = Invitation.objects.get(id=invite(owner, site, email="kept@example.org").json()["invitation"]["id"])
    assert owner.delete(f"{URL}/{site.id}/members/{admin.id}").status_code == 204
    assert _open_invitations(owner, site) == 1
    assert accept(register(api, email="kept@example.org"), token_of(kept)).status_code == 200


@pytest.mark.django_db
def test_accepting_as_a_member_already_is_a_conflict(api, owner, site):
    invitation = Invitation.objects.get(id=invite(owner, site).json()["invitation"]["id"])
    vera = register(api)
    Membership.objects.create(
        website=site, user_id=vera.get("/api/v1/user/profile").json()["id"], role="agent"
    )
    response = accept(vera, token_of(invitation))
    assert (response.status_code, response.json()["error"]) == (409, "conflict")


@mailed
def test_an_inviter_name_cannot_add_a_header(make_user, make_website, smtp_server):
    inviter = make_user(email="ana@example.com", name="Ana\r\nBcc: x@evil.test")
    site = make_website(owner=inviter, name="Shop\nX-Evil: 1")
    response = invite(client_of(inviter), site)
    assert response.status_code == 202
    [got] = smtp_server.handler.wait_for(1)
    assert got.rcpt_tos == [INVITEE]
    assert got.message["Bcc"] is None and got.message["X-Evil"] is None
    assert "\n" not in got.subject and "\r" not in got.subject
    assert got.subject.startswith("Ana Bcc: x@evil.test invited you to Shop X-Evil: 1")
    assert "Ana Bcc: x@evil.test" in got.part("text/plain")


@pytest.mark.django_db
def test_the_list_is_admin_only_paged_and_open_only(owner, site, site_owner, make_user):
    for n in range(3):
        assert invite(owner, site, email=f"p{n}@example.org").status_code == 202
    withdrawn = Invitation.objects.get(email="p1@example.org")
    services.invitation_revoke(invitation=withdrawn)
    page = owner.get(f"{URL}/{site.id}/invitations", {"page_size": 1}).json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 2 and page["next"] and page["previous"] is None
    assert [i["email"] for i in page["results"]] == ["p0@example.org"]
    assert page["results"][0]["invited_by"]["email"] == site_owner.email
    for bad in ({"page": 0}, {"page_size": "x"}, {"page": "1" * 30}):
        response = owner.get(f"{URL}/{site.id}/invitations", bad)
        assert response.status_code in (400, 404), (bad, response.status_code)


@pytest.mark.django_db
def test_foreign_websites_and_invitations_are_404(owner, site, make_user, make_website):
    stranger = make_user(email="stranger@example.org")
    foreign = make_website(owner=stranger, name="Theirs", domain="theirs.example.com")
    theirs = client_of(stranger)
    foreign_invitation = Invitation.objects.get(id=invite(theirs, foreign).json()["invitation"]["id"])
    mine = Invitation.objects.get(id=invite(owner, site).json()["invitation"]["id"])
    for path in (
        f"{URL}/{foreign.id}/invitations",
        f"{URL}/{foreign.id}/invitations/{foreign_invitation.id}/resend",
        f"{URL}/{site.id}/invitations/{foreign_invitation.id}/resend",
        f"{URL}/{site.id}/invitations/{2**63}/resend",
        f"{URL}/{site.id}/invitations/{10**40}/resend",
        f"{URL}/{2**63}/invitations",
    ):
        response = owner.get(path) if path.endswith("invitations") else owner.post(path)
        assert (response.status_code, response.json()["error"]) == (404, "not_found"), path
    for path in (
        f"{URL}/{foreign.id}/invitations/{foreign_invitation.id}",
        f"{URL}/{site.id}/invitations/{foreign_invitation.id}",
    ):
        assert owner.delete(path).status_code == 404
    response = invite(owner, foreign, email="x@example.org")
    assert response.status_code == 404
    foreign_invitation.refresh_from_db()
    assert (foreign_invitation.revoked_at, foreign_invitation.generation) == (None, 1)
    assert Invitation.objects.filter(revoked_at__isnull=True).count() == 2
    assert mine.website_id == site.id


def assert_rate_limited(response):
    assert response.status_code == 429
    body = response.json()
    assert (body["error"], body["code"]) == ("rate_limited", 429)
    assert int(response["Retry-After"]) >= 1


@pytest.mark.django_db
def test_invitation_sends_are_limited_per_user(owner, site, make_user, settings):
    settings.CHATELLY_RATE_INVITATIONS = "3/h"
    assert invite(owner, site, email="a@example.org").status_code == 202
    assert invite(owner, site, email="b@example.org").status_code == 202
    first = Invitation.objects.get(email="a@example.org")
    assert owner.post(f"{URL}/{site.id}/invitations/{first.id}/resend").status_code == 202
    # Adding an account, or a refused invitation, sends nothing and does not count.
    make_user(email="known@example.org")
    assert invite(owner, site, email="known@example.org").status_code == 201
    assert invite(owner, site, email="a@example.org").status_code == 409
    assert_rate_limited(invite(owner, site, email="c@example.org"))
    assert_rate_limited(owner.post(f"{URL}/{site.id}/invitations/{first.id}/resend"))
    assert not Invitation.objects.filter(email="c@example.org").exists()
    assert EmailDelivery.objects.filter(kind="invitation").count() == 3
    # Another user has a count of their own.
    other = make_user(email="other-owner@example.org")
    other_site = services.website_create(owner=other, name="O", domain="o.example.com")
    assert invite(client_of(other), other_site, email="c@example.org").status_code == 202


@pytest.mark.django_db
def test_the_default_invitation_limit(owner, site):
    assert settings.CHATELLY_RATE_INVITATIONS == "30/h"
    for n in range(30):
        assert invite(owner, site, email=f"n{n}@example.org").status_code == 202
    assert_rate_limited(invite(owner, site, email="n30@example.org"))


LONG = "a" * 10_000


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {},
        {"token": None},
        {"token": 12345},
        {"token": ["x" * 43]},
        {"token": {"a": 1}},
        {"token": ""},
        {"token": LONG},
        {"token": "x" * 43},
        {"token": "not a token!"},
    ],
)
def test_accept_validates(owner, site, make_user, body):
    invite(owner, site)
    response = client_of(make_user(email=INVITEE)).post(ACCEPT, body, format="json")
    assert_token_error(response)
    assert Membership.objects.filter(website=site).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, field",
    [
        ({"email": f"{LONG}@example.org", "role": "agent"}, "email"),
        ({"email": None, "role": "agent"}, "email"),
        ({"email": [INVITEE], "role": "agent"}, "email"),
        ({"email": INVITEE, "role": None}, "role"),
        ({"email": INVITEE, "role": ["agent"]}, "role"),
        ({"email": INVITEE, "role": LONG}, "role"),
        ({"email": INVITEE, "role": "owner"}, "role"),
        ({"email": "vera@example.org\r\nBcc: x@evil.test", "role": "agent"}, "email"),
    ],
)
def test_an_invitation_validates(owner, site, body, field):
    response = owner.post(f"{URL}/{site.id}/members", body, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()["details"]) == {field}
    assert not Invitation.objects.exists() and not EmailDelivery.objects.exists()


@pytest.mark.django_db
def test_resend_and_withdraw_take_no_body_but_ignore_one(owner, site):
    invitation = Invitation.objects.get(id=invite(owner, site).json()["invitation"]["id"])
    response = owner.post(f"{URL}/{site.id}/invitations/{invitation.id}/resend", {"x": LONG}, format="json")
    assert response.status_code == 202


@pytest.mark.django_db
def test_accept_floods_hit_the_api_limit(owner, site, make_user, settings):
    vera = client_of(make_user(email=INVITEE))
    settings.CHATELLY_RATE_API = "3/m"
    for _ in range(3):
        assert_token_error(accept(vera, "x" * 43))
    assert_rate_limited(accept(vera, "x" * 43))
