"""The notification endpoints over HTTP: shapes, bad input, other users' rows,
authentication, rate limits and the OpenAPI schema."""

import pytest
from rest_framework.test import APIClient

from conftest import bearer
from notifications.models import NotificationPreference, PushSubscription
from notifications.services import MAX_SUBSCRIPTIONS
from notifications.tests.test_push import Browser

pytestmark = pytest.mark.django_db

PREFS = "/api/v1/user/notifications"
KEY = "/api/v1/push/key"
SUBSCRIPTIONS = "/api/v1/user/push-subscriptions"
DEFAULTS = {
    "email_enabled": True,
    "push_enabled": True,
    "unread_minutes": 3,
    "quiet_hours": None,
    "time_zone": "UTC",
}


def client_of(user):
    client = APIClient()
    client.credentials(**bearer(user))
    return client


def assert_400(response, *fields):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "validation_error" and body["code"] == 400
    assert set(fields) <= set(body["details"]), body["details"]


# --- preferences ---------------------------------------------------------------------


def test_the_defaults_until_changed(auth_api, settings):
    assert auth_api.get(PREFS).json() == DEFAULTS
    settings.CHATELLY_NOTIFY_DEFAULT_MINUTES = 5
    assert auth_api.get(PREFS + "/").json()["unread_minutes"] == 5
    assert not NotificationPreference.objects.exists()


def test_a_partial_change_answers_the_whole_object(auth_api, user):
    response = auth_api.patch(PREFS, {"unread_minutes": 15, "time_zone": "Europe/Berlin"}, format="json")
    assert response.status_code == 200
    assert response.json() == {**DEFAULTS, "unread_minutes": 15, "time_zone": "Europe/Berlin"}
    quiet = {"quiet_hours": {"start": "22:00", "end": "07:00"}, "email_enabled": False}
    assert auth_api.patch(PREFS, quiet, format="json").json() == {
        **DEFAULTS,
        "unread_minutes": 15,
        "time_zone": "Europe/Berlin",
        **quiet,
    }
    assert auth_api.get(PREFS).json()["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    assert auth_api.patch(PREFS, {"quiet_hours": None}, format="json").json()["quiet_hours"] is None
    assert auth_api.patch(PREFS, {}, format="json").status_code == 200
    assert NotificationPreference.objects.get(user=user).unread_minutes == 15


@pytest.mark.parametrize(
    "body, field",
    [
        ({"unread_minutes": True}, "unread_minutes"),
        ({"unread_minutes": "3"}, "unread_minutes"),
        ({"unread_minutes": 0}, "unread_minutes"),
        ({"unread_minutes": 1441}, "unread_minutes"),
        ({"unread_minutes": 2.5}, "unread_minutes"),
        ({"unread_minutes": None}, "unread_minutes"),
        ({"email_enabled": "true"}, "email_enabled"),
        ({"push_enabled": 1}, "push_enabled"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"time_zone": 5}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"quiet_hours": "22:00-07:00"}, "quiet_hours"),
        ({"quiet_hours": []}, "quiet_hours"),
        ({"quiet_hours": {"start": "22:00"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "22:00", "end": "07:00", "x": 1}}, "quiet_hours"),
        ({"quiet_hours": {"start": "25:00", "end": "07:00"}}, "quiet_hours.start"),
        ({"quiet_hours": {"start": "22:00", "end": "07:60"}}, "quiet_hours.end"),
        ({"quiet_hours": {"start": "7:00", "end": "08:00"}}, "quiet_hours.start"),
        ({"quiet_hours": {"start": "\uff12\uff12:00", "end": "07:00"}}, "quiet_hours.start"),
        ({"quiet_hours": {"start": 2200, "end": "07:00"}}, "quiet_hours.start"),
        ({"quiet_hours": {"start": "22:00", "end": "22:00"}}, "quiet_hours.end"),
        ({"sound": True}, "sound"),
    ],
)
def test_bad_preferences_are_refused_field_by_field(auth_api, body, field):
    assert_400(auth_api.patch(PREFS, body, format="json"), field)
    assert auth_api.get(PREFS).json() == DEFAULTS


def test_every_bad_field_is_named_and_nothing_is_changed(auth_api):
    body = {"unread_minutes": 0, "time_zone": "Nowhere", "email_enabled": False, "extra": 1}
    assert_400(auth_api.patch(PREFS, body, format="json"), "unread_minutes", "time_zone", "extra")
    assert auth_api.get(PREFS).json() == DEFAULTS


@pytest.mark.parametrize("body", ["[]", '"x"', "3", "null", "{"])
def test_a_body_that_is_not_an_object_is_a_400(auth_api, body):
    response = auth_api.generic("PATCH", PREFS, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] in ("validation_error", "parse_error")


def test_each_user_has_their_own_preferences(auth_api, make_user):
    other = client_of(make_user())
    auth_api.patch(PREFS, {"unread_minutes": 60}, format="json")
    assert other.get(PREFS).json() == DEFAULTS


# --- the push key --------------------------------------------------------------------


def test_the_public_key_or_null(auth_api, settings):
    settings.CHATELLY_VAPID_PUBLIC_KEY = settings.CHATELLY_VAPID_PRIVATE_KEY = ""
    assert auth_api.get(KEY).json() == {"public_key": None}
    settings.CHATELLY_VAPID_PUBLIC_KEY = "BPub"
    assert auth_api.get(KEY).json() == {"public_key": None}  # half a pair is no push
    settings.CHATELLY_VAPID_PRIVATE_KEY = "priv"
    assert auth_api.get(KEY).json() == {"public_key": "BPub"}


# --- subscriptions -------------------------------------------------------------------


def subscription(endpoint="https://93.184.216.34/push/1", **keys):
    return {"endpoint": endpoint, "keys": {**Browser().keys, **keys}}


@pytest.fixture
def push_on(vapid, settings):
    settings.CHATELLY_PUSH_ALLOW_PRIVATE = False


def test_the_same_endpoint_is_the_same_subscription_bound_to_the_latest_caller(
    push_on, auth_api, user, make_user
):
    first = auth_api.post(SUBSCRIPTIONS, subscription(), format="json", HTTP_USER_AGENT="Firefox/140")
    assert first.status_code == 201
    assert set(first.json()) == {"id", "created_at"}
    again = auth_api.post(SUBSCRIPTIONS, subscription(), format="json")
    assert again.status_code == 200 and again.json() == first.json()
    other = make_user()
    moved = client_of(other).post(SUBSCRIPTIONS, subscription(), format="json")
    assert moved.status_code == 200 and moved.json()["id"] == first.json()["id"]
    row = PushSubscription.objects.get()
    assert row.user == other
    assert auth_api.delete(f"{SUBSCRIPTIONS}/{row.id}").status_code == 404


def test_the_user_agent_is_kept(push_on, auth_api):
    auth_api.post(SUBSCRIPTIONS, subscription(), format="json", HTTP_USER_AGENT="Firefox/140 " + "x" * 600)
    assert PushSubscription.objects.get().user_agent.startswith("Firefox/140")
    assert len(PushSubscription.objects.get().user_agent) == 512


def test_past_the_cap_the_oldest_subscription_goes(push_on, auth_api, user):
    ids = [
        auth_api.post(SUBSCRIPTIONS, subscription(f"https://93.184.216.34/push/{n}"), format="json").json()[
            "id"
        ]
        for n in range(MAX_SUBSCRIPTIONS + 1)
    ]
    kept = set(PushSubscription.objects.filter(user=user).values_list("id", flat=True))
    assert kept == set(ids[1:])


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "endpoint"),
        ({"endpoint": "https://93.184.216.34/p"}, "keys"),
        ({"endpoint": 5, "keys": Browser().keys}, "endpoint"),
        ({"endpoint": "https://93.184.216.34/p", "keys": "k"}, "keys"),
        ({"endpoint": "https://93.184.216.34/p", "keys": {"auth": Browser().keys["auth"]}}, "keys.p256dh"),
        (subscription(p256dh="not base64!"), "keys.p256dh"),
        (subscription(p256dh="QUJD"), "keys.p256dh"),
        (subscription(p256dh="B" + "A" * 86), "keys.p256dh"),  # 65 bytes, not on the curve
        (subscription(p256dh=["x"]), "keys.p256dh"),
        (subscription(auth="QUJD"), "keys.auth"),
        (subscription(auth="A" * 2000), "keys.auth"),
        (subscription(auth=None), "keys.auth"),
        (subscription("https://93.184.216.34/" + "a" * 2100), "endpoint"),
        (subscription("https://93.184.216.34/a b"), "endpoint"),
    ],
)
def test_bad_subscriptions_are_refused(push_on, auth_api, body, field):
    assert_400(auth_api.post(SUBSCRIPTIONS, body, format="json"), field)
    assert not PushSubscription.objects.exists()


def test_padded_keys_are_taken_and_stored_unpadded(push_on, auth_api):
    keys = Browser().keys
    padded = {"p256dh": keys["p256dh"] + "=", "auth": keys["auth"] + "=="}
    assert auth_api.post(SUBSCRIPTIONS, subscription(**padded), format="json").status_code == 201
    row = PushSubscription.objects.get()
    assert (row.p256dh, row.auth) == (keys["p256dh"], keys["auth"])


def test_without_vapid_keys_subscribing_is_a_409(auth_api, settings):
    settings.CHATELLY_VAPID_PUBLIC_KEY = settings.CHATELLY_VAPID_PRIVATE_KEY = ""
    response = auth_api.post(SUBSCRIPTIONS, subscription(), format="json")
    assert response.status_code == 409 and response.json()["error"] == "conflict"


def test_deleting_a_subscription(push_on, auth_api, make_user):
    mine = auth_api.post(SUBSCRIPTIONS, subscription(), format="json").json()["id"]
    other = client_of(make_user())
    theirs = other.post(SUBSCRIPTIONS, subscription("https://93.184.216.34/push/2"), format="json").json()[
        "id"
    ]
    for wrong in (theirs, theirs + 1000, 2**63 - 1, 10**30):
        response = auth_api.delete(f"{SUBSCRIPTIONS}/{wrong}")
        assert response.status_code == 404 and response.json()["error"] == "not_found", wrong
    assert PushSubscription.objects.filter(id=theirs).exists()
    assert auth_api.delete(f"{SUBSCRIPTIONS}/{mine}/").status_code == 204
    assert auth_api.delete(f"{SUBSCRIPTIONS}/{mine}").status_code == 404


# --- authentication, methods, floods -------------------------------------------------


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", PREFS),
        ("patch", PREFS),
        ("get", KEY),
        ("post", SUBSCRIPTIONS),
        ("delete", f"{SUBSCRIPTIONS}/1"),
    ],
)
def test_everything_needs_a_signed_in_user(api, method, path):
    response = getattr(api, method)(path, {}, format="json")
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer nope")
    assert getattr(bad, method)(path, {}, format="json").status_code == 401


def test_other_methods_are_405(auth_api):
    assert auth_api.post(PREFS, {}, format="json").status_code == 405
    assert auth_api.put(PREFS, DEFAULTS, format="json").status_code == 405
    assert auth_api.get(SUBSCRIPTIONS).status_code == 405
    assert auth_api.delete(PREFS).status_code == 405


def test_a_non_json_body_is_a_415(auth_api):
    response = auth_api.patch(PREFS, "email_enabled=false", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_a_flood_is_answered_429(auth_api, settings, push_on):
    settings.CHATELLY_RATE_API = "3/m"
    assert [auth_api.get(PREFS).status_code for _ in range(3)] == [200, 200, 200]
    for response in (
        auth_api.get(PREFS),
        auth_api.patch(PREFS, {"unread_minutes": 5}, format="json"),
        auth_api.post(SUBSCRIPTIONS, subscription(), format="json"),
        auth_api.get(KEY),
    ):
        assert response.status_code == 429
        assert response.json()["error"] == "rate_limited" and int(response["Retry-After"]) >= 1
    assert not PushSubscription.objects.exists()


# --- the schema ----------------------------------------------------------------------


def test_the_openapi_schema_documents_the_endpoints(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    assert {"200", "401"} <= set(paths[PREFS]["get"]["responses"])
    patch = paths[PREFS]["patch"]
    assert {"200", "400", "401"} <= set(patch["responses"])
    body = patch["requestBody"]["content"]["application/json"]["schema"]
    assert body["additionalProperties"] is False
    assert "Europe/Berlin" in body["properties"]["time_zone"]["enum"]
    assert body["properties"]["unread_minutes"]["maximum"] == 1440
    assert {"200", "401"} <= set(paths[KEY]["get"]["responses"])
    post = paths[SUBSCRIPTIONS]["post"]
    assert {"200", "201", "400", "401", "409"} <= set(post["responses"])
    assert post["requestBody"]["required"] is True
    assert {"204", "401", "404"} <= set(paths[SUBSCRIPTIONS + "/{subscription_id}"]["delete"]["responses"])


@pytest.mark.parametrize(
    "path, body",
    [
        (PREFS, '{"time_zone": "Europe/Berlin\\u0000"}'),
        (PREFS, '{"time_zone": "\\ud800"}'),
        (PREFS, '{"unread_minutes": 1e308}'),
        (PREFS, '{"unread_minutes": 100000000000000000000000000000}'),
        (PREFS, '{"quiet_hours": ' + "[" * 5000 + "]" * 5000 + "}"),
        (SUBSCRIPTIONS, '{"endpoint": "https://93.184.216.34/\\u0000", "keys": {}}'),
        (SUBSCRIPTIONS, '{"endpoint": "https://93.184.216.34/p", "keys": ' + "{" * 5000 + "}" * 5000 + "}"),
    ],
)
def test_hostile_bodies_are_400_not_500(push_on, auth_api, path, body):
    method = auth_api.patch if path == PREFS else auth_api.post
    response = method(path, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["error"] in ("validation_error", "parse_error")
    assert not PushSubscription.objects.exists() and not NotificationPreference.objects.exists()
