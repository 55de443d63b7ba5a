import pytest

from chat import presence
from websites import services

pytestmark = pytest.mark.django_db

PRIVATE = {
    "allowed_origins": ["https://app.example.org"],
    "auto_replies": [{"keywords": ["x"], "reply": "y"}],
}
PUBLIC = {"title": "Help", "color": "#112233", "greeting": "Hi", "require_email": True, "locale": "en"}


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
