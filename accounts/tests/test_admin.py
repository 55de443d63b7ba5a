import pytest

from accounts.models import User
from accounts.tokens import issue_token_pair
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_changelist_searches_email_and_name_and_filters(staff_client, make_user):
    make_user(email="alice@example.com", name="Alice Wonder")
    make_user(email="bob@example.com", name="Bob", plan="pro")
    page = staff_client.get("/admin/accounts/user/", {"q": "wonder"})
    assert page.status_code == 200
    assert b"alice@example.com" in page.content and b"bob@example.com" not in page.content
    page = staff_client.get("/admin/accounts/user/", {"plan__exact": "pro"})
    assert b"bob@example.com" in page.content and b"alice@example.com" not in page.content
    page = staff_client.get("/admin/accounts/user/", {"is_active__exact": "1"})
    assert page.status_code == 200


def test_adding_a_user_hashes_the_password(staff_client):
    response = staff_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "Added@Example.com",
            "name": "Added",
            "plan": "pro",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    user = User.objects.get(email="added@example.com")
    assert user.password.startswith("bcrypt_sha256$")
    assert user.check_password(PASSWORD)
    assert user.plan == "pro"


def test_adding_a_duplicate_email_in_another_case_is_refused(staff_client, make_user):
    make_user(email="dup@example.com")
    response = staff_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "DUP@example.com",
            "name": "D",
            "plan": "free",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 200
    assert b"already exists" in response.content
    assert User.objects.filter(email="dup@example.com").count() == 1


def test_deactivate_action_kills_tokens(staff_client, make_user, api):
    victim = make_user(email="victim@example.com")
    pair = issue_token_pair(victim)
    response = staff_client.post(
        "/admin/accounts/user/", {"action": "deactivate_users", "_selected_action": [victim.pk]}
    )
    assert response.status_code == 302
    victim.refresh_from_db()
    assert not victim.is_active
    assert api.get("/api/v1/user/profile", HTTP_AUTHORIZATION=f"Bearer {pair['access']}").status_code == 401
    assert api.post("/api/v1/auth/refresh", {"refresh": pair["refresh"]}, format="json").status_code == 401


def test_changing_plan_and_unticking_active_in_the_form(staff_client, make_user, api):
    target = make_user(email="target@example.com")
    pair = issue_token_pair(target)
    page = staff_client.get(f"/admin/accounts/user/{target.pk}/change/")
    assert page.status_code == 200
    response = staff_client.post(
        f"/admin/accounts/user/{target.pk}/change/",
        {
            "email": "target@example.com",
            "name": "Target",
            "plan": "business",
            "is_active": "",
            "last_login_0": "",
            "last_login_1": "",
        },
    )
    assert response.status_code == 302, response.content[:3000]
    target.refresh_from_db()
    assert target.plan == "business"
    assert not target.is_active
    assert target.token_version == 1
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

    assert BlacklistedToken.objects.filter(token__user=target).count() == 1
    assert api.get("/api/v1/user/profile", HTTP_AUTHORIZATION=f"Bearer {pair['access']}").status_code == 401


def test_password_reset_tokens_are_read_only_in_the_admin(staff_client, make_user):
    from accounts import services
    from accounts.models import PasswordResetToken

    make_user(email="reset@example.com")
    token = services.password_reset_send(email="reset@example.com")
    page = staff_client.get("/admin/accounts/passwordresettoken/")
    assert page.status_code == 200 and b"reset@example.com" in page.content
    page = staff_client.get(f"/admin/accounts/passwordresettoken/{token.pk}/change/")
    assert page.status_code == 200
    assert token.token_hash.encode() in page.content
    assert b'name="token_hash"' not in page.content  # shown, not editable
    assert staff_client.get("/admin/accounts/passwordresettoken/add/").status_code == 403
    response = staff_client.post(
        f"/admin/accounts/passwordresettoken/{token.pk}/change/", {"used_at_0": "2020-01-01"}
    )
    assert response.status_code == 403
    assert PasswordResetToken.objects.get(pk=token.pk).used_at is None
