"""Password reset by email (issue 19, 3), end to end against a real SMTP server:
the request, the emailed link, the confirm, and what dies with it."""

import re
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import mail as django_mail
from django.utils import timezone

from accounts import services
from accounts.models import PasswordResetToken, User
from accounts.onetime import token_hash
from accounts.tokens import issue_token_pair
from conftest import PASSWORD
from mail.models import EmailDelivery
from testsupport.communicator import connected_agent

RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"
LOGIN = "/api/v1/auth/login"
NEW_PASSWORD = "a-Fresh-reset-secret-31"
EMAIL = "ada@example.com"

mailed = pytest.mark.django_db(transaction=True)  # the jobs run after the commit


def request_reset(api, email=EMAIL, **extra):
    return api.post(RESET, {"email": email}, format="json", **extra)


def confirm(api, token, password=NEW_PASSWORD, **fields):
    return api.post(CONFIRM, {"token": token, "new_password": password, **fields}, format="json")


def token_of(received) -> str:
    """The token of the reset link in a received email (checked in both parts)."""
    prefix = f"{settings.CHATELLY_PUBLIC_URL}/app/#/reset-password?token="
    text, html = received.part("text/plain"), received.part("text/html")
    [token] = re.findall(re.escape(prefix) + r"([A-Za-z0-9_-]+)", text)
    assert f'href="{prefix}{token}"' in html
    return token


def assert_token_error(response):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "validation_error"
    assert set(body["details"]) == {"token"}


@mailed
def test_the_whole_reset_flow(api, make_user, smtp_server):
    user = make_user(email=EMAIL, name="Ada")
    old = issue_token_pair(user)
    response = request_reset(api, email="  ADA@Example.com ")
    assert (response.status_code, response.json()) == (202, {})
    [got] = smtp_server.handler.wait_for(1)
    assert got.rcpt_tos == [EMAIL]
    assert got.subject == "Reset your Chatelly password"
    assert "Hello Ada" in got.part("text/plain")
    token = token_of(got)
    # Only the hash is stored.
    stored = PasswordResetToken.objects.get(user=user)
    assert stored.token_hash == token_hash(token) and token not in stored.token_hash

    response = confirm(api, token)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"user", "access", "refresh"}
    assert body["user"]["email"] == EMAIL
    assert api.get("/api/v1/user/profile", HTTP_AUTHORIZATION=f"Bearer {body['access']}").status_code == 200
    # The new password logs in, the old one does not.
    assert api.post(LOGIN, {"email": EMAIL, "password": NEW_PASSWORD}, format="json").status_code == 200
    assert api.post(LOGIN, {"email": EMAIL, "password": PASSWORD}, format="json").status_code == 401
    # Every older JWT is dead.
    refused = api.post("/api/v1/auth/refresh", {"refresh": old["refresh"]}, format="json")
    assert (refused.status_code, refused.json()["error"]) == (401, "token_not_valid")
    assert api.get("/api/v1/user/profile", HTTP_AUTHORIZATION=f"Bearer {old['access']}").status_code == 401
    # The link works once.
    assert_token_error(confirm(api, token, password="yet-Another-secret-88"))
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)


@mailed
def test_an_unknown_address_gets_the_same_answer_and_no_email(api, make_user, smtp_server):
    make_user(email=EMAIL)
    unknown = request_reset(api, email="nobody@example.com")
    known = request_reset(api)
    assert (unknown.status_code, unknown.content) == (known.status_code, known.content) == (202, b"{}")
    assert sorted(unknown.headers) == sorted(known.headers)
    # The jobs ran in order; the known address's email is the only one.
    smtp_server.handler.wait_for(1)
    assert [got.rcpt_tos for got in smtp_server.handler.received] == [[EMAIL]]
    assert list(EmailDelivery.objects.values_list("to", flat=True)) == [EMAIL]
    assert PasswordResetToken.objects.count() == 1


@mailed
@pytest.mark.parametrize("state", ["inactive", "no usable password"])
def test_an_inactive_or_password_less_account_gets_no_email(api, make_user, smtp_server, state):
    user = make_user(email=EMAIL)
    if state == "inactive":
        services.user_deactivate(user=user)
    else:
        services.user_set_password(user=user, password=None)
    assert request_reset(api).status_code == 202
    assert EmailDelivery.objects.count() == 0
    assert PasswordResetToken.objects.count() == 0


@pytest.mark.django_db
def test_a_job_run_again_makes_no_second_token_or_email(make_user):
    from accounts.tasks import send_password_reset

    make_user(email=EMAIL)
    assert send_password_reset.apply(args=[EMAIL], task_id="job-1").get() is True
    assert send_password_reset.apply(args=[EMAIL], task_id="job-1").get() is False
    assert (PasswordResetToken.objects.count(), EmailDelivery.objects.count()) == (1, 1)
    assert EmailDelivery.objects.get().key == "password-reset:job-1"
    # Another request is another job: a new link.
    assert send_password_reset.apply(args=[EMAIL], task_id="job-2").get() is True
    assert (PasswordResetToken.objects.count(), EmailDelivery.objects.count()) == (2, 2)


def _requested_token(make_user) -> tuple[User, str]:
    """A reset token made the way the job makes it, its raw value read from the email row."""
    user = User.objects.filter(email=EMAIL).first() or make_user(email=EMAIL)
    token = services.password_reset_send(email=EMAIL)
    delivery = EmailDelivery.objects.get(key=f"password-reset:{token.id}")
    return user, re.search(r"token=([A-Za-z0-9_-]+)", delivery.text).group(1)


@pytest.mark.django_db
def test_an_expired_token_is_refused(api, make_user):
    user, token = _requested_token(make_user)
    PasswordResetToken.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_token_error(confirm(api, token))
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)


@pytest.mark.django_db
def test_a_token_lasts_the_configured_minutes(make_user):
    before = timezone.now()
    user, _ = _requested_token(make_user)
    stored = PasswordResetToken.objects.get(user=user)
    minutes = settings.CHATELLY_PASSWORD_RESET_MINUTES
    assert minutes == 60
    assert (
        before + timedelta(minutes=minutes)
        <= stored.expires_at
        <= timezone.now() + timedelta(minutes=minutes)
    )


@pytest.mark.django_db
def test_confirming_kills_every_other_open_reset_token(api, make_user):
    _, first = _requested_token(make_user)
    _, second = _requested_token(make_user)
    assert confirm(api, second).status_code == 200
    assert_token_error(confirm(api, first))
    assert not PasswordResetToken.objects.filter(used_at__isnull=True).exists()


@pytest.mark.django_db
def test_a_weak_password_is_refused_and_the_token_still_works(api, make_user):
    user, token = _requested_token(make_user)
    response = confirm(api, token, password="123")
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"new_password"}
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)
    assert confirm(api, token).status_code == 200


@pytest.mark.django_db
def test_a_deactivated_user_cannot_use_an_earlier_token(api, make_user):
    user, token = _requested_token(make_user)
    services.user_deactivate(user=user)
    assert_token_error(confirm(api, token))


def _as(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token_pair(user)['access']}"}


@pytest.mark.django_db
def test_changing_the_email_kills_earlier_reset_links(api, make_user):
    # The usual step after losing a mailbox: its links must not outlive it.
    user, token = _requested_token(make_user)
    response = api.patch("/api/v1/user/profile", {"email": "ada.new@example.com"}, format="json", **_as(user))
    assert response.status_code == 200, response.content
    assert_token_error(confirm(api, token))
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)


@pytest.mark.django_db
def test_an_email_changed_around_the_services_still_kills_the_links(api, make_user):
    # E.g. staff editing the address in the admin: the token knows where it was sent.
    user, token = _requested_token(make_user)
    User.objects.filter(pk=user.pk).update(email="ada.new@example.com")
    assert_token_error(confirm(api, token))


@pytest.mark.django_db
def test_changing_the_password_kills_earlier_reset_links(api, make_user):
    user, token = _requested_token(make_user)
    body = {"current_password": PASSWORD, "new_password": "another-Strong-secret-77"}
    assert api.post("/api/v1/user/password", body, format="json", **_as(user)).status_code == 200
    assert_token_error(confirm(api, token))
    assert User.objects.get(pk=user.pk).check_password("another-Strong-secret-77")


@pytest.mark.django_db
@pytest.mark.parametrize("through_services", [True, False])
def test_a_reset_link_cannot_turn_a_disabled_password_login_back_on(api, make_user, through_services):
    user, token = _requested_token(make_user)
    if through_services:
        services.user_set_password(user=user, password=None)
    else:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    assert_token_error(confirm(api, token))
    assert not User.objects.get(pk=user.pk).has_usable_password()


@pytest.mark.django_db
def test_confirm_can_put_the_refresh_token_in_the_cookie(api, make_user):
    _, token = _requested_token(make_user)
    response = confirm(api, token, refresh_cookie=True)
    assert response.status_code == 200
    assert set(response.json()) == {"user", "access"}
    morsel = response.cookies[settings.CHATELLY_REFRESH_COOKIE]
    assert morsel["httponly"] and morsel["path"] == "/api/v1/auth/session/"
    assert morsel["samesite"] == "Strict" and morsel.value.count(".") == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_reset_closes_the_users_agent_sockets_4401(site, site_owner, api):
    socket, _ = await connected_agent(site_owner)
    await sync_to_async(services.password_reset_send)(email=site_owner.email)
    # The delivery row forgets the link once sent; the test outbox keeps it.
    [sent] = django_mail.outbox
    raw = re.search(r"token=([A-Za-z0-9_-]+)", sent.body).group(1)
    response = await sync_to_async(confirm)(api, raw)
    assert response.status_code == 200
    assert await socket.closed_with() == 4401


def assert_rate_limited(response):
    assert response.status_code == 429
    body = response.json()
    assert (body["error"], body["code"]) == ("rate_limited", 429)
    assert set(body) <= {"error", "message", "code", "details"}
    assert int(response["Retry-After"]) >= 1


@pytest.mark.django_db
def test_requests_are_limited_per_ip(api, settings):
    settings.CHATELLY_RATE_PASSWORD_RESET = "2/h"
    settings.CHATELLY_RATE_PASSWORD_RESET_EMAIL = "100/h"
    assert request_reset(api, email="a@example.com").status_code == 202
    assert request_reset(api, email="b@example.com").status_code == 202
    assert_rate_limited(request_reset(api, email="c@example.com"))
    assert request_reset(api, email="c@example.com", REMOTE_ADDR="10.0.0.9").status_code == 202


@pytest.mark.django_db
def test_requests_are_limited_per_address_across_ips(api, make_user, settings):
    settings.CHATELLY_RATE_PASSWORD_RESET = "100/h"
    settings.CHATELLY_RATE_PASSWORD_RESET_EMAIL = "3/h"
    for n in range(3):
        assert request_reset(api, email="Ada@example.com", REMOTE_ADDR=f"10.0.0.{n}").status_code == 202
    assert_rate_limited(request_reset(api, email="ada@EXAMPLE.com ", REMOTE_ADDR="10.0.1.1"))
    assert request_reset(api, email="other@example.com", REMOTE_ADDR="10.0.1.1").status_code == 202


@pytest.mark.django_db
def test_the_default_limits_are_the_documented_ones(api):
    assert settings.CHATELLY_RATE_PASSWORD_RESET_EMAIL == "3/h"
    assert settings.CHATELLY_RATE_PASSWORD_RESET == "10/h"
    for _ in range(3):
        assert request_reset(api).status_code == 202
    assert_rate_limited(request_reset(api))


@pytest.mark.django_db
def test_confirm_floods_hit_the_api_limit(api, settings):
    settings.CHATELLY_RATE_API = "3/m"
    for _ in range(3):
        assert_token_error(confirm(api, "x" * 43))
    assert_rate_limited(confirm(api, "x" * 43))


LONG = "a" * 10_000


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "email"),
        ({"email": None}, "email"),
        ({"email": 5}, "email"),
        ({"email": ["ada@example.com"]}, "email"),
        ({"email": {"a": 1}}, "email"),
        ({"email": ""}, "email"),
        ({"email": "not an address"}, "email"),
        ({"email": f"{LONG}@example.com"}, "email"),
        ({"email": "ada@example.com\r\nBcc: x@evil.test"}, "email"),
    ],
)
def test_a_reset_request_validates(api, body, field):
    response = api.post(RESET, body, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()["details"]) == {field}
    assert EmailDelivery.objects.count() == 0


@pytest.mark.django_db
def test_a_reset_request_must_be_json(api):
    response = api.post(RESET, "email=ada@example.com", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    response = api.post(RESET, "[1]", content_type="application/json")
    assert response.status_code == 400


GOOD_TOKEN = "x" * 43


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, fields",
    [
        ({}, {"token", "new_password"}),
        ({"new_password": NEW_PASSWORD}, {"token"}),
        ({"token": GOOD_TOKEN}, {"new_password"}),
        ({"token": None, "new_password": NEW_PASSWORD}, {"token"}),
        ({"token": 12345, "new_password": NEW_PASSWORD}, {"token"}),
        ({"token": [GOOD_TOKEN], "new_password": NEW_PASSWORD}, {"token"}),
        ({"token": "", "new_password": NEW_PASSWORD}, {"token"}),
        ({"token": LONG, "new_password": NEW_PASSWORD}, {"token"}),
        ({"token": GOOD_TOKEN, "new_password": None}, {"new_password"}),
        ({"token": GOOD_TOKEN, "new_password": 12345678}, {"new_password"}),
        ({"token": GOOD_TOKEN, "new_password": [NEW_PASSWORD]}, {"new_password"}),
        ({"token": GOOD_TOKEN, "new_password": LONG}, {"new_password"}),
        ({"token": GOOD_TOKEN, "new_password": NEW_PASSWORD, "refresh_cookie": "yes"}, {"refresh_cookie"}),
        ({"token": GOOD_TOKEN, "new_password": NEW_PASSWORD}, {"token"}),  # no such token
        ('{"token": "tok\\udc80en", "new_password": "' + NEW_PASSWORD + '"}', {"token"}),
        ('{"token": "tok\\u0000en", "new_password": "' + NEW_PASSWORD + '"}', {"token"}),
    ],
)
def test_a_confirm_validates(api, make_user, body, fields):
    user, _ = _requested_token(make_user)
    if isinstance(body, str):  # raw JSON: what the test client cannot encode
        response = api.post(CONFIRM, body, content_type="application/json")
    else:
        response = api.post(CONFIRM, body, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()["details"]) == fields
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)
