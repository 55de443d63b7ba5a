import pytest

from accounts.models import User
from accounts.tokens import issue_token_pair
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

PROFILE = "/api/v1/user/profile"
PASSWORD_URL = "/api/v1/user/password"
NEW_PASSWORD = "another-Secret-phrase-7"


def test_profile_shows_the_user(auth_api, user):
    body = auth_api.get(PROFILE).json()
    assert body["id"] == user.id
    assert body["email"] == "owner@example.com"
    assert body["plan"] == "free"


def test_put_replaces_name_and_email_and_ignores_read_only_fields(auth_api, user):
    response = auth_api.put(
        PROFILE,
        {
            "name": "Grace",
            "email": "Grace@Example.com",
            "plan": "business",
            "id": 999,
            "created_at": "2000-01-01",
        },
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Grace"
    assert body["email"] == "grace@example.com"
    assert body["plan"] == "free"
    assert body["id"] == user.id
    user.refresh_from_db()
    assert (user.plan, user.email) == ("free", "grace@example.com")


def test_put_needs_every_field(auth_api):
    response = auth_api.put(PROFILE, {"name": "Only name"}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()["details"]


def test_patch_changes_one_field(auth_api, user):
    response = auth_api.patch(PROFILE, {"name": "Renamed", "plan": "pro"}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
    assert response.json()["email"] == "owner@example.com"
    assert User.objects.get(id=user.id).plan == "free"


def test_patch_to_an_email_taken_in_another_case_is_refused(auth_api, make_user):
    make_user(email="taken@example.com")
    response = auth_api.patch(PROFILE, {"email": "TAKEN@example.com"}, format="json")
    assert response.status_code == 400
    assert response.json()["details"] == {"email": "A user with this email already exists."}


def test_patch_keeping_ones_own_email_is_fine(auth_api):
    assert auth_api.patch(PROFILE, {"email": "OWNER@example.com"}, format="json").status_code == 200


@pytest.mark.parametrize("body", [{"name": ""}, {"name": 3}, {"email": "bad"}, {"email": None}])
def test_patch_validates(auth_api, body):
    response = auth_api.patch(PROFILE, body, format="json")
    assert response.status_code == 400
    assert set(response.json()["details"]) == set(body)


def test_password_change_issues_new_tokens_and_kills_every_old_one(api, user):
    old_a = issue_token_pair(user)
    old_b = issue_token_pair(user)
    response = api.post(
        PASSWORD_URL,
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {old_a['access']}",
    )
    assert response.status_code == 200
    fresh = response.json()
    assert set(fresh) == {"access", "refresh"}
    for old in (old_a, old_b):
        assert api.get(PROFILE, HTTP_AUTHORIZATION=f"Bearer {old['access']}").status_code == 401
        assert api.post("/api/v1/auth/refresh", {"refresh": old["refresh"]}, format="json").status_code == 401
    assert api.get(PROFILE, HTTP_AUTHORIZATION=f"Bearer {fresh['access']}").status_code == 200
    assert api.post("/api/v1/auth/refresh", {"refresh": fresh["refresh"]}, format="json").status_code == 200
    login = api.post("/api/v1/auth/login", {"email": user.email, "password": NEW_PASSWORD}, format="json")
    assert login.status_code == 200
    old_login = api.post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD}, format="json")
    assert old_login.status_code == 401


def test_a_wrong_current_password_is_refused(auth_api, user):
    response = auth_api.post(
        PASSWORD_URL, {"current_password": "wrong-one-1", "new_password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"current_password"}
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_weak_new_password_is_refused(auth_api, user):
    response = auth_api.post(
        PASSWORD_URL, {"current_password": PASSWORD, "new_password": "123"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"new_password"}
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    "body", [{}, {"current_password": PASSWORD}, {"current_password": 1, "new_password": 2}]
)
def test_password_change_validates_its_body(auth_api, body):
    response = auth_api.post(PASSWORD_URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"


def test_password_change_needs_authentication(api):
    response = api.post(PASSWORD_URL, {"current_password": "a", "new_password": "b"}, format="json")
    assert response.status_code == 401
