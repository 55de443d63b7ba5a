import pytest

from accounts.models import User
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"


def register(api, **overrides):
    body = {"email": "new@example.com", "password": PASSWORD, "name": "New Person", **overrides}
    return api.post(REGISTER, body, format="json")


def test_register_creates_a_free_user_and_answers_with_tokens(api):
    response = register(api, email="  New@Example.COM ")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"user", "access", "refresh"}
    assert set(body["user"]) == {"id", "email", "name", "plan", "created_at", "updated_at"}
    assert body["user"]["email"] == "new@example.com"
    assert body["user"]["plan"] == "free"
    profile = api.get("/api/v1/user/profile", HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert profile.status_code == 200
    assert profile.json()["id"] == body["user"]["id"]


def test_password_is_hashed_with_bcrypt_sha256(api):
    register(api)
    user = User.objects.get(email="new@example.com")
    assert user.password.startswith("bcrypt_sha256$")
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize("email", ["new@example.com", "NEW@example.com", "New@Example.Com"])
def test_register_refuses_an_email_taken_in_any_case(api, email):
    assert register(api).status_code == 201
    response = register(api, email=email)
    assert response.status_code == 400
    assert response.json() == {
        "error": "validation_error",
        "message": "Some fields are invalid.",
        "code": 400,
        "details": {"email": "A user with this email already exists."},
    }
    assert User.objects.count() == 1


@pytest.mark.parametrize("password", ["short1", "password123", "12345678901", "newexample1"])
def test_register_refuses_weak_passwords(api, password):
    response = register(api, email="newexample1@example.com", password=password)
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"password"}
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"password": PASSWORD, "name": "X"}, "email"),
        ({"email": "a@example.com", "name": "X"}, "password"),
        ({"email": "a@example.com", "password": PASSWORD}, "name"),
        ({"email": "not-an-email", "password": PASSWORD, "name": "X"}, "email"),
        ({"email": 42, "password": PASSWORD, "name": "X"}, "email"),
        ({"email": "a@example.com", "password": PASSWORD, "name": ["X"]}, "name"),
        ({"email": "a@example.com", "password": {"p": 1}, "name": "X"}, "password"),
        ({"email": "a@example.com", "password": PASSWORD, "name": "x" * 256}, "name"),
        ({"email": "a" * 250 + "@example.com", "password": PASSWORD, "name": "X"}, "email"),
        ({"email": "a@example.com", "password": PASSWORD, "name": "   "}, "name"),
    ],
)
def test_register_validates_every_field(api, body, field):
    response = api.post(REGISTER, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"
    assert field in response.json()["details"]
    assert not User.objects.exists()


def test_register_ignores_plan_id_and_staff_flags(api, make_user):
    other = make_user()
    response = register(api, plan="business", id=other.id, is_staff=True, is_superuser=True)
    assert response.status_code == 201
    user = User.objects.get(email="new@example.com")
    assert user.plan == "free"
    assert user.id != other.id
    assert not user.is_staff and not user.is_superuser


def test_a_json_array_body_is_a_validation_error(api):
    response = api.post(REGISTER, [1, 2], format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"


def test_login_answers_user_and_tokens_ignoring_email_case(api, user):
    response = api.post(LOGIN, {"email": "OWNER@example.com", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert response.json()["user"]["email"] == "owner@example.com"
    assert {"access", "refresh"} <= set(response.json())


@pytest.mark.parametrize(
    "email, password",
    [("owner@example.com", "wrong-password-1"), ("nobody@example.com", PASSWORD)],
)
def test_wrong_password_and_unknown_email_get_the_same_answer(api, user, email, password):
    response = api.post(LOGIN, {"email": email, "password": password}, format="json")
    assert response.status_code == 401
    assert response.json() == {
        "error": "authentication_failed",
        "message": "Invalid email or password.",
        "code": 401,
    }


def test_an_inactive_user_cannot_log_in(api, make_user):
    make_user(email="gone@example.com", is_active=False)
    response = api.post(LOGIN, {"email": "gone@example.com", "password": PASSWORD}, format="json")
    assert response.status_code == 401
    assert response.json()["error"] == "authentication_failed"


@pytest.mark.parametrize(
    "body", [{}, {"email": "a@example.com"}, {"password": "x"}, {"email": 1, "password": 2}]
)
def test_login_validates_its_body(api, body):
    response = api.post(LOGIN, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"


def test_bcrypt_sha256_is_the_configured_default_hasher():
    from chatelly import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.BCryptSHA256PasswordHasher"
