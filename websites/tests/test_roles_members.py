"""Every role against every operation, and the member endpoints' bad inputs."""

import pytest
from rest_framework.test import APIClient

from conftest import bearer
from websites import services as website_services
from websites.models import Invitation, Membership, Website

pytestmark = pytest.mark.django_db

URL = "/api/v1/websites"


@pytest.fixture
def team(make_user, make_website):
    owner = make_user(email="owner@team.com")
    website = make_website(owner=owner)
    people = {"owner": owner}
    for role in ("admin", "agent"):
        person = make_user(email=f"{role}@team.com")
        Membership.objects.create(website=website, user=person, role=role)
        people[role] = person
    people["stranger"] = make_user(email="stranger@team.com")
    people["target"] = make_user(email="target@team.com")
    Membership.objects.create(website=website, user=people["target"], role="agent")
    people["candidate"] = make_user(email="candidate@team.com")
    website_services.invitation_create(
        website=website, email="invited@team.com", role="agent", invited_by=owner
    )
    return website, people


OPERATIONS = {
    # name: (method, path, body, status for owner, admin, agent, stranger)
    "list": ("get", "", None, (200, 200, 200, 200)),
    "retrieve": ("get", "/{id}", None, (200, 200, 200, 404)),
    "put": ("put", "/{id}", {"name": "N", "domain": "n.example.com"}, (200, 200, 403, 404)),
    "patch": ("patch", "/{id}", {"name": "N"}, (200, 200, 403, 404)),
    "rotate": ("post", "/{id}/rotate-key", None, (200, 200, 403, 404)),
    "members": ("get", "/{id}/members", None, (200, 200, 200, 404)),
    "add member": (
        "post",
        "/{id}/members",
        {"email": "candidate@team.com", "role": "agent"},
        (201, 201, 403, 404),
    ),
    "set role": ("patch", "/{id}/members/{target}", {"role": "admin"}, (200, 200, 403, 404)),
    "remove member": ("delete", "/{id}/members/{target}", None, (204, 204, 403, 404)),
    "invite": ("post", "/{id}/members", {"email": "new@team.com", "role": "agent"}, (202, 202, 403, 404)),
    "invitations": ("get", "/{id}/invitations", None, (200, 200, 403, 404)),
    "resend invitation": ("post", "/{id}/invitations/{invitation}/resend", None, (202, 202, 403, 404)),
    "withdraw invitation": ("delete", "/{id}/invitations/{invitation}", None, (204, 204, 403, 404)),
    "delete": ("delete", "/{id}", None, (204, 403, 403, 404)),
}
ROLES = ("owner", "admin", "agent", "stranger")


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("role", ROLES)
def test_role_table(team, operation, role):
    website, people = team
    method, path, body, statuses = OPERATIONS[operation]
    expected = statuses[ROLES.index(role)]
    client = APIClient()
    client.credentials(**bearer(people[role]))
    invitation = Invitation.objects.get(email="invited@team.com")
    url = URL + path.format(id=website.id, target=people["target"].id, invitation=invitation.id)
    response = getattr(client, method)(url, body, format="json") if body else getattr(client, method)(url)
    assert response.status_code == expected, response.content
    if expected == 403:
        assert response.json()["error"] == "permission_denied"
    if expected == 404:
        assert response.json()["error"] == "not_found"
    if expected in (403, 404):
        # Nothing changed.
        assert Website.objects.filter(id=website.id, name="Shop").exists()
        assert Membership.objects.filter(website=website, user=people["target"], role="agent").exists()
        assert not Membership.objects.filter(website=website, user=people["candidate"]).exists()
        assert list(Invitation.objects.values_list("email", "generation", "revoked_at")) == [
            ("invited@team.com", 1, None)
        ]


def test_members_list_shows_users_and_roles(team):
    website, people = team
    client = APIClient()
    client.credentials(**bearer(people["agent"]))
    body = client.get(f"{URL}/{website.id}/members").json()
    assert body["count"] == 4
    first = body["results"][0]
    assert set(first) == {"user", "role", "created_at"}
    assert first["role"] == "owner" and first["user"]["email"] == "owner@team.com"
    assert set(first["user"]) == {"id", "email", "name", "plan", "created_at", "updated_at"}


@pytest.fixture
def owner_client(team):
    website, people = team
    client = APIClient()
    client.credentials(**bearer(people["owner"]))
    return client, website, people


@pytest.mark.parametrize(
    "body, field",
    [
        ({"email": "not an email", "role": "agent"}, "email"),
        ({"role": "agent"}, "email"),
        ({"email": "candidate@team.com", "role": "owner"}, "role"),
        ({"email": "candidate@team.com", "role": "boss"}, "role"),
        ({"email": "candidate@team.com"}, "role"),
        ({"email": 5, "role": "agent"}, "email"),
    ],
)
def test_adding_a_member_validates(owner_client, body, field):
    client, website, _ = owner_client
    response = client.post(f"{URL}/{website.id}/members", body, format="json")
    assert response.status_code == 400
    assert set(response.json()["details"]) == {field}
    assert Membership.objects.filter(website=website).count() == 4


def test_adding_by_email_ignores_case_and_existing_members_conflict(owner_client):
    client, website, people = owner_client
    response = client.post(
        f"{URL}/{website.id}/members", {"email": "CANDIDATE@team.com", "role": "admin"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["user"]["id"] == people["candidate"].id
    assert response.json()["role"] == "admin"
    again = client.post(
        f"{URL}/{website.id}/members", {"email": "candidate@team.com", "role": "agent"}, format="json"
    )
    assert again.status_code == 409
    assert again.json()["error"] == "conflict"
    owner = client.post(
        f"{URL}/{website.id}/members", {"email": "owner@team.com", "role": "agent"}, format="json"
    )
    assert owner.status_code == 409


def test_the_owner_cannot_be_changed_or_removed(owner_client):
    client, website, people = owner_client
    path = f"{URL}/{website.id}/members/{people['owner'].id}"
    for response in (client.patch(path, {"role": "agent"}, format="json"), client.delete(path)):
        assert response.status_code == 409
        assert response.json()["error"] == "conflict"
    assert Membership.objects.get(website=website, user=people["owner"]).role == "owner"


def test_non_members_and_unknown_users_are_404(owner_client):
    client, website, people = owner_client
    for user_id in (people["stranger"].id, 999_999):
        path = f"{URL}/{website.id}/members/{user_id}"
        assert client.patch(path, {"role": "agent"}, format="json").status_code == 404
        assert client.delete(path).status_code == 404


@pytest.mark.parametrize("body", [{}, {"role": "owner"}, {"role": 1}, {"role": None}])
def test_setting_a_role_validates(owner_client, body):
    client, website, people = owner_client
    response = client.patch(f"{URL}/{website.id}/members/{people['target'].id}", body, format="json")
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"role"}


def test_a_removed_member_loses_access(owner_client):
    client, website, people = owner_client
    assert client.delete(f"{URL}/{website.id}/members/{people['agent'].id}").status_code == 204
    agent = APIClient()
    agent.credentials(**bearer(people["agent"]))
    assert agent.get(f"{URL}/{website.id}").status_code == 404
