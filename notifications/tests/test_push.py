"""Web Push end to end, with no stand-ins: a real P-256 subscription, a local
push service over HTTP, pywebpush's encryption and VAPID signature checked by
decrypting with http_ece and verifying the JWT; gone subscriptions, retries,
and the endpoint checks against SSRF."""

import time
from io import StringIO

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from py_vapid import Vapid, Vapid02

from mail.models import EmailDelivery
from notifications import push
from notifications.models import NotificationPreference, PushDelivery, PushStatus, PushSubscription

from .webpush_client import Browser, b64, unb64, verify_vapid

pytestmark = pytest.mark.django_db(transaction=True)

SUBSCRIPTIONS = "/api/v1/user/push-subscriptions"


def subscribe(api, endpoint, browser=None):
    browser = browser or Browser()
    response = api.post(SUBSCRIPTIONS, {"endpoint": endpoint, "keys": browser.keys}, format="json")
    return response, browser


def test_a_push_reaches_the_push_service_encrypted_and_signed(
    vapid, push_service, owner_api, site, visitor_says, sweep, smtp_server
):
    public_key, _ = vapid
    created, browser = subscribe(owner_api, f"{push_service.url}/push/abc?x=1")
    assert created.status_code == 201
    chat = visitor_says(site, "Is anyone there? " + "x" * 300, name="Vera")
    result = sweep(minutes=4)
    assert (result.emails, result.pushes) == (1, 1)
    [request] = push_service.received
    assert request.path == "/push/abc?x=1"
    assert request.headers["content-encoding"] == "aes128gcm"
    assert int(request.headers["ttl"]) == push.TTL_SECONDS
    payload = browser.decrypt(request.body)
    assert payload["title"] == "Vera on Shop"
    assert payload["body"].startswith("Is anyone there? xxx") and len(payload["body"]) == 200
    assert payload["url"] == f"http://127.0.0.1:8000/app/#/inbox/{chat.id}"
    assert payload["tag"] == f"chat-{chat.id}"
    assert set(payload) == {"title", "body", "url", "tag"}
    claims = verify_vapid(request.headers["authorization"], public_key)
    assert claims["aud"] == push_service.url
    assert claims["sub"] == "mailto:ops@example.com"
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    delivery = PushDelivery.objects.get()
    assert delivery.status == PushStatus.SENT and delivery.attempts == 1
    assert delivery.key == f"push:unread:{chat.id}:1:{site.user.id}:{created.json()['id']}"
    # Once per window: the sweep again pushes nothing.
    assert sweep(minutes=6).pushes == 0
    assert len(push_service.received) == 1


def test_a_forged_signature_would_be_caught(vapid):
    """The VAPID check above can fail: a token signed by another key does not verify."""
    other = Vapid02.from_raw(push.new_key_pair()[1].encode())
    header = other.sign(
        {"aud": "http://127.0.0.1", "sub": "mailto:x@example.com", "exp": int(time.time()) + 60}
    )
    token = header["Authorization"].split("t=", 1)[1].split(",")[0]
    with pytest.raises(InvalidSignature):
        verify_vapid(f"vapid t={token},k={vapid[0]}", vapid[0])


def test_each_subscription_of_the_user_gets_one_push(
    vapid, push_service, owner_api, site, visitor_says, sweep
):
    _, first = subscribe(owner_api, f"{push_service.url}/push/1")
    _, second = subscribe(owner_api, f"{push_service.url}/push/2")
    visitor_says(site)
    assert sweep(minutes=4).pushes == 2
    by_path = {r.path: r for r in push_service.received}
    assert first.decrypt(by_path["/push/1"].body)["tag"] == second.decrypt(by_path["/push/2"].body)["tag"]


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_is_deleted(vapid, push_service, owner_api, site, visitor_says, sweep, status):
    push_service.statuses = [status]
    subscribe(owner_api, f"{push_service.url}/push/gone")
    visitor_says(site)
    sweep(minutes=4)
    assert len(push_service.received) == 1
    assert not PushSubscription.objects.exists()
    delivery = PushDelivery.objects.get()
    assert (delivery.status, delivery.subscription_id) == (PushStatus.GONE, None)


def test_a_failing_push_service_is_retried_until_it_takes_the_push(
    vapid, push_service, owner_api, site, visitor_says, sweep
):
    push_service.statuses = [500, 503]
    subscribe(owner_api, f"{push_service.url}/push/flaky")
    visitor_says(site)
    sweep(minutes=4)
    assert len(push_service.received) == 3
    delivery = PushDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (PushStatus.SENT, 3)
    assert PushSubscription.objects.exists()


def test_a_push_that_keeps_failing_is_marked_failed(
    vapid, push_service, owner_api, site, visitor_says, sweep, settings
):
    settings.CHATELLY_PUSH_MAX_RETRIES = 2
    push_service.statuses = [500] * 10
    subscribe(owner_api, f"{push_service.url}/push/down")
    visitor_says(site)
    sweep(minutes=4)
    delivery = PushDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (PushStatus.FAILED, 3)
    assert "500" in delivery.last_error
    assert len(push_service.received) == 3


def test_a_redirect_is_not_followed(vapid, push_service, owner_api, site, visitor_says, sweep, settings):
    settings.CHATELLY_PUSH_MAX_RETRIES = 0
    push_service.statuses = [307]
    subscribe(owner_api, f"{push_service.url}/push/moved")
    visitor_says(site)
    sweep(minutes=4)
    assert [r.path for r in push_service.received] == ["/push/moved"]
    assert PushDelivery.objects.get().status == PushStatus.FAILED


def test_the_endpoint_is_checked_again_before_each_send(
    vapid, push_service, owner_api, site, visitor_says, sweep, settings
):
    subscribe(owner_api, f"{push_service.url}/push/private")
    settings.CHATELLY_PUSH_ALLOW_PRIVATE = False  # e.g. its host now resolves to a private address
    visitor_says(site)
    sweep(minutes=4)
    assert push_service.received == []
    delivery = PushDelivery.objects.get()
    assert delivery.status == PushStatus.FAILED and "endpoint refused" in delivery.last_error


def test_push_off_still_emails_and_email_off_still_pushes(
    vapid, push_service, owner_api, site, visitor_says, sweep, smtp_server, add_member
):
    subscribe(owner_api, f"{push_service.url}/push/owner")
    NotificationPreference.objects.create(user=site.user, push_enabled=False)
    visitor_says(site)
    assert (sweep(minutes=4).emails, len(push_service.received)) == (1, 0)
    NotificationPreference.objects.filter(user=site.user).update(push_enabled=True, email_enabled=False)
    chat = visitor_says(site)  # a second visitor: a new chat and window
    result = sweep(minutes=4)
    assert (result.emails, result.pushes) == (0, 2)  # both chats' windows: the first was never pushed
    assert {r.path for r in push_service.received} == {"/push/owner"}
    assert EmailDelivery.objects.filter(key__startswith=f"unread:{chat.id}:").count() == 0


def test_without_vapid_keys_nothing_is_pushed(push_service, site, visitor_says, sweep, settings, make_user):
    settings.CHATELLY_PUSH_ALLOW_PRIVATE = True
    settings.CHATELLY_VAPID_PUBLIC_KEY = settings.CHATELLY_VAPID_PRIVATE_KEY = ""
    browser = Browser()
    PushSubscription.objects.create(
        user=site.user,
        endpoint=f"{push_service.url}/push/x",
        p256dh=browser.keys["p256dh"],
        auth=browser.keys["auth"],
    )
    visitor_says(site)
    assert sweep(minutes=4).pushes == 0
    assert push_service.received == [] and not PushDelivery.objects.exists()


# --- endpoints a browser may name ----------------------------------------------------


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://push.example.com/x",
        "https://10.0.0.1/push",
        "https://127.0.0.1/push",
        "https://[::1]/push",
        "https://[::ffff:127.0.0.1]/push",
        "https://[64:ff9b::a00:1]/push",  # NAT64 to 10.0.0.1
        "https://[64:ff9b::7f00:1]/push",  # NAT64 to 127.0.0.1
        "https://[2002:a00:1::1]/push",  # 6to4 of 10.0.0.1
        "https://[2002:c0a8:101::1]/push",  # 6to4 of 192.168.1.1
        "https://169.254.169.254/latest",
        "https://100.64.0.1/push",
        "https://localhost/push",
        "https://localhost./push",
        "https://user:pw@93.184.216.34/push",
        "ftp://93.184.216.34/push",
        "https://",
        "not a url",
        "https://93.184.216.34/" + "a" * 2048,
        "https://93.184.216.34/é",
    ],
)
def test_endpoints_that_are_not_public_https_are_refused(vapid, settings, owner_api, endpoint):
    settings.CHATELLY_PUSH_ALLOW_PRIVATE = False
    response, _ = subscribe(owner_api, endpoint)
    assert response.status_code == 400, endpoint
    assert response.json()["error"] == "validation_error"
    assert "endpoint" in response.json()["details"]
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://93.184.216.34/wpush/v2/abc",
        "https://[2606:4700::6810:84e5]/wpush/v2/abc",
        "https://[64:ff9b::5db8:d822]/wpush/v2/abc",  # NAT64 to 93.184.216.34
    ],
)
def test_a_public_https_endpoint_is_taken(vapid, settings, owner_api, endpoint):
    settings.CHATELLY_PUSH_ALLOW_PRIVATE = False
    response, _ = subscribe(owner_api, endpoint)
    assert response.status_code == 201


# --- the key pair ----------------------------------------------------------------------


def test_vapid_keys_prints_a_pair_that_signs_and_verifies():
    out = StringIO()
    call_command("vapid_keys", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split("=", 1)[0] for line in lines] == [
        "CHATELLY_VAPID_PUBLIC_KEY",
        "CHATELLY_VAPID_PRIVATE_KEY",
    ]
    public, private = (line.split("=", 1)[1] for line in lines)
    assert "=" not in public + private and len(unb64(public)) == 65 and len(unb64(private)) == 32
    for loaded in (Vapid02.from_raw(private.encode()), Vapid.from_string(private)):
        point = loaded.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        assert b64(point) == public
    signed = Vapid02.from_raw(private.encode()).sign(
        {"aud": "https://push.example.com", "sub": "mailto:a@b.c"}
    )
    claims = verify_vapid(signed["Authorization"], public)
    assert claims["aud"] == "https://push.example.com"
    again = StringIO()
    call_command("vapid_keys", stdout=again)
    assert again.getvalue() != out.getvalue()
