"""Cookie sessions for the dashboard: the refresh token in an HttpOnly cookie
that only /api/v1/auth/session/ receives, renewed and ended with a header a
cross-site form cannot send (docs/dashboard-api.md)."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from accounts.tokens import issue_token_pair
from conftest import PASSWORD, bearer

pytestmark = pytest.mark.django_db

COOKIE = "chatelly_refresh"
SESSION = {"HTTP_X_CHATELLY_SESSION": "1"}
REFRESH = "/api/v1/auth/session/refresh"
LOGOUT = "/api/v1/auth/session/logout"
NEW_PASSWORD = "another-Secret-phrase-7"
WEEK = 7 * 24 * 3600


def set_cookie(response):
    """The one Set-Cookie morsel of the refresh cookie in `response`."""
    assert COOKIE in response.cookies, response.headers
    return response.cookies[COOKIE]


def attributes(morsel) -> dict[str, str]:
    """The attributes the header actually carries (name -> value, "" for flags)."""
    parts = [part.strip() for part in morsel.OutputString().split(";")[1:]]
    out = {}
    for part in parts:
        name, _, value = part.partition("=")
        out[name.lower()] = value
    return out


def assert_live_cookie(response) -> str:
    morsel = set_cookie(response)
    attrs = attributes(morsel)
    assert set(attrs) == {"expires", "httponly", "max-age", "path", "samesite", "secure"}
    assert attrs["httponly"] == "" and attrs["secure"] == ""
    assert attrs["samesite"] == "Strict"
    assert attrs["path"] == "/api/v1/auth/session/"
    assert attrs["max-age"] == str(WEEK)
    assert morsel.value.count(".") == 2  # a JWT
    return morsel.value


def assert_cleared_cookie(response) -> None:
    morsel = set_cookie(response)
    attrs = attributes(morsel)
    assert morsel.value == ""
    assert attrs["max-age"] == "0"
    assert attrs["path"] == "/api/v1/auth/session/"
    assert {"httponly", "secure"} <= set(attrs) and attrs["samesite"] == "Strict"


def cookie_client(refresh: str | None) -> APIClient:
    client = APIClient()
    if refresh is not None:
        client.cookies[COOKIE] = refresh
    return client


def login(client, user_email="owner@example.com", **extra):
    return client.post(
        "/api/v1/auth/login",
        {"email": user_email, "password": PASSWORD, "refresh_cookie": True, **extra},
        format="json",
    )


# --- setting the cookie ---------------------------------------------------------


def test_login_with_refresh_cookie_sets_the_cookie_and_leaves_refresh_out_of_the_body(user):
    response = login(APIClient())
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"user", "access"}
    assert body["user"]["id"] == user.id
    assert_live_cookie(response)


def test_login_without_refresh_cookie_is_as_before(user):
    for extra in ({}, {"refresh_cookie": False}):
        response = APIClient().post(
            "/api/v1/auth/login", {"email": user.email, "password": PASSWORD, **extra}, format="json"
        )
        assert response.status_code == 200
        assert set(response.json()) == {"user", "access", "refresh"}
        assert COOKIE not in response.cookies


def test_register_with_refresh_cookie_sets_the_cookie(db):
    response = APIClient().post(
        "/api/v1/auth/register",
        {"email": "new@example.com", "password": PASSWORD, "name": "New", "refresh_cookie": True},
        format="json",
    )
    assert response.status_code == 201
    assert set(response.json()) == {"user", "access"}
    assert_live_cookie(response)


def test_the_cookie_lifetime_follows_the_refresh_lifetime(user, settings):
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "REFRESH_TOKEN_LIFETIME": timedelta(days=2)}
    assert attributes(set_cookie(login(APIClient())))["max-age"] == str(2 * 24 * 3600)


@pytest.mark.parametrize("value", ["yes", 1, 0, None, [], {}, "true"])
def test_refresh_cookie_must_be_a_boolean(user, value):
    response = login(APIClient(), refresh_cookie=value)
    assert response.status_code == 400
    assert "refresh_cookie" in response.json()["details"]
    assert COOKIE not in response.cookies


@pytest.mark.parametrize(
    "path, body",
    [
        ("/api/v1/auth/register", {"email": "x@example.com", "password": PASSWORD, "name": "X"}),
        ("/api/v1/auth/login", {"email": "owner@example.com", "password": PASSWORD}),
    ],
)
def test_a_refused_login_or_register_sets_no_cookie(user, path, body):
    broken = {**body, "password": 5, "refresh_cookie": True}
    response = APIClient().post(path, broken, format="json")
    assert response.status_code == 400
    assert COOKIE not in response.cookies
    wrong = APIClient().post(
        "/api/v1/auth/login",
        {"email": user.email, "password": "wrong-Password-1", "refresh_cookie": True},
        format="json",
    )
    assert wrong.status_code == 401
    assert COOKIE not in wrong.cookies


# --- refresh ----------------------------------------------------------------------


def test_refresh_answers_access_and_user_and_rotates_the_cookie(user):
    client = APIClient()
    old = assert_live_cookie(login(client))
    response = client.post(REFRESH, **SESSION)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "user"}
    assert body["user"]["email"] == user.email
    new = assert_live_cookie(response)
    assert new != old
    # The access token works.
    profile = APIClient().get("/api/v1/user/profile", HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert profile.status_code == 200
    # The old cookie is dead, and using it clears the cookie.
    stale = cookie_client(old).post(REFRESH, **SESSION)
    assert stale.status_code == 401
    assert stale.json()["error"] == "token_not_valid"
    assert_cleared_cookie(stale)
    # The new one still works (once).
    assert cookie_client(new).post(REFRESH, **SESSION).status_code == 200
    assert cookie_client(new).post(REFRESH, **SESSION).status_code == 401


def test_refresh_answers_with_and_without_trailing_slash(user):
    client = APIClient()
    login(client)
    assert client.post(REFRESH + "/", **SESSION).status_code == 200
    assert client.post(REFRESH, **SESSION).status_code == 200


def test_refresh_without_the_header_is_403_and_spends_nothing(user):
    client = APIClient()
    refresh = assert_live_cookie(login(client))
    for headers in ({}, {"HTTP_X_CHATELLY_SESSION": "0"}, {"HTTP_X_CHATELLY_SESSION": "true"}):
        response = client.post(REFRESH, **headers)
        assert response.status_code == 403
        assert response.json()["error"] == "permission_denied"
        assert COOKIE not in response.cookies
    assert cookie_client(refresh).post(REFRESH, **SESSION).status_code == 200


@pytest.mark.parametrize("value", [None, "", "garbage", "a.b.c", "x" * 5000])
def test_refresh_with_no_or_a_bad_cookie_is_401_and_clears_it(db, value):
    response = cookie_client(value).post(REFRESH, **SESSION)
    assert response.status_code == 401
    assert response.json()["error"] == "token_not_valid"
    assert_cleared_cookie(response)


def test_an_access_token_in_the_cookie_is_401(user):
    access = issue_token_pair(user)["access"]
    assert cookie_client(access).post(REFRESH, **SESSION).status_code == 401


def test_an_expired_cookie_is_401(user):
    token = RefreshToken.for_user(user)
    token["ver"] = user.token_version
    token.set_exp(lifetime=-timedelta(seconds=1))
    response = cookie_client(str(token)).post(REFRESH, **SESSION)
    assert response.status_code == 401
    assert_cleared_cookie(response)


def test_a_deactivated_users_cookie_is_401(user):
    client = APIClient()
    refresh = assert_live_cookie(login(client))
    services.user_deactivate(user=user)
    response = cookie_client(refresh).post(REFRESH, **SESSION)
    assert response.status_code == 401
    assert_cleared_cookie(response)


def test_refresh_ignores_a_body_and_an_authorization_header(user):
    client = APIClient()
    login(client)
    response = client.post(
        REFRESH,
        {"refresh": "whatever"},
        format="json",
        HTTP_AUTHORIZATION="Bearer nonsense",
        **SESSION,
    )
    assert response.status_code == 200


def test_refresh_is_rate_limited_like_the_rest_of_the_api(user, settings):
    settings.CHATELLY_RATE_API = "2/m"
    client = cookie_client("garbage")
    codes = [client.post(REFRESH, **SESSION).status_code for _ in range(3)]
    assert codes == [401, 401, 429]


def test_refresh_takes_only_post(user):
    client = APIClient()
    login(client)
    assert client.get(REFRESH, **SESSION).status_code == 405


# --- password change ----------------------------------------------------------------


def test_a_password_change_with_refresh_cookie_sets_a_new_cookie_and_kills_the_old(user):
    client = APIClient()
    old = assert_live_cookie(login(client))
    response = APIClient().post(
        "/api/v1/user/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "refresh_cookie": True},
        format="json",
        **bearer(user),
    )
    assert response.status_code == 200
    assert set(response.json()) == {"access"}
    new = assert_live_cookie(response)
    assert cookie_client(old).post(REFRESH, **SESSION).status_code == 401
    assert cookie_client(new).post(REFRESH, **SESSION).status_code == 200


def test_a_password_change_without_refresh_cookie_answers_both_tokens(user):
    response = APIClient().post(
        "/api/v1/user/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
        **bearer(user),
    )
    assert set(response.json()) == {"access", "refresh"}
    assert COOKIE not in response.cookies


def test_a_refused_password_change_sets_no_cookie_and_keeps_the_old_one(user):
    client = APIClient()
    old = assert_live_cookie(login(client))
    response = APIClient().post(
        "/api/v1/user/password",
        {"current_password": "wrong-Password-1", "new_password": NEW_PASSWORD, "refresh_cookie": True},
        format="json",
        **bearer(user),
    )
    assert response.status_code == 400
    assert COOKIE not in response.cookies
    assert cookie_client(old).post(REFRESH, **SESSION).status_code == 200


# --- logout ----------------------------------------------------------------------------


def test_logout_kills_the_refresh_token_and_clears_the_cookie(user):
    client = APIClient()
    refresh = assert_live_cookie(login(client))
    response = client.post(LOGOUT, **SESSION)
    assert response.status_code == 204
    assert response.content == b""
    assert_cleared_cookie(response)
    assert cookie_client(refresh).post(REFRESH, **SESSION).status_code == 401


@pytest.mark.parametrize("value", [None, "", "garbage"])
def test_logout_without_a_live_cookie_is_still_204(db, value):
    response = cookie_client(value).post(LOGOUT + "/", **SESSION)
    assert response.status_code == 204
    assert_cleared_cookie(response)


def test_logout_twice_is_204_both_times(user):
    client = APIClient()
    refresh = assert_live_cookie(login(client))
    assert cookie_client(refresh).post(LOGOUT, **SESSION).status_code == 204
    assert cookie_client(refresh).post(LOGOUT, **SESSION).status_code == 204


def test_logout_without_the_header_is_403_and_keeps_the_session(user):
    client = APIClient()
    refresh = assert_live_cookie(login(client))
    response = client.post(LOGOUT)
    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied"
    assert COOKIE not in response.cookies
    assert cookie_client(refresh).post(REFRESH, **SESSION).status_code == 200


# --- the contract in OpenAPI -----------------------------------------------------------


def test_the_schema_describes_the_cookie_session(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    scheme = schema["components"]["securitySchemes"]["refreshCookie"]
    assert scheme == {"type": "apiKey", "in": "cookie", "name": COOKIE}
    refresh = schema["paths"]["/api/v1/auth/session/refresh"]["post"]
    assert refresh["security"] == [{"refreshCookie": []}]
    header = next(p for p in refresh["parameters"] if p["name"] == "X-Chatelly-Session")
    assert header["in"] == "header" and header["required"] is True
    assert {"200", "401", "403"} <= set(refresh["responses"])
    assert "Set-Cookie" in refresh["responses"]["200"]["headers"]
    logout = schema["paths"]["/api/v1/auth/session/logout"]["post"]
    assert {"refreshCookie": []} in logout["security"]
    login_body = schema["components"]["schemas"]["LoginInputRequest"]["properties"]
    assert login_body["refresh_cookie"]["type"] == "boolean"
    assert "refresh" not in schema["components"]["schemas"]["AuthOutput"].get("required", [])
