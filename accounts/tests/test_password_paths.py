"""Every way a password changes kills the old tokens and closes the user's sockets (issue 16, 6)."""

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command

from accounts.management.commands.changepassword import Command as ChangePassword
from accounts.models import User
from accounts.tokens import issue_token_pair
from testsupport.communicator import connected_agent

NEW_PASSWORD = "a-Brand-new-secret-42"


def assert_tokens_dead(api, pair):
    response = api.get("/api/v1/user/profile", HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert response.status_code == 401
    assert response.json()["error"] == "token_not_valid"
    response = api.post("/api/v1/auth/refresh", {"refresh": pair["refresh"]}, format="json")
    assert response.status_code == 401


def admin_set_password(staff_client, user, **fields):
    data = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true", **fields}
    return staff_client.post(f"/admin/accounts/user/{user.pk}/password/", data)


def changepassword(monkeypatch, email, password=NEW_PASSWORD):
    monkeypatch.setattr(ChangePassword, "_get_pass", lambda self, prompt="": password)
    return call_command("changepassword", email)


@pytest.mark.django_db
def test_the_admin_password_form_kills_old_tokens(staff_client, make_user, api):
    victim = make_user(email="victim@example.com")
    pair = issue_token_pair(victim)
    response = admin_set_password(staff_client, victim)
    assert response.status_code == 302, response.content[:2000]
    victim.refresh_from_db()
    assert victim.check_password(NEW_PASSWORD)
    assert_tokens_dead(api, pair)


@pytest.mark.django_db
def test_disabling_password_login_in_the_admin_kills_old_tokens(staff_client, make_user, api):
    victim = make_user(email="victim@example.com")
    pair = issue_token_pair(victim)
    response = admin_set_password(
        staff_client, victim, usable_password="false", password1="", password2="", **{"unset-password": "1"}
    )
    assert response.status_code == 302, response.content[:2000]
    victim.refresh_from_db()
    assert not victim.has_usable_password()
    assert_tokens_dead(api, pair)


@pytest.mark.django_db
def test_changepassword_command_kills_old_tokens(monkeypatch, make_user, api):
    victim = make_user(email="victim@example.com")
    pair = issue_token_pair(victim)
    changepassword(monkeypatch, "Victim@Example.com")
    assert User.objects.get(pk=victim.pk).check_password(NEW_PASSWORD)
    assert_tokens_dead(api, pair)
    # The new password works for a fresh login.
    response = api.post(
        "/api/v1/auth/login", {"email": "victim@example.com", "password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 200


@pytest.mark.django_db
def test_changepassword_command_refuses_a_weak_password_and_changes_nothing(monkeypatch, make_user, api):
    from django.core.management.base import CommandError

    victim = make_user(email="victim@example.com")
    pair = issue_token_pair(victim)
    with pytest.raises(CommandError):
        changepassword(monkeypatch, "victim@example.com", password="123")
    response = api.get("/api/v1/user/profile", HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_admin_password_form_closes_agent_sockets_4401(site, site_owner, staff_client):
    socket, _ = await connected_agent(site_owner)
    response = await sync_to_async(admin_set_password)(staff_client, site_owner)
    assert response.status_code == 302
    assert await socket.closed_with() == 4401


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_changepassword_command_closes_agent_sockets_4401(site, site_owner, monkeypatch):
    socket, _ = await connected_agent(site_owner)
    await sync_to_async(changepassword)(monkeypatch, site_owner.email)
    assert await socket.closed_with() == 4401


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_admin_deactivate_action_closes_agent_sockets_4403(site, site_owner, staff_client):
    socket, _ = await connected_agent(site_owner)
    response = await sync_to_async(staff_client.post)(
        "/admin/accounts/user/", {"action": "deactivate_users", "_selected_action": [site_owner.pk]}
    )
    assert response.status_code == 302
    assert await socket.closed_with() == 4403


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_unticking_active_in_the_admin_form_closes_agent_sockets_4403(site, site_owner, staff_client):
    socket, _ = await connected_agent(site_owner)
    form = {
        "email": site_owner.email,
        "name": site_owner.name,
        "plan": "free",
        "is_staff": "",
        "is_active": "",
    }
    response = await sync_to_async(staff_client.post)(f"/admin/accounts/user/{site_owner.pk}/change/", form)
    assert response.status_code == 302, response.content[:2000]
    assert await socket.closed_with() == 4403
