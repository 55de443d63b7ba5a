import base64
import json
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts import services
from accounts.tokens import issue_token_pair
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

PROFILE = "/api/v1/user/profile"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"


def get_profile(api, token, scheme="Bearer"):
    return api.get(PROFILE, HTTP_AUTHORIZATION=f"{scheme} {token}")


def assert_token_not_valid(response):
    assert response.status_code == 401
    assert response.json()["error"] == "token_not_valid"
    assert response.json()["code"] == 401


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_no_credentials_is_not_authenticated(api, user):
    response = api.get(PROFILE)
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


def test_another_scheme_is_not_authenticated(api, user):
    response = get_profile(api, base64.b64encode(b"owner@example.com:" + PASSWORD.encode()).decode(), "Basic")
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


@pytest.mark.parametrize("garbage", ["abc", "a.b.c", "Bearer", ""])
def test_a_malformed_token_is_not_valid(api, user, garbage):
    response = get_profile(api, garbage)
    assert response.status_code == 401
    assert response.json()["error"] in {"token_not_valid", "not_authenticated"}


def test_an_expired_access_token_is_not_valid(api, user):
    token = AccessToken.for_user(user)
    token["ver"] = user.token_version
    token.set_exp(lifetime=-timedelta(seconds=1))
    assert_token_not_valid(get_profile(api, str(token)))


def test_a_tampered_token_is_not_valid(api, user):
    access = issue_token_pair(user)["access"]
    header, payload, signature = access.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["user_id"] = str(int(claims["user_id"]) + 1)
    assert_token_not_valid(get_profile(api, f"{header}.{_b64(claims)}.{signature}"))


def test_alg_none_is_not_valid(api, user):
    claims = jwt.decode(issue_token_pair(user)["access"], options={"verify_signature": False})
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    assert_token_not_valid(get_profile(api, unsigned))


def test_a_token_signed_with_another_key_is_not_valid(api, user):
    claims = jwt.decode(issue_token_pair(user)["access"], options={"verify_signature": False})
    forged = jwt.encode(claims, "not-the-server-key-" * 3, algorithm="HS256")
    assert_token_not_valid(get_profile(api, forged))


def test_a_refresh_token_is_not_an_access_token(api, user):
    assert_token_not_valid(get_profile(api, issue_token_pair(user)["refresh"]))


def test_an_access_token_is_not_a_refresh_token(api, user):
    response = api.post(REFRESH, {"refresh": issue_token_pair(user)["access"]}, format="json")
    assert_token_not_valid(response)


def test_refresh_rotates_and_the_old_token_dies(api, user):
    first = issue_token_pair(user)
    response = api.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert response.status_code == 200
    second = response.json()
    assert set(second) == {"access", "refresh"}
    assert second["refresh"] != first["refresh"]
    assert get_profile(api, second["access"]).status_code == 200
    assert_token_not_valid(api.post(REFRESH, {"refresh": first["refresh"]}, format="json"))
    # The rotated token still works once.
    assert api.post(REFRESH, {"refresh": second["refresh"]}, format="json").status_code == 200


def test_an_expired_refresh_token_is_not_valid(api, user):
    token = RefreshToken.for_user(user)
    token["ver"] = user.token_version
    token.set_exp(lifetime=-timedelta(seconds=1))
    assert_token_not_valid(api.post(REFRESH, {"refresh": str(token)}, format="json"))


@pytest.mark.parametrize("body", [{}, {"refresh": 5}, {"refresh": ""}, {"refresh": "x" * 5000}])
def test_refresh_validates_its_body(api, body):
    response = api.post(REFRESH, body, format="json")
    assert response.status_code == 400
    assert "refresh" in response.json()["details"]


def test_logout_kills_the_refresh_token_without_authorization(api, user):
    pair = issue_token_pair(user)
    response = api.post(LOGOUT, {"refresh": pair["refresh"]}, format="json")
    assert response.status_code == 204
    assert response.content == b""
    assert_token_not_valid(api.post(REFRESH, {"refresh": pair["refresh"]}, format="json"))
    assert_token_not_valid(api.post(LOGOUT, {"refresh": pair["refresh"]}, format="json"))


def test_logout_ignores_a_stale_authorization_header(api, user):
    pair = issue_token_pair(user)
    response = api.post(LOGOUT, {"refresh": pair["refresh"]}, format="json", HTTP_AUTHORIZATION="Bearer junk")
    assert response.status_code == 204


def test_logout_with_a_bad_token_is_not_valid(api, user):
    assert_token_not_valid(api.post(LOGOUT, {"refresh": "nope"}, format="json"))


def test_a_deactivated_users_tokens_fail_at_once(api, user):
    pair = issue_token_pair(user)
    services.user_deactivate(user=user)
    assert_token_not_valid(get_profile(api, pair["access"]))
    assert_token_not_valid(api.post(REFRESH, {"refresh": pair["refresh"]}, format="json"))


def test_a_deleted_users_token_is_not_valid(api, user):
    pair = issue_token_pair(user)
    user.delete()
    assert_token_not_valid(get_profile(api, pair["access"]))
    assert_token_not_valid(api.post(REFRESH, {"refresh": pair["refresh"]}, format="json"))


def test_token_lifetimes_come_from_settings(user):
    access = AccessToken(issue_token_pair(user)["access"])
    lifetime = access["exp"] - access["iat"]
    assert lifetime == settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()
