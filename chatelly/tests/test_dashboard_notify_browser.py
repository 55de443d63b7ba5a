"""The account's notification settings in Chromium, against the real API:
email on and off, the minutes, quiet hours and time zone saved and shown
again after a reload, a bad value shown at its field; browser notifications
turned on (the service worker registers with scope /app/, the subscription
reaches the server) and off again (deleted on the server, also on logging
out); the toggle off with
an explanation where push cannot work. At desktop and phone widths, axe-clean.

Headless Chromium has no push service: PushManager.subscribe() rejects ("permission
denied") even with the notifications permission granted. So the push tests
replace PushManager.prototype.subscribe and getSubscription through an init
script with ones returning a fixed subscription object (a real P-256 key and
auth secret, a made-up endpoint); everything else is real: the permission, the
service worker's registration, the API calls and the database rows. The
worker's push handler is driven through the DevTools protocol
(ServiceWorker.deliverPushMessage) and its notification read back with
getNotifications(); DevTools cannot click a notification, so the click handler
gets an event made inside the worker."""

import base64
import json
import re
import secrets
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import expect

from chatelly.tests.dashboard_browser import *  # noqa: F403
from chatelly.tests.dashboard_browser import (
    DESKTOP,
    LIFTED,
    PHONE,
    axe_violations,
    record,
    screenshot,
    sign_in,
)
from conftest import PASSWORD
from notifications.models import PushSubscription
from testsupport.servers import ServerProcess, server_env

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def p256_public_key() -> tuple[str, str]:
    """(public, private) raw base64url P-256 keys, as `manage.py vapid_keys` prints them."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(public), b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def account_page(context, server, user):
    """A recorded page of `context`, signed in as `user` on `server`, on the Account screen."""
    page = record(context.new_page())
    page.server = server
    sign_in(page, user.email, PASSWORD)
    page.get_by_role("link", name="Account").click()
    return page


@pytest.fixture
def push_server(tmp_path):
    """A dashboard server with Web Push configured (VAPID keys)."""
    public, private = p256_public_key()
    env = server_env(
        DJANGO_MEDIA_ROOT=str(tmp_path / "media"),
        CHATELLY_VAPID_PUBLIC_KEY=public,
        CHATELLY_VAPID_PRIVATE_KEY=private,
        CHATELLY_PUSH_ALLOW_PRIVATE="true",
        **LIFTED,
    )
    process = ServerProcess(env=env, kind="uvicorn").start()
    process.public_key = public
    yield process
    process.stop()


# The fixed subscription: kept in localStorage so it outlives a reload, as a real one does.
FAKE_PUSH = """
(() => {
  const SUB = %s;
  const make = () => ({
    endpoint: SUB.endpoint, expirationTime: null,
    options: {userVisibleOnly: true},
    toJSON: () => ({endpoint: SUB.endpoint, expirationTime: null, keys: SUB.keys}),
    unsubscribe: async () => { localStorage.removeItem("test.subscribed"); return true; },
  });
  PushManager.prototype.subscribe = async function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    localStorage.setItem("test.subscribed", btoa(String.fromCharCode(...key)));
    return make();
  };
  PushManager.prototype.getSubscription = async function () {
    return localStorage.getItem("test.subscribed") ? make() : null;
  };
})();
"""


def fake_subscription() -> dict:
    public, _ = p256_public_key()
    return {
        "endpoint": f"https://push.example.net/send/{secrets.token_urlsafe(16)}",
        "keys": {"p256dh": public, "auth": b64url(secrets.token_bytes(16))},
    }


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_preferences_are_saved_and_shown_again(browser, dashboard_server, make_user, viewport):
    user = make_user(email="ada@example.com", name="Ada")
    context = browser.new_context(viewport=viewport, timezone_id="America/New_York")
    page = account_page(context, dashboard_server, user)
    form = page.get_by_role("form", name="Notifications")
    expect(form).to_be_visible()

    # The defaults; the time zone offered is the browser's.
    email = form.get_by_label("Email me about unread chats")
    minutes = form.get_by_label("Minutes a chat waits unread before I'm notified")
    quiet = form.get_by_label("Pause notifications during quiet hours")
    start = form.get_by_label("Quiet hours start")
    end = form.get_by_label("Quiet hours end")
    zone = form.get_by_label("Time zone")
    expect(email).to_be_checked()
    expect(quiet).not_to_be_checked()
    expect(start).to_be_disabled()
    expect(zone).to_have_value("America/New_York")
    assert axe_violations(page) == []

    # A bad value: the server's message at its field.
    minutes.fill("0")
    form.get_by_role("button", name="Save notification settings").click()
    expect(minutes).to_have_attribute("aria-invalid", "true")
    expect(minutes).to_be_focused()

    email.uncheck()
    minutes.fill("15")
    quiet.check()
    start.fill("21:30")
    end.fill("06:45")
    zone.select_option("Europe/Berlin")
    form.get_by_role("button", name="Save notification settings").click()
    expect(form.get_by_text("Notification settings saved.")).to_be_visible()
    expect(minutes).not_to_have_attribute("aria-invalid", "true")
    screenshot(page, f"account-notifications-{'phone' if viewport is PHONE else 'desktop'}")

    status, body = dashboard_server.request(
        "POST", "/api/v1/auth/login", {"email": user.email, "password": PASSWORD}
    )
    access = json.loads(body)["access"]
    status, body = dashboard_server.get(
        "/api/v1/user/notifications", headers={"Authorization": f"Bearer {access}"}
    )
    assert status == 200
    saved = json.loads(body)
    assert saved["email_enabled"] is False
    assert saved["unread_minutes"] == 15
    assert saved["quiet_hours"] == {"start": "21:30", "end": "06:45"}
    assert saved["time_zone"] == "Europe/Berlin"

    # After a reload the form shows what was saved.
    page.reload()
    form = page.get_by_role("form", name="Notifications")
    expect(form.get_by_label("Email me about unread chats")).not_to_be_checked()
    expect(form.get_by_label("Minutes a chat waits unread before I'm notified")).to_have_value("15")
    expect(form.get_by_label("Pause notifications during quiet hours")).to_be_checked()
    expect(form.get_by_label("Quiet hours start")).to_have_value("21:30")
    expect(form.get_by_label("Quiet hours end")).to_have_value("06:45")
    expect(form.get_by_label("Time zone")).to_have_value("Europe/Berlin")

    # Quiet hours off again: saved as none.
    form.get_by_label("Pause notifications during quiet hours").uncheck()
    expect(form.get_by_label("Quiet hours start")).to_be_disabled()
    form.get_by_role("button", name="Save notification settings").click()
    expect(form.get_by_text("Notification settings saved.")).to_be_visible()
    status, body = dashboard_server.get(
        "/api/v1/user/notifications", headers={"Authorization": f"Bearer {access}"}
    )
    assert json.loads(body)["quiet_hours"] is None
    assert page.page_errors == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_browser_notifications_on_and_off(browser, push_server, make_user, viewport):
    user = make_user(email="ada@example.com", name="Ada")
    subscription = fake_subscription()
    context = browser.new_context(viewport=viewport)
    context.grant_permissions(["notifications"], origin=push_server.url)
    context.add_init_script(FAKE_PUSH % json.dumps(subscription))
    page = account_page(context, push_server, user)
    card = page.get_by_role("region", name="Browser notifications")
    toggle = card.get_by_label("Notify me in this browser")
    expect(toggle).to_be_enabled()
    expect(toggle).not_to_be_checked()
    assert axe_violations(page) == []

    # On: the worker registers for /app/, the subscription reaches the server.
    toggle.check()
    expect(card.get_by_text("This browser will show notifications.")).to_be_visible()
    expect(toggle).to_be_checked()
    scope = page.evaluate("navigator.serviceWorker.getRegistration('/app/').then(r => r && r.scope)")
    assert scope == f"{push_server.url}/app/"
    used_key = page.evaluate("localStorage.getItem('test.subscribed')")
    assert b64url(base64.b64decode(used_key)) == push_server.public_key  # subscribed with the server's key
    row = PushSubscription.objects.get(user=user)
    assert row.endpoint == subscription["endpoint"]
    assert (row.p256dh, row.auth) == (subscription["keys"]["p256dh"], subscription["keys"]["auth"])

    # After a reload the toggle shows this browser is subscribed.
    page.reload()
    card = page.get_by_role("region", name="Browser notifications")
    toggle = card.get_by_label("Notify me in this browser")
    expect(toggle).to_be_checked()
    expect(toggle).to_be_enabled()

    # Off: deleted on the server, unsubscribed here.
    toggle.uncheck()
    expect(card.get_by_text("This browser will not show notifications.")).to_be_visible()
    assert not PushSubscription.objects.filter(user=user).exists()
    assert page.evaluate("localStorage.getItem('test.subscribed')") is None

    # On again, then log out: a shared browser stops getting this user's notifications.
    toggle.check()
    expect(card.get_by_text("This browser will show notifications.")).to_be_visible()
    assert PushSubscription.objects.filter(user=user).count() == 1
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"#/login$"))
    assert not PushSubscription.objects.filter(user=user).exists()
    assert page.evaluate("localStorage.getItem('test.subscribed')") is None
    assert page.page_errors == []


def test_the_worker_shows_a_push_and_keeps_its_url_inside_the_app(browser, push_server, make_user):
    """The service worker's push handler, fed through DevTools: title, body, tag,
    and a `url` that must stay on this dashboard (any other becomes /app/)."""
    user = make_user(email="ada@example.com", name="Ada")
    context = browser.new_context(viewport=DESKTOP)
    context.grant_permissions(["notifications"], origin=push_server.url)
    context.add_init_script(FAKE_PUSH % json.dumps(fake_subscription()))
    page = account_page(context, push_server, user)
    page.get_by_label("Notify me in this browser").check()
    expect(page.get_by_text("This browser will show notifications.")).to_be_visible()

    cdp = context.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    for _ in range(20):
        if registrations:
            break
        page.wait_for_timeout(100)
    registration = next(r for r in registrations if r["scopeURL"] == f"{push_server.url}/app/")

    def push(payload):
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {
                "origin": push_server.url,
                "registrationId": registration["registrationId"],
                "data": json.dumps(payload),
            },
        )

    # What the worker shows is recorded as it shows it: headless Chromium may
    # close a notification at any moment (seen under load), so reading them back
    # later with getNotifications() raced.
    worker = next(w for w in context.service_workers if w.url == f"{push_server.url}/app/sw.js")
    worker.evaluate(
        """() => {
          self.__shown = [];
          const show = self.registration.showNotification.bind(self.registration);
          self.registration.showNotification = (title, options) => {
            self.__shown.push({title, body: options.body, tag: options.tag, url: options.data.url});
            return show(title, options);
          };
        }"""
    )

    def shown(count):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = worker.evaluate("() => self.__shown")
            if len(found) >= count:
                return found
            page.wait_for_timeout(100)
        raise AssertionError(f"the worker showed {found}")

    push(
        {"title": "Vera is waiting", "body": "Do you ship to Oslo?", "url": "/app/#/inbox/7", "tag": "chat-7"}
    )
    assert shown(1) == [
        {
            "title": "Vera is waiting",
            "body": "Do you ship to Oslo?",
            "tag": "chat-7",
            "url": f"{push_server.url}/app/#/inbox/7",
        }
    ]
    push({"title": "Elsewhere", "body": "", "url": "https://evil.example/phish", "tag": "chat-8"})
    assert shown(2)[1]["url"] == f"{push_server.url}/app/"

    # A click: DevTools cannot click a notification, so the worker is sent a
    # notificationclick made in its own scope, for a chat-7 notification shown
    # the way a push shows it, in the same step. (An event made by a script
    # cannot waitUntil(), which throws after the worker has started opening, so
    # what it opens still happens.) The open tab, now on the account page, shows
    # the notification's chat without reloading.
    page.evaluate("window.__sameDocument = true")
    worker.evaluate(
        """async (url) => {
          await self.registration.showNotification("Vera is waiting", {tag: "chat-7", data: {url}});
          const [note] = await self.registration.getNotifications({tag: "chat-7"});
          try {
            self.dispatchEvent(new NotificationEvent("notificationclick", {notification: note}));
          } catch {}
        }""",
        f"{push_server.url}/app/#/inbox/7",
    )
    page.wait_for_url(re.compile(r"#/inbox/7$"))
    assert page.evaluate("window.__sameDocument") is True
    read = "async () => (await self.registration.getNotifications({tag: 'chat-7'})).length"
    assert worker.evaluate(read) == 0  # the click closed it
    assert page.page_errors == []


def test_push_is_off_with_a_reason_where_it_cannot_work(browser, dashboard_server, push_server, make_user):
    user = make_user(email="ada@example.com", name="Ada")

    # No VAPID key on the server.
    page = account_page(browser.new_context(viewport=PHONE), dashboard_server, user)
    toggle = page.get_by_label("Notify me in this browser")
    expect(toggle).to_be_disabled()
    expect(toggle).to_have_accessible_description(re.compile("not set up on this server"))
    assert axe_violations(page) == []

    # No PushManager (Safari outside a Home Screen app).
    context = browser.new_context(viewport=PHONE)
    context.add_init_script("delete window.PushManager;")
    page = account_page(context, push_server, user)
    toggle = page.get_by_label("Notify me in this browser")
    expect(toggle).to_be_disabled()
    expect(toggle).to_have_accessible_description(re.compile("cannot show push notifications"))

    # The permission refused when asked: the toggle stays off and says why.
    context = browser.new_context(viewport=PHONE)
    context.add_init_script("Notification.requestPermission = async () => 'denied';")
    page = account_page(context, push_server, user)
    toggle = page.get_by_label("Notify me in this browser")
    toggle.click()
    card = page.get_by_role("region", name="Browser notifications")
    expect(card.get_by_text(re.compile("Notifications are blocked"))).to_be_visible()
    expect(toggle).not_to_be_checked()
    assert not PushSubscription.objects.filter(user=user).exists()
    assert page.page_errors == []
