import re
from datetime import date, timedelta

import pytest

from websites.models import Membership, Website

pytestmark = pytest.mark.django_db

URL = "/api/v1/websites"


def create(api, **body):
    body.setdefault("name", "Shop")
    body.setdefault("domain", "shop.example.com")
    return api.post(URL, body, format="json")


def test_create_makes_the_caller_owner(auth_api, user):
    response = create(auth_api, widget_key="mine", user_id=999, id=5, role="agent")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id", "user_id", "name", "domain", "widget_key", "max_users", "is_active", "settings", "role",
        "created_at", "updated_at",
    }  # fmt: skip
    assert body["user_id"] == user.id
    assert body["role"] == "owner"
    assert body["settings"] == {}
    assert body["max_users"] == 100
    assert body["is_active"] is True
    assert body["widget_key"] != "mine"
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", body["widget_key"])  # 192 bits, URL-safe
    assert Membership.objects.get(website_id=body["id"]).role == "owner"


def test_widget_keys_are_unique_and_random(auth_api, user):
    user.plan = "business"
    user.save()
    keys = {create(auth_api, name=f"S{n}").json()["widget_key"] for n in range(10)}
    assert len(keys) == 10


@pytest.mark.parametrize(
    "given, stored",
    [
        ("Shop.Example.COM.", "shop.example.com"),
        ("localhost", "localhost"),
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "::1"),
        ("*.Example.com", "*.example.com"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("a-b.c-d.example", "a-b.c-d.example"),
    ],
)
def test_valid_domains_are_normalised(auth_api, given, stored):
    response = create(auth_api, domain=given)
    assert response.status_code == 201, response.json()
    assert response.json()["domain"] == stored


@pytest.mark.parametrize(
    "domain",
    [
        "https://shop.example.com",
        "shop.example.com/path",
        "shop.example.com:8080",
        "shop example.com",
        " shop.example.com",
        "",
        "-bad.example.com",
        "bad-.example.com",
        "*.",
        "*.*.example.com",
        "a..b.com",
        "user@example.com",
        "x" * 64 + ".com",
        ("a" * 60 + ".") * 5 + "com",
        5,
        None,
        ["shop.example.com"],
    ],
)
def test_invalid_domains_are_refused(auth_api, domain):
    response = create(auth_api, domain=domain)
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"domain"}
    assert not Website.objects.exists()


GOOD_SETTINGS = {
    "title": "Talk to us",
    "color": "#AABBCC",
    "position": "left",
    "greeting": "Hi!",
    "away_message": "We are away.",
    "require_email": True,
    "locale": "de-DE",
    "business_hours": {"timezone": "Europe/Berlin", "days": {"mon": [["09:00", "17:00"]], "sat": []}},
    "holidays": ["2026-12-24", "2028-02-29"],
    "offline_mode": "form",
    "allowed_origins": ["https://App.Example.com", "http://localhost:3000"],
    "auto_replies": [{"keywords": ["price", "cost"], "reply": "See /pricing"}],
}


def test_all_documented_settings_are_accepted(auth_api):
    response = create(auth_api, settings=GOOD_SETTINGS)
    assert response.status_code == 201, response.json()
    stored = response.json()["settings"]
    assert stored["color"] == "#aabbcc"
    assert stored["allowed_origins"] == ["https://app.example.com", "http://localhost:3000"]
    assert stored["business_hours"]["days"]["mon"] == [["09:00", "17:00"]]
    assert stored["holidays"] == ["2026-12-24", "2028-02-29"]
    assert stored["offline_mode"] == "form"


@pytest.mark.parametrize("mode", ["live", "form", "hidden"])
def test_every_offline_mode_is_accepted(auth_api, mode):
    response = create(auth_api, settings={"offline_mode": mode, "holidays": []})
    assert response.status_code == 201, response.json()
    assert response.json()["settings"] == {"offline_mode": mode, "holidays": []}


def test_up_to_366_holidays_are_accepted(auth_api):
    days = [(date(2028, 1, 1) + timedelta(days=n)).isoformat() for n in range(366)]  # a leap year
    response = create(auth_api, settings={"holidays": days})
    assert response.status_code == 201, response.json()
    assert response.json()["settings"]["holidays"] == days


@pytest.mark.parametrize(
    "value, key",
    [
        ({"colour": "#ffffff"}, "settings.colour"),
        ({"title": "x" * 61}, "settings.title"),
        ({"title": 5}, "settings.title"),
        ({"color": "red"}, "settings.color"),
        ({"color": "#fffffff"}, "settings.color"),
        ({"position": "top"}, "settings.position"),
        ({"greeting": "x" * 1001}, "settings.greeting"),
        ({"away_message": ["no"]}, "settings.away_message"),
        ({"require_email": "yes"}, "settings.require_email"),
        ({"require_email": 1}, "settings.require_email"),
        ({"locale": "english please"}, "settings.locale"),
        ({"business_hours": []}, "settings.business_hours"),
        ({"business_hours": {"timezone": "Mars/Base", "days": {}}}, "settings.business_hours.timezone"),
        (
            {"business_hours": {"timezone": "UTC", "days": {"funday": []}}},
            "settings.business_hours.days.funday",
        ),
        (
            {"business_hours": {"timezone": "UTC", "days": {"mon": [["17:00", "09:00"]]}}},
            "settings.business_hours.days.mon.0",
        ),
        (
            {"business_hours": {"timezone": "UTC", "days": {"mon": [["9", "17"]]}}},
            "settings.business_hours.days.mon.0",
        ),
        ({"business_hours": {"timezone": "UTC", "extra": 1}}, "settings.business_hours.extra"),
        ({"holidays": "2026-12-24"}, "settings.holidays"),
        ({"holidays": {"2026-12-24": True}}, "settings.holidays"),
        ({"holidays": [20261224]}, "settings.holidays.0"),
        ({"holidays": [None]}, "settings.holidays.0"),
        ({"holidays": ["2026-12-24", "2026-02-30"]}, "settings.holidays.1"),
        ({"holidays": ["2027-02-29"]}, "settings.holidays.0"),
        ({"holidays": ["2026-13-01"]}, "settings.holidays.0"),
        ({"holidays": ["2026-1-5"]}, "settings.holidays.0"),
        ({"holidays": ["20261224"]}, "settings.holidays.0"),
        ({"holidays": ["2026-12-24T00:00"]}, "settings.holidays.0"),
        ({"holidays": ["2026-12-24\n"]}, "settings.holidays.0"),
        ({"holidays": ["2026-12-24\x00"]}, "settings.holidays.0"),
        ({"holidays": ["\uff12\uff10\uff12\uff16-12-24"]}, "settings.holidays.0"),
        ({"holidays": ["2026-12-24", "2026-12-25", "2026-12-24"]}, "settings.holidays.2"),
        ({"holidays": ["2026-01-01"] * 367}, "settings.holidays"),
        ({"offline_mode": "away"}, "settings.offline_mode"),
        ({"offline_mode": "Live"}, "settings.offline_mode"),
        ({"offline_mode": "live\x00"}, "settings.offline_mode"),
        ({"offline_mode": None}, "settings.offline_mode"),
        ({"offline_mode": ["live"]}, "settings.offline_mode"),
        ({"offline_mode": True}, "settings.offline_mode"),
        ({"allowed_origins": "https://a.com"}, "settings.allowed_origins"),
        ({"allowed_origins": ["a.com"]}, "settings.allowed_origins.0"),
        ({"allowed_origins": ["https://a.com/path"]}, "settings.allowed_origins.0"),
        ({"allowed_origins": ["ftp://a.com"]}, "settings.allowed_origins.0"),
        ({"allowed_origins": ["https://a.com"] * 51}, "settings.allowed_origins"),
        ({"auto_replies": {"keywords": []}}, "settings.auto_replies"),
        ({"auto_replies": [{"keywords": [], "reply": "x"}]}, "settings.auto_replies.0.keywords"),
        ({"auto_replies": [{"keywords": ["a", 5], "reply": "x"}]}, "settings.auto_replies.0.keywords.1"),
        ({"auto_replies": [{"keywords": ["a"], "reply": ""}]}, "settings.auto_replies.0.reply"),
        ({"auto_replies": [{"keywords": ["a"]}]}, "settings.auto_replies.0"),
        ({"auto_replies": [{"keywords": ["a"], "reply": "x", "extra": 1}]}, "settings.auto_replies.0"),
    ],
)
def test_bad_settings_name_the_key(auth_api, value, key):
    response = create(auth_api, settings=value)
    assert response.status_code == 400
    assert list(response.json()["details"]) == [key]
    assert not Website.objects.exists()


@pytest.mark.parametrize("value", ["{}", [], 5, None])
def test_settings_must_be_an_object(auth_api, value):
    response = create(auth_api, settings=value)
    assert response.status_code == 400
    assert list(response.json()["details"]) == ["settings"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": 5}, "name"),
        ({"name": "x" * 256}, "name"),
        ({"max_users": 0}, "max_users"),
        ({"max_users": "5"}, "max_users"),
        ({"max_users": 5.5}, "max_users"),
        ({"max_users": True}, "max_users"),
        ({"is_active": "yes"}, "is_active"),
        ({"is_active": 1}, "is_active"),
    ],
)
def test_other_fields_are_validated(auth_api, body, field):
    response = create(auth_api, **body)
    assert response.status_code == 400
    assert field in response.json()["details"]


def test_name_and_domain_are_required(auth_api):
    response = auth_api.post(URL, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"name", "domain"}


def test_free_plan_allows_three_websites(auth_api):
    for n in range(3):
        assert create(auth_api, name=f"S{n}").status_code == 201
    response = create(auth_api, name="fourth")
    assert response.status_code == 403
    assert response.json()["error"] == "plan_limit"
    assert Website.objects.count() == 3


def test_max_users_is_capped_by_the_plan(auth_api, user):
    response = create(auth_api, max_users=101)
    assert response.status_code == 403
    assert response.json()["error"] == "plan_limit"
    user.plan = "pro"
    user.save()
    assert create(auth_api, max_users=1000).status_code == 201
    assert create(auth_api, max_users=1001).json()["error"] == "plan_limit"


def test_update_over_the_plan_is_refused(auth_api, website):
    response = auth_api.patch(f"{URL}/{website.id}", {"max_users": 500}, format="json")
    assert response.status_code == 403
    assert response.json()["error"] == "plan_limit"
    website.refresh_from_db()
    assert website.max_users == 100


def test_business_plan_has_no_website_limit(auth_api, user, settings):
    user.plan = "business"
    user.save()
    settings.CHATELLY_PLANS = {
        **settings.CHATELLY_PLANS,
        "business": {"websites": None, "max_users": 100_000},
    }
    for n in range(5):
        assert create(auth_api, name=f"S{n}").status_code == 201
    assert create(auth_api, max_users=100_000).status_code == 201


def test_list_shows_only_the_callers_websites_with_their_role(api, make_user, make_website):
    from conftest import bearer

    alice, bob = make_user(), make_user()
    mine = make_website(owner=alice, name="Alice's")
    theirs = make_website(owner=bob, name="Bob's")
    make_website(owner=bob, name="Bob's private")
    Membership.objects.create(website=theirs, user=alice, role="agent")
    body = api.get(URL, **bearer(alice)).json()
    assert body["count"] == 2
    assert body["next"] is None and body["previous"] is None
    roles = {item["id"]: item["role"] for item in body["results"]}
    assert roles == {mine.id: "owner", theirs.id: "agent"}


def test_list_is_paginated_with_bounded_queries(auth_api, user, make_website, django_assert_max_num_queries):
    user.plan = "business"
    user.save()
    for n in range(50):
        make_website(name=f"S{n}")
    with django_assert_max_num_queries(4):
        page = auth_api.get(URL, {"page_size": 100}).json()
    assert page["count"] == 50 and len(page["results"]) == 50
    page = auth_api.get(URL, {"page_size": 20, "page": 3}).json()
    assert len(page["results"]) == 10 and page["next"] is None and page["previous"]
    assert len(auth_api.get(URL, {"page_size": 500}).json()["results"]) == 50  # clamped to 100
    assert auth_api.get(URL, {"page": 9}).status_code == 404


def test_a_foreign_or_unknown_website_is_404(api, make_user, make_website):
    from conftest import bearer

    stranger = make_user()
    website = make_website()
    for path in (f"{URL}/{website.id}", f"{URL}/{website.id}/members", f"{URL}/999999"):
        response = api.get(path, **bearer(stranger))
        assert response.status_code == 404, path
        assert response.json()["error"] == "not_found"
    assert (
        api.patch(f"{URL}/{website.id}", {"name": "x"}, format="json", **bearer(stranger)).status_code == 404
    )
    assert api.delete(f"{URL}/{website.id}", **bearer(stranger)).status_code == 404
    assert api.post(f"{URL}/{website.id}/rotate-key", **bearer(stranger)).status_code == 404


def test_put_replaces_settings_whole_and_ignores_read_only_fields(auth_api, make_website):
    website = make_website(settings={"title": "Old", "color": "#000000"})
    response = auth_api.put(
        f"{URL}/{website.id}",
        {
            "name": "New",
            "domain": "new.example.com",
            "settings": {"title": "New"},
            "widget_key": "x",
            "user_id": 1,
        },
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["settings"] == {"title": "New"}
    assert body["widget_key"] == website.widget_key
    assert (body["name"], body["domain"]) == ("New", "new.example.com")


def test_put_needs_name_and_domain(auth_api, website):
    response = auth_api.put(f"{URL}/{website.id}", {"name": "New"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"domain"}


def test_patch_changes_only_what_is_given(auth_api, make_website):
    website = make_website(settings={"title": "Keep"})
    response = auth_api.patch(f"{URL}/{website.id}/", {"is_active": False}, format="json")
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert response.json()["settings"] == {"title": "Keep"}


def test_delete_removes_the_website_and_its_memberships(auth_api, website, make_user):
    Membership.objects.create(website=website, user=make_user(), role="agent")
    assert auth_api.delete(f"{URL}/{website.id}").status_code == 204
    assert not Website.objects.filter(id=website.id).exists()
    assert not Membership.objects.filter(website_id=website.id).exists()
    assert auth_api.get(f"{URL}/{website.id}").status_code == 404


def test_rotate_key_gives_a_new_key(auth_api, website):
    response = auth_api.post(f"{URL}/{website.id}/rotate-key")
    assert response.status_code == 200
    assert response.json()["widget_key"] != website.widget_key
    website.refresh_from_db()
    assert website.widget_key == response.json()["widget_key"]
