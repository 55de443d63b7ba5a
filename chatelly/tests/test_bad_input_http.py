"""Bad input over HTTP is a 400 in the one error shape, never a 500 (issue 16, point 5).

A NUL (U+0000, which PostgreSQL cannot store or compare), dates at the ends of
the calendar, numbers past any column, and JSON nested past Python's recursion
limit: each reaches the view that used to crash on it.
"""

import json

import pytest

from chat import services
from chat.models import Chat

pytestmark = pytest.mark.django_db

NUL = "a\x00b"


@pytest.fixture
def chat(site):
    visitor = services.visitor_connect(website_id=site.id, visitor_id=None, user_agent="UA/1")
    posted = services.visitor_message_post(
        site={"id": site.id, "settings": site.settings}, visitor=visitor, content="Hello", client_id="c1"
    )
    return Chat.objects.get(id=posted.message.chat_id)


def assert_400(response, field: str | None = None, error: str = "validation_error") -> dict:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    body = response.json()
    assert body["error"] == error and body["code"] == 400 and body["message"]
    if field is not None:
        assert field in body.get("details", {}), body
    return body


def _post_raw(client, path: str, raw: str, method: str = "post"):
    return getattr(client, method)(path, data=raw, content_type="application/json")


# --- query parameters ---------------------------------------------------------


@pytest.mark.parametrize("param", ["search", "visitor_id", "status"])
def test_a_nul_in_a_chat_list_parameter_is_400(owner_api, site, chat, param):
    assert_400(owner_api.get(f"/api/v1/websites/{site.id}/chats", {param: NUL}), param)


@pytest.mark.parametrize(
    "path", ["/api/v1/websites", "/api/v1/websites/{site}/members", "/api/v1/websites/{site}/chats"]
)
@pytest.mark.parametrize(
    "params, field",
    [
        ({"page": "1e400"}, "page"),
        ({"page": str(10**30)}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "0"}, "page"),
        ({"page": NUL}, "page"),
        ({"page_size": str(-(10**30))}, "page_size"),
        ({"page_size": "-1"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": NUL}, "page_size"),
    ],
)
def test_absurd_page_parameters_are_400(owner_api, site, path, params, field):
    assert_400(owner_api.get(path.format(site=site.id), params), field)


def test_a_huge_page_size_is_still_clamped_to_100(owner_api, site):
    body = owner_api.get("/api/v1/websites", {"page_size": str(10**30)}).json()
    assert body["count"] == 1 and len(body["results"]) == 1


@pytest.mark.parametrize(
    "params, field",
    [
        ({"after": str(10**30)}, "after"),
        ({"after": str(2**63)}, "after"),
        ({"after": "-1"}, "after"),
        ({"after": NUL}, "after"),
        ({"limit": str(-(10**30))}, "limit"),
        ({"limit": NUL}, "limit"),
        ({"after": "\uff11\uff12"}, "after"),  # fullwidth "12": int() takes it, the contract does not
    ],
)
def test_absurd_message_page_parameters_are_400(owner_api, chat, params, field):
    assert_400(owner_api.get(f"/api/v1/chats/{chat.id}/messages", params), field)


def test_a_huge_limit_is_clamped(owner_api, chat):
    body = owner_api.get(f"/api/v1/chats/{chat.id}/messages", {"limit": str(10**30)}).json()
    assert [m["content"] for m in body["results"]] == ["Hello"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"from": "9999-12-31"}, "from"),
        ({"from": "9999-12-20", "to": "9999-12-31"}, "to"),
        ({"to": "9999-12-31"}, "to"),
        ({"to": "0001-01-01"}, "to"),
        ({"from": "0001-01-01", "to": "0001-01-05"}, "from"),
        ({"from": "2026-01-01\x00"}, "from"),
        ({"tz": NUL}, "tz"),
        ({"tz": "../../etc/passwd"}, "tz"),
        ({"tz": "x" * 10_000}, "tz"),
        ({"tz": "Europe/Berlin", "from": "9999-12-31"}, "from"),
        ({"format": NUL}, "format"),
        ({"format": "xml"}, "format"),
    ],
)
@pytest.mark.parametrize("which", ["dashboard", "website"])
def test_out_of_range_analytics_parameters_are_400(owner_api, site, params, field, which):
    path = "/api/v1/analytics/dashboard" if which == "dashboard" else f"/api/v1/analytics/websites/{site.id}"
    assert_400(owner_api.get(path, params), field)


# --- JSON bodies ----------------------------------------------------------------


def _nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def _nested_list(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [5_000, 100_000])
@pytest.mark.parametrize("shape", ["object", "list", "mixed"])
def test_deeply_nested_settings_are_400(owner_api, site, depth, shape):
    inner = {
        "object": _nested(depth),
        "list": _nested_list(depth),
        "mixed": '[{"a":' * depth + "1" + "}]" * depth,
    }
    raw = '{"name": "S", "domain": "s.example.com", "settings": {"title": ' + inner[shape] + "}}"
    response = _post_raw(owner_api, f"/api/v1/websites/{site.id}", raw, "patch")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"] in ("validation_error", "parse_error")


@pytest.mark.parametrize(
    "path, method",
    [
        ("/api/v1/auth/login", "post"),
        ("/api/v1/websites", "post"),
        ("/api/v1/user/profile", "patch"),
        ("/api/v1/chats/{chat}/messages", "post"),
    ],
)
def test_a_body_nested_100k_deep_is_400(owner_api, chat, path, method):
    response = _post_raw(owner_api, path.format(chat=chat.id), _nested_list(100_000), method)
    assert_400(response, error="parse_error")


def test_a_settings_value_nested_deeper_than_any_key_allows_is_a_settings_error(owner_api, site):
    raw = '{"settings": {"business_hours": ' + _nested(5_000) + "}}"
    body = assert_400(_post_raw(owner_api, f"/api/v1/websites/{site.id}", raw, "patch"))
    assert any(key.startswith("settings") for key in body["details"]), body


@pytest.mark.parametrize(
    "value, field",
    [
        ({"title": NUL}, "settings.title"),
        ({"greeting": NUL}, "settings.greeting"),
        ({"away_message": NUL}, "settings.away_message"),
        ({"locale": "en\x00"}, "settings.locale"),
        ({"color": "#ffffff\x00"}, "settings.color"),
        ({"business_hours": {"timezone": "UTC\x00", "days": {}}}, "settings.business_hours.timezone"),
        ({"business_hours": {"timezone": "UTC", "days": {"mon": [["09:00\n", "17:00"]]}}}, None),
        ({"allowed_origins": ["https://a.example.com\x00"]}, "settings.allowed_origins.0"),
        ({"auto_replies": [{"keywords": [NUL], "reply": "hi"}]}, "settings.auto_replies.0.keywords.0"),
        ({"auto_replies": [{"keywords": ["hi"], "reply": NUL}]}, "settings.auto_replies.0.reply"),
        ({"\x00": 1}, "settings"),
    ],
)
def test_a_nul_in_website_settings_is_400(owner_api, site, value, field):
    response = owner_api.patch(f"/api/v1/websites/{site.id}", {"settings": value}, format="json")
    body = assert_400(response)
    assert any(key.startswith("settings") for key in body["details"]), body
    if field is not None:
        assert field in body["details"], body
    site.refresh_from_db()
    assert site.settings == {}


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": NUL, "domain": "a.example.com"}, "name"),
        ({"name": "S", "domain": "a.example.com\x00"}, "domain"),
        ({"name": "S", "domain": "a.example.com", "max_users": 10**40}, "max_users"),
        ({"name": "S", "domain": "a.example.com", "max_users": -(10**40)}, "max_users"),
    ],
)
def test_bad_website_bodies_are_400(owner_api, body, field):
    assert_400(owner_api.post("/api/v1/websites", body, format="json"), field)


@pytest.mark.parametrize("literal", ["1e400", "-1e400", "1" * 5000, "NaN", "Infinity"])
def test_absurd_json_numbers_are_400(owner_api, literal):
    raw = '{"name": "S", "domain": "a.example.com", "max_users": ' + literal + "}"
    response = _post_raw(owner_api, "/api/v1/websites", raw)
    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"] in ("validation_error", "parse_error")


@pytest.mark.parametrize("user_id", [10**40, -(10**40), 2**63, 2**31])
def test_an_absurd_assignee_is_400(owner_api, chat, user_id):
    response = owner_api.post(f"/api/v1/chats/{chat.id}/assign", {"user_id": user_id}, format="json")
    assert_400(response, "user_id")


@pytest.mark.parametrize("attachment_id", [10**40, 2**63])
def test_an_absurd_attachment_id_is_400(owner_api, chat, attachment_id):
    body = {"content": "x", "attachment_id": attachment_id}
    assert_400(owner_api.post(f"/api/v1/chats/{chat.id}/messages", body, format="json"), "attachment_id")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"content": NUL}, "content"),
        ({"content": "hi", "client_id": NUL}, "client_id"),
    ],
)
def test_a_nul_in_a_message_body_is_400(owner_api, chat, body, field):
    assert_400(owner_api.post(f"/api/v1/chats/{chat.id}/messages", body, format="json"), field)


@pytest.mark.parametrize(
    "path, method, body, field",
    [
        ("/api/v1/auth/login", "post", {"email": NUL, "password": "x"}, "email"),
        (
            "/api/v1/auth/register",
            "post",
            {"email": "a@example.com", "password": NUL, "name": "A"},
            "password",
        ),
        (
            "/api/v1/auth/register",
            "post",
            {"email": "a@example.com", "password": "pw-Long-enough-1", "name": NUL},
            "name",
        ),
        ("/api/v1/auth/refresh", "post", {"refresh": NUL}, "refresh"),
        ("/api/v1/user/profile", "patch", {"name": NUL}, "name"),
        ("/api/v1/user/profile", "put", {"name": "A", "email": "a\x00@example.com"}, "email"),
        ("/api/v1/user/password", "post", {"current_password": NUL, "new_password": "x"}, "current_password"),
        ("/api/v1/websites/{site}/members", "post", {"email": "b\x00@example.com", "role": "agent"}, "email"),
        ("/api/v1/websites/{site}/members", "post", {"email": "b@example.com", "role": "agent\x00"}, "role"),
    ],
)
def test_a_nul_in_any_body_string_is_400(owner_api, site, path, method, body, field):
    response = getattr(owner_api, method)(path.format(site=site.id), body, format="json")
    assert_400(response, field)


def test_json_with_a_lone_surrogate_is_400(owner_api, site):
    # "\ud800" is valid JSON text but no UTF-8 string: PostgreSQL cannot store it either.
    raw = json.dumps({"settings": {"title": "\ud800"}})
    assert_400(_post_raw(owner_api, f"/api/v1/websites/{site.id}", raw, "patch"))
