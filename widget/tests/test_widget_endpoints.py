from datetime import UTC, datetime, timedelta

import pytest

from chat import presence
from websites import services

pytestmark = pytest.mark.django_db

PRIVATE = {
    "allowed_origins": ["https://app.example.org"],
    "auto_replies": [{"keywords": ["x"], "reply": "y"}],
}
PUBLIC = {
    "title": "Help",
    "color": "#112233",
    "greeting": "Hi",
    "require_email": True,
    "locale": "en",
    "holidays": ["2026-12-24"],
    "offline_mode": "hidden",
}


@pytest.fixture
def hosts(settings):
    settings.ALLOWED_HOSTS = ["chat.example.com", "testserver"]


def config(api, key, **headers):
    return api.get(f"/widget/config/{key}", **headers)


def test_config_shows_only_public_settings(api, make_website, user, hosts):
    website = make_website(settings={**PUBLIC, **PRIVATE})
    response = config(api, website.widget_key, HTTP_HOST="chat.example.com")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "widget_key": website.widget_key,
        "name": "Shop",
        "settings": PUBLIC,
        "agents_online": False,
        "ws_url": f"ws://chat.example.com/widget/ws/{website.widget_key}",
        "mode": "hidden",  # no business hours and no agent online
        "opens_at": None,
    }
    raw = response.content.decode()
    for secret in (user.email, "app.example.org", "auto_replies", "max_users", str(user.id) + ","):
        assert secret not in raw


def test_ws_url_is_wss_behind_tls(api, website, settings, hosts):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    body = config(
        api, website.widget_key, HTTP_HOST="chat.example.com", HTTP_X_FORWARDED_PROTO="https"
    ).json()
    assert body["ws_url"] == f"wss://chat.example.com/widget/ws/{website.widget_key}"


def test_agents_online_follows_presence(api, website):
    presence.agent_connected(website_ids=[website.id], connection_id="conn-1")
    try:
        assert config(api, website.widget_key).json()["agents_online"] is True
    finally:
        presence.agent_disconnected(website_ids=[website.id], connection_id="conn-1")
    assert config(api, website.widget_key).json()["agents_online"] is False


ALL_DAY = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def hours(days, **more):
    return {"business_hours": {"timezone": "UTC", "days": days}, **more}


@pytest.fixture
def agent_online():
    connected = []

    def connect(website):
        presence.agent_connected(website_ids=[website.id], connection_id="conn-avail")
        connected.append(website.id)

    yield connect
    presence.agent_disconnected(website_ids=connected, connection_id="conn-avail")


@pytest.mark.parametrize("online", [False, True])
def test_within_business_hours_the_widget_is_live(api, make_website, agent_online, online):
    website = make_website(settings=hours(ALL_DAY, offline_mode="form"))
    if online:
        agent_online(website)
    body = config(api, website.widget_key).json()
    assert (body["mode"], body["opens_at"], body["agents_online"]) == ("live", None, online)


@pytest.mark.parametrize("online", [False, True])
def test_a_week_without_hours_is_closed_with_no_opening(api, make_website, agent_online, online):
    website = make_website(settings=hours({}, offline_mode="form"))
    if online:
        agent_online(website)
    body = config(api, website.widget_key).json()
    assert (body["mode"], body["opens_at"]) == ("form", None)


def test_on_a_holiday_the_widget_is_closed_until_the_next_day_with_hours(api, make_website, agent_online):
    today = datetime.now(UTC).date()
    around = [(today + timedelta(days=n)).isoformat() for n in (-1, 0, 1)]
    website = make_website(settings=hours(ALL_DAY, holidays=around, offline_mode="hidden"))
    agent_online(website)
    body = config(api, website.widget_key).json()
    assert body["mode"] == "hidden"
    assert body["opens_at"] == f"{today + timedelta(days=2)}T00:00:00.000Z"


def test_outside_business_hours_opens_at_is_the_next_start_in_utc(api, make_website, monkeypatch):
    settings = {
        "business_hours": {"timezone": "Europe/Berlin", "days": {"mon": [["09:00", "17:00"]]}},
        "offline_mode": "form",
    }
    website = make_website(settings=settings)
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2026, 12, 7, 16, 30, tzinfo=UTC))
    body = config(api, website.widget_key).json()
    assert (body["mode"], body["opens_at"]) == ("form", "2026-12-14T08:00:00.000Z")
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    assert config(api, website.widget_key).json()["mode"] == "live"


def test_without_business_hours_presence_decides_at_once(api, make_website, agent_online):
    website = make_website(settings={"offline_mode": "form"})
    response = config(api, website.widget_key)
    assert response["Cache-Control"] == "no-store"  # no browser or proxy keeps a stale mode
    assert (response.json()["mode"], response.json()["opens_at"]) == ("form", None)
    agent_online(website)  # the site is cached now: the mode is not
    assert config(api, website.widget_key).json()["mode"] == "live"


def test_offline_mode_defaults_to_live(api, make_website):
    website = make_website(settings={})
    body = config(api, website.widget_key).json()
    assert (body["agents_online"], body["mode"], body["opens_at"]) == (False, "live", None)


def test_the_schema_documents_mode_and_opens_at(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    fields = components["WidgetConfig"]["properties"]
    mode_ref = fields["mode"]["allOf"][0]["$ref"].rsplit("/", 1)[1]
    assert components[mode_ref]["enum"] == ["live", "form", "hidden"]
    assert fields["opens_at"]["format"] == "date-time"
    assert fields["opens_at"]["nullable"] is True
    assert {"mode", "opens_at"} <= set(components["WidgetConfig"]["required"])


@pytest.mark.parametrize("key", ["unknown-key-0123456789abcdef", "short", "x" * 65, "%00"])
def test_unknown_keys_are_404(api, key):
    for path in (f"/widget/config/{key}", f"/widget/script/{key}"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"


def test_an_inactive_website_is_404_at_once(api, website, django_capture_on_commit_callbacks):
    assert config(api, website.widget_key).status_code == 200  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        services.website_update(website=website, is_active=False)
    assert config(api, website.widget_key).status_code == 404
    assert api.get(f"/widget/script/{website.widget_key}").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        services.website_update(website=website, is_active=True)
    assert config(api, website.widget_key).status_code == 200


def test_changes_show_at_once_despite_the_cache(api, auth_api, website, django_capture_on_commit_callbacks):
    assert config(api, website.widget_key).json()["settings"] == {}
    with django_capture_on_commit_callbacks(execute=True):
        auth_api.patch(f"/api/v1/websites/{website.id}", {"settings": {"title": "New"}}, format="json")
    assert config(api, website.widget_key).json()["settings"] == {"title": "New"}


def test_rotation_kills_the_old_key_everywhere_at_once(
    api, auth_api, website, django_capture_on_commit_callbacks
):
    old = website.widget_key
    assert config(api, old).status_code == 200
    assert api.get(f"/widget/script/{old}").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        new = auth_api.post(f"/api/v1/websites/{website.id}/rotate-key").json()["widget_key"]
    assert config(api, old).status_code == 404
    assert api.get(f"/widget/script/{old}").status_code == 404
    assert config(api, new).status_code == 200


def test_deletion_kills_the_key(api, auth_api, website, django_capture_on_commit_callbacks):
    assert config(api, website.widget_key).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        auth_api.delete(f"/api/v1/websites/{website.id}")
    assert config(api, website.widget_key).status_code == 404


def test_script_is_javascript_with_etag_and_cache_control(api, website):
    response = api.get(f"/widget/script/{website.widget_key}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["X-Content-Type-Options"] == "nosniff"
    etag = response["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    body = response.content.decode()
    assert f'"{website.widget_key}"' in body
    assert '"http://testserver"' in body
    assert "__CHATELLY_KEY__" not in body
    again = api.get(f"/widget/script/{website.widget_key}", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    listed = api.get(f"/widget/script/{website.widget_key}", HTTP_IF_NONE_MATCH=f'"other", W/{etag}')
    assert listed.status_code == 304
    stale = api.get(f"/widget/script/{website.widget_key}", HTTP_IF_NONE_MATCH='"stale"')
    assert stale.status_code == 200


def test_the_etag_changes_with_the_key(api, website):
    before = api.get(f"/widget/script/{website.widget_key}")["ETag"]
    services.website_rotate_key(website=website)
    after = api.get(f"/widget/script/{website.widget_key}")
    assert after["ETag"] != before
    assert api.get(f"/widget/script/{website.widget_key}", HTTP_IF_NONE_MATCH=before).status_code == 200


def test_widget_endpoints_are_rate_limited_per_ip(api, website, settings):
    settings.CHATELLY_RATE_WIDGET = "3/m"
    for _ in range(3):
        assert config(api, website.widget_key).status_code == 200
    response = config(api, website.widget_key)
    assert response.status_code == 429
    assert response.json()["error"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1
    assert config(api, website.widget_key, REMOTE_ADDR="10.1.1.1").status_code == 200
    # A spoofed X-Forwarded-For does not buy a fresh allowance.
    assert config(api, website.widget_key, HTTP_X_FORWARDED_FOR="5.5.5.5").status_code == 429


def test_widget_endpoints_need_no_jwt_and_ignore_a_bad_one(api, website):
    assert config(api, website.widget_key, HTTP_AUTHORIZATION="Bearer junk").status_code == 200


def test_wrong_methods_are_405(api, website):
    assert api.post(f"/widget/config/{website.widget_key}").status_code == 405
    assert api.delete(f"/widget/script/{website.widget_key}").status_code == 405
