"""Schemathesis over every operation of /api/v1/schema/ (issue 16, point 10).

A production-style server process (uvicorn, this test database, Redis) is
fuzzed as an authenticated owner whose website has an agent member and a chat
with a message; path parameters point at those objects, so the generated
requests reach real rows rather than 404s. Every response must be no 5xx,
have a documented status and content type, and match its documented schema;
bodies generated from the request schemas must be accepted (so the schemas are
as strict as the API) and bodies that break them refused.

Bounded for CI: a few examples per operation (FUZZ_EXAMPLES), no shrinking.
"""

import json
import re

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from accounts.tokens import issue_token_pair
from chat import services as chat_services
from conftest import PASSWORD
from testsupport.servers import ServerProcess, server_env
from websites import services as website_services
from websites.models import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FUZZ_EXAMPLES = 15


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    env = server_env(
        # The fuzzer is one client sending hundreds of requests a second: the
        # limits are for people, and their 429s are tested elsewhere.
        CHATELLY_RATE_API="100000/m",
        CHATELLY_RATE_LOGIN="100000/m",
        CHATELLY_RATE_LOGIN_EMAIL="100000/m",
        CHATELLY_RATE_REGISTER="100000/h",
        CHATELLY_RATE_WIDGET="100000/m",
    )
    with ServerProcess(env=env, kind="uvicorn") as process:
        yield process


@pytest.fixture
def seeded(make_user):
    owner = make_user(email="fuzz-owner@example.com", plan="business")
    agent = make_user(email="fuzz-agent@example.com")
    outsider = make_user(email="fuzz-outsider@example.com")
    site = website_services.website_create(owner=owner, name="Fuzz", domain="fuzz.example.com")
    website_services.member_add(website=site, email=agent.email, role=Role.AGENT)
    visitor = chat_services.visitor_connect(website_id=site.id, visitor_id=None, user_agent="UA/1")
    posted = chat_services.visitor_message_post(
        site={"id": site.id, "settings": site.settings}, visitor=visitor, content="Hello", client_id="c1"
    )
    return {
        "owner": owner,
        "outsider": outsider,
        "registered": 0,
        "path": {
            "website_id": site.id,
            "chat_id": posted.message.chat_id,
            "user_id": agent.id,
            "widget_key": site.widget_key,
        },
    }


def _make_consistent(case, seeded) -> None:
    """What a schema cannot say, made true of a positive case: references to
    other rows, the current password, a strong new one, a range in order."""
    label, body = case.operation.label, case.body if isinstance(case.body, dict) else None
    if label.startswith("GET /api/v1/analytics/") and case.query:
        _days_in_range(case.query)
    if body is None:
        return
    _existing_references(label, body, seeded)
    _hours_in_order(body)


def _days_in_range(query: dict) -> None:
    """The analytics range's days within what the API takes, and in order."""
    for name in ("from", "to"):  # days from 1970 to 9999-12-30 (400 outside)
        if isinstance(query.get(name), str) and not "1970" <= query[name] <= "9999-12-30":
            query[name] = "2026-01-01"
    if "from" in query:
        query.pop("to", None)  # `to` before `from` or a year after it: 400 naming from


def _existing_references(label: str, body: dict, seeded) -> None:
    """References to the seeded rows, the current password, an email not yet registered."""
    if label == "POST /api/v1/chats/{chat_id}/messages":
        body.pop("attachment_id", None)  # an upload of this agent's
    elif label == "POST /api/v1/chats/{chat_id}/assign":
        body["user_id"] = seeded["path"]["user_id"]
    elif label == "POST /api/v1/websites/{website_id}/members":
        body["email"] = seeded["outsider"].email
    elif label == "POST /api/v1/user/password":
        body.update(current_password=PASSWORD, new_password=PASSWORD)
    elif label == "POST /api/v1/auth/password-reset/confirm":
        body.update(token=_reset_token(seeded["outsider"]), new_password=PASSWORD)
    elif label == "POST /api/v1/invitations/accept":
        body["token"] = _invitation_token(seeded["owner"])
    elif label == "POST /api/v1/auth/register":
        seeded["registered"] += 1
        body.update(email=f"fuzz-new-{seeded['registered']}@example.com", password=PASSWORD)


def _link_token(to: str) -> str:
    """The token of the link in the last email to `to`: only its hash is stored,
    and the delivery row forgets the body once sent (the test outbox keeps it)."""
    from django.core import mail

    body = next(m.body for m in reversed(mail.outbox) if m.to == [to])
    return re.search(r"token=([A-Za-z0-9_-]+)", body).group(1)


def _reset_token(user) -> str:
    """A fresh password-reset token of `user`, as the reset job makes it."""
    from accounts import services as account_services

    account_services.password_reset_send(email=user.email)
    return _link_token(user.email)


def _invitation_token(user) -> str:
    """A fresh invitation of `user`'s email to a website they are not in yet."""
    inviter = get_user_model().objects.get_or_create(
        email="fuzz-inviter@example.com", defaults={"name": "Inviter", "plan": "business"}
    )[0]
    site = website_services.website_create(owner=inviter, name="Invite", domain="invite.example.com")
    website_services.invitation_create(website=site, email=user.email, role=Role.AGENT, invited_by=inviter)
    return _link_token(user.email)


def _hours_in_order(body: dict) -> None:
    """Business hours' ranges with start before end; quiet hours not empty."""
    hours = (body.get("settings") or {}).get("business_hours") if "settings" in body else None
    if isinstance(hours, dict):
        for day, ranges in (hours.get("days") or {}).items():
            hours["days"][day] = [sorted(pair) for pair in ranges if pair[0] != pair[1]]
    quiet = body.get("quiet_hours")  # notification preferences: an empty range is refused
    if isinstance(quiet, dict) and quiet.get("start") == quiet.get("end"):
        body["quiet_hours"] = None


def _schema():
    """The schema /api/v1/schema/ serves, generated the same way (no server needed to collect)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(document)))
    # No U+0000 in generated text (the API refuses it everywhere: PostgreSQL
    # cannot store it) and no undocumented query parameters in negative cases
    # (ignoring unknown parameters is HTTP's custom, not a bug).
    loaded.config.generation.update(allow_x00=False, allow_extra_parameters=False)
    return loaded


OPERATIONS = [result.ok() for result in _schema().get_all_operations()]
SEEDED_PATH = {"website_id", "chat_id", "user_id", "widget_key"}  # the `seeded` fixture's


def _can_be_made_invalid(operation) -> bool:
    """False for an operation whose only input is a seeded path parameter (the
    widget's config and script): it has no negative case to generate."""
    return bool(
        list(operation.query)
        or len(operation.body)
        or list(operation.headers)
        or any(p.name not in SEEDED_PATH for p in operation.path_parameters)
    )


CASES = [
    pytest.param(operation, mode, id=f"{operation.label}-{mode}")
    for operation in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode == GenerationMode.POSITIVE or _can_be_made_invalid(operation)
]


@pytest.mark.parametrize("operation, mode", CASES)
def test_every_operation_answers_as_its_schema_says(server, seeded, operation, mode):
    names = {parameter.name for parameter in operation.path_parameters}
    path = {name: value for name, value in seeded["path"].items() if name in names}

    @given(case=operation.as_strategy(mode, path_parameters=path))
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        if mode == GenerationMode.POSITIVE:
            _make_consistent(case, seeded)
        seeded["owner"].refresh_from_db()  # a password change revokes the older tokens
        token = issue_token_pair(seeded["owner"])["access"]
        case.call_and_validate(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    run()


def test_the_owner_still_logs_in(server, seeded):
    # The fixture's password is what the fuzzer never guesses; a sanity check
    # that the server under test is the one the seeded rows live in.
    status, _ = server.request(
        "POST", "/api/v1/auth/login", {"email": "fuzz-owner@example.com", "password": PASSWORD}
    )
    assert status == 200
