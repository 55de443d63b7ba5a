"""/admin/login/ is throttled like the API login (issue 16, point 7)."""

import re

import pytest
from django.test import Client

from accounts.models import User
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
EMAIL = "staff@example.com"


@pytest.fixture
def staff(db):
    return User.objects.create_superuser(EMAIL, PASSWORD, name="Staff")


def admin_login(password="wrong-password-1", email=EMAIL, ip="127.0.0.1"):
    client = Client(REMOTE_ADDR=ip)
    response = client.post(LOGIN, {"username": email, "password": password, "next": "/admin/"})
    return response, client


def error_of(response) -> str:
    assert response.status_code == 200  # the form again, not a redirect
    match = re.search(rb'<p class="errornote">\s*(.*?)\s*</p>', response.content, re.S)
    assert match, response.content[:3000]
    return match.group(1).decode()


def assert_logged_in(response, client):
    assert response.status_code == 302, response.content[:2000]
    assert client.get("/admin/").status_code == 200


def test_the_right_password_logs_in(staff):
    assert_logged_in(*admin_login(PASSWORD))


def test_twelve_wrong_passwords_lock_the_ip_with_the_same_answer(staff, settings):
    settings.CHATELLY_RATE_LOGIN = "10/m"
    settings.CHATELLY_RATE_LOGIN_EMAIL = "100/m"
    wrong = [error_of(admin_login(email=f"guess{n}@example.com")[0]) for n in range(10)]
    throttled = [error_of(admin_login()[0]) for _ in range(2)]
    # No oracle: a throttled attempt reads exactly like a wrong password.
    assert set(wrong) == set(throttled) and len(set(wrong)) == 1
    # The right password is refused too while the IP is over its limit...
    response, client = admin_login(PASSWORD)
    assert error_of(response) == wrong[0]
    assert client.get("/admin/").status_code == 302  # still sent to the login page
    # ...and another IP is not affected by the per-IP counter.
    assert_logged_in(*admin_login(PASSWORD, ip="10.0.0.7"))


def test_an_account_is_locked_across_ips(staff, settings):
    settings.CHATELLY_RATE_LOGIN = "100/m"
    settings.CHATELLY_RATE_LOGIN_EMAIL = "5/m"
    for n in range(5):
        admin_login(ip=f"10.0.0.{n + 1}", email="STAFF@example.com")
    response, client = admin_login(PASSWORD, ip="10.0.1.1")
    assert error_of(response) == error_of(admin_login(email="nobody@example.com", ip="10.0.1.2")[0])
    assert client.get("/admin/").status_code == 302
    # Another account from the same IPs is not locked.
    other = User.objects.create_superuser("other@example.com", PASSWORD, name="Other")
    assert_logged_in(*admin_login(PASSWORD, email=other.email, ip="10.0.0.1"))


def test_the_admin_and_the_api_share_one_budget(staff, settings, api):
    settings.CHATELLY_RATE_LOGIN = "100/m"
    settings.CHATELLY_RATE_LOGIN_EMAIL = "3/m"
    for _ in range(3):
        admin_login(ip="10.0.2.1")
    response = api.post(
        "/api/v1/auth/login", {"email": EMAIL, "password": PASSWORD}, format="json", REMOTE_ADDR="10.0.2.2"
    )
    assert response.status_code == 429
