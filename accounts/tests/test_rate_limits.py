import pytest

from accounts.models import User
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"
REGISTER = "/api/v1/auth/register"


def login(api, email="owner@example.com", password="wrong-password-1", **extra):
    return api.post(LOGIN, {"email": email, "password": password}, format="json", **extra)


def assert_rate_limited(response):
    assert response.status_code == 429
    assert response.json()["error"] == "rate_limited"
    assert response.json()["code"] == 429
    assert int(response["Retry-After"]) >= 1


def test_login_is_limited_per_ip_and_every_attempt_counts(api, user, settings):
    settings.CHATELLY_RATE_LOGIN = "3/m"
    settings.CHATELLY_RATE_LOGIN_EMAIL = "100/m"
    assert login(api, email="a@example.com").status_code == 401
    assert login(api, email="b@example.com").status_code == 401
    assert api.post(LOGIN, {}, format="json").status_code == 400  # an invalid attempt counts too
    response = login(api, password=PASSWORD)  # even the right password is refused now
    assert_rate_limited(response)
    # Another client IP is not affected.
    assert login(api, password=PASSWORD, REMOTE_ADDR="10.0.0.7").status_code == 200


def test_login_is_limited_per_email_across_ips(api, user, settings):
    settings.CHATELLY_RATE_LOGIN = "100/m"
    settings.CHATELLY_RATE_LOGIN_EMAIL = "2/m"
    assert login(api, REMOTE_ADDR="10.0.0.1").status_code == 401
    assert login(api, email="OWNER@example.com", REMOTE_ADDR="10.0.0.2").status_code == 401
    assert_rate_limited(login(api, password=PASSWORD, REMOTE_ADDR="10.0.0.3"))
    assert login(api, email="other@example.com", REMOTE_ADDR="10.0.0.4").status_code == 401


def test_a_spoofed_forwarded_for_changes_nothing_by_default(api, user, settings):
    settings.CHATELLY_RATE_LOGIN = "2/m"
    settings.CHATELLY_RATE_LOGIN_EMAIL = "100/m"
    assert login(api, HTTP_X_FORWARDED_FOR="1.1.1.1").status_code == 401
    assert login(api, HTTP_X_FORWARDED_FOR="2.2.2.2").status_code == 401
    assert_rate_limited(login(api, HTTP_X_FORWARDED_FOR="3.3.3.3"))


def test_forwarded_for_counts_through_trusted_proxies(api, user, settings):
    settings.CHATELLY_RATE_LOGIN = "1/m"
    settings.CHATELLY_RATE_LOGIN_EMAIL = "100/m"
    settings.CHATELLY_TRUSTED_PROXY_COUNT = 1
    assert login(api, HTTP_X_FORWARDED_FOR="9.9.9.9, 1.1.1.1").status_code == 401
    # The client may prepend anything; only the hop our proxy appended counts.
    assert_rate_limited(login(api, HTTP_X_FORWARDED_FOR="8.8.8.8, 1.1.1.1"))
    assert login(api, HTTP_X_FORWARDED_FOR="1.1.1.1, 2.2.2.2").status_code == 401


def test_register_is_limited_per_ip(api, settings):
    settings.CHATELLY_RATE_REGISTER = "2/h"
    for n in range(2):
        body = {"email": f"u{n}@example.com", "password": PASSWORD, "name": "U"}
        assert api.post(REGISTER, body, format="json").status_code == 201
    response = api.post(
        REGISTER, {"email": "u9@example.com", "password": PASSWORD, "name": "U"}, format="json"
    )
    assert_rate_limited(response)
    assert User.objects.count() == 2


def test_the_whole_api_is_limited_per_user(api, make_user, settings):
    from conftest import bearer

    settings.CHATELLY_RATE_API = "3/m"
    first, second = make_user(), make_user()
    for _ in range(3):
        assert api.get("/api/v1/user/profile", **bearer(first)).status_code == 200
    assert_rate_limited(api.get("/api/v1/user/profile", **bearer(first)))
    assert api.get("/api/v1/user/profile", **bearer(second)).status_code == 200
