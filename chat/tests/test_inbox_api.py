"""The dashboard's inbox reads (docs/dashboard-api.md): chats across websites,
unread counts and last activity on every Chat, the visitor panel."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from analytics import services as analytics_services
from analytics.models import Event
from chat import services
from chat.models import Chat, Message, Visitor
from chat.serializers import chat_to_dict
from conftest import bearer
from testsupport.plans import plan_nodes
from websites import services as website_services
from websites.models import Role

pytestmark = pytest.mark.django_db

INBOX = "/api/v1/chats"
NUL = "a\x00b"
HUGE = [str(2**63), str(10**30), "1" * 5000]


@pytest.fixture
def agent(make_user, site):
    member = make_user(email="agent@shop.example.com", name="Agnes")
    website_services.member_add(website=site, email=member.email, role=Role.AGENT)
    return member


@pytest.fixture
def other_site(make_user, make_website):
    """A website of someone else, where the site's owner is an agent."""

    def make(owner_email="other@example.com", member=None):
        owner = make_user(email=owner_email)
        website = make_website(owner=owner, name="Other", domain=f"{owner_email.split('@')[0]}.example.com")
        if member is not None:
            website_services.member_add(website=website, email=member.email, role=Role.AGENT)
        return website

    return make


def ids(client, path=INBOX, **params):
    response = client.get(path, params)
    assert response.status_code == 200, response.content[:300]
    return [chat["id"] for chat in response.json()["results"]]


def set_activity(chat, *, last_message_at, started_at=None):
    fields = {"last_message_at": last_message_at}
    if started_at is not None:
        fields["started_at"] = started_at
    Chat.objects.filter(id=chat.id).update(**fields)


def assert_400(response, field):
    assert response.status_code == 400, (response.status_code, response.content[:300])
    body = response.json()
    assert body["error"] == "validation_error" and body["code"] == 400
    assert field in body["details"], body


# --- GET /api/v1/chats ----------------------------------------------------------------


def test_inbox_lists_chats_of_every_website_the_caller_is_a_member_of(
    owner_api, site, site_owner, other_site, start_chat
):
    mine = start_chat("on my site")
    shared = other_site("shared@example.com", member=site_owner)
    foreign = other_site("foreign@example.com")
    on_shared = start_chat("on a site I am an agent of", on_site=shared)
    start_chat("on a site I am not a member of", on_site=foreign)
    body = owner_api.get(INBOX).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    assert [c["id"] for c in body["results"]] == [on_shared.id, mine.id]
    assert {c["website_id"] for c in body["results"]} == {site.id, shared.id}
    assert ids(owner_api, INBOX + "/") == [on_shared.id, mine.id]


def test_inbox_is_newest_activity_first_then_newest_id(owner_api, site, start_chat):
    now = timezone.now()
    old = start_chat("old")
    recent = start_chat("recent")
    silent = start_chat("no message time")
    tie_a = start_chat("tie a")
    tie_b = start_chat("tie b")
    set_activity(old, last_message_at=now - timedelta(hours=5))
    set_activity(recent, last_message_at=now - timedelta(hours=1))
    # No message time: its start counts.
    set_activity(silent, last_message_at=None, started_at=now - timedelta(hours=2))
    set_activity(tie_a, last_message_at=now - timedelta(hours=3))
    set_activity(tie_b, last_message_at=now - timedelta(hours=3))
    expected = [recent.id, silent.id, tie_b.id, tie_a.id, old.id]
    assert ids(owner_api) == expected
    assert ids(owner_api, f"/api/v1/websites/{site.id}/chats") == expected
    results = owner_api.get(INBOX).json()["results"]
    silent_row = next(c for c in results if c["id"] == silent.id)
    assert silent_row["last_activity_at"] == silent_row["started_at"]
    recent_row = results[0]
    assert recent_row["last_activity_at"].startswith((now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))


def test_inbox_filters_by_website(owner_api, site, site_owner, other_site, start_chat):
    mine = start_chat("mine")
    shared = other_site("shared@example.com", member=site_owner)
    theirs = start_chat("shared", on_site=shared)
    assert ids(owner_api, website_id=site.id) == [mine.id]
    assert ids(owner_api, website_id=shared.id) == [theirs.id]


def test_inbox_of_a_website_the_caller_is_not_a_member_of_is_404(owner_api, other_site, start_chat):
    foreign = other_site("foreign@example.com")
    start_chat("x", on_site=foreign)
    for website_id in (foreign.id, foreign.id + 1000, 2**63 - 1):
        response = owner_api.get(INBOX, {"website_id": website_id})
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"


def test_inbox_filters_by_status_assignee_search_and_visitor(owner_api, site, site_owner, agent, start_chat):
    alice = start_chat("I need a refund", name="Alice Smith", email="alice@example.org")
    bob = start_chat("Shipping question", name="Bob")
    carol = start_chat("Hello there")
    services.chat_assign(user=site_owner, chat_id=alice.id, assignee_id=site_owner.id)
    services.chat_assign(user=site_owner, chat_id=bob.id, assignee_id=agent.id)
    services.chat_close_by_agent(user=site_owner, chat_id=bob.id)
    website_chats = f"/api/v1/websites/{site.id}/chats"
    for path in (INBOX, website_chats):
        assert ids(owner_api, path, status="active") == [carol.id, alice.id]
        assert ids(owner_api, path, status="closed") == [bob.id]
        assert ids(owner_api, path, assigned="me") == [alice.id]
        assert ids(owner_api, path, assigned="none") == [carol.id]
        assert ids(owner_api, path, assigned=agent.id) == [bob.id]
        assert ids(owner_api, path, assigned=agent.id + 1000) == []
        assert ids(owner_api, path, assigned="none", status="closed") == []
        assert ids(owner_api, path, search="REFUND") == [alice.id]
        assert ids(owner_api, path, search="smith") == [alice.id]
        assert ids(owner_api, path, search="alice@example") == [alice.id]
        assert ids(owner_api, path, visitor_id=bob.visitor_id) == [bob.id]
        assert ids(owner_api, path, visitor_id="v_nobody") == []
        assert ids(owner_api, path, search="") == [carol.id, bob.id, alice.id]
    agent_api = APIClient()
    agent_api.credentials(**bearer(agent))
    assert ids(agent_api, assigned="me") == [bob.id]


def test_inbox_search_reaches_messages_on_every_website_of_the_caller(
    owner_api, site_owner, other_site, start_chat
):
    shared = other_site("shared@example.com", member=site_owner)
    foreign = other_site("foreign@example.com")
    hit = start_chat("where is my parcel", on_site=shared)
    start_chat("where is my parcel", on_site=foreign)
    assert ids(owner_api, search="parcel") == [hit.id]


def test_inbox_pages(owner_api, start_chat):
    chats = [start_chat(f"chat {n}") for n in range(5)]
    body = owner_api.get(INBOX, {"page_size": 2, "page": 2}).json()
    assert body["count"] == 5
    assert [c["id"] for c in body["results"]] == [chats[2].id, chats[1].id]
    assert "page=3" in body["next"] and body["previous"]
    assert len(owner_api.get(INBOX, {"page_size": 10**30}).json()["results"]) == 5  # clamped to 100
    assert owner_api.get(INBOX, {"page": 9}).status_code == 404


def test_inbox_with_no_website_is_an_empty_page(make_user):
    client = APIClient()
    client.credentials(**bearer(make_user(email="lonely@example.com")))
    assert client.get(INBOX).json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_inbox_needs_a_token(api):
    response = api.get(INBOX)
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


def test_inbox_takes_only_get(owner_api):
    assert owner_api.post(INBOX, {}, format="json").status_code == 405
    assert owner_api.delete(INBOX).status_code == 405


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1.5", "1e3", " 7", "", NUL, *HUGE])
def test_a_bad_website_id_is_400(owner_api, value):
    assert_400(owner_api.get(INBOX, {"website_id": value}), "website_id")


@pytest.mark.parametrize("value", ["ME", "None", "abc", "0", "-3", "", NUL, "1.0", *HUGE])
@pytest.mark.parametrize("path", [INBOX, "/api/v1/websites/{site}/chats"])
def test_a_bad_assignee_filter_is_400(owner_api, site, path, value):
    assert_400(owner_api.get(path.format(site=site.id), {"assigned": value}), "assigned")


@pytest.mark.parametrize(
    "params, field",
    [
        ({"status": "open"}, "status"),
        ({"status": ""}, "status"),
        ({"status": NUL}, "status"),
        ({"search": NUL}, "search"),
        ({"visitor_id": NUL}, "visitor_id"),
        ({"page": "0"}, "page"),
        ({"page": str(10**30)}, "page"),
        ({"page_size": "many"}, "page_size"),
        ({"page_size": NUL}, "page_size"),
        ({"unread": "yes"}, "unread"),
        ({"unread": "1"}, "unread"),
        ({"unread": ""}, "unread"),
        ({"unread": NUL}, "unread"),
    ],
)
def test_bad_inbox_filters_are_400(owner_api, params, field):
    assert_400(owner_api.get(INBOX, params), field)


# --- unread_count and last_activity_at ---------------------------------------------------


def test_unread_count_counts_visitor_messages_no_agent_has_read(owner_api, site, site_owner, start_chat):
    chat = start_chat("one")
    visitor = Visitor.objects.get(id=chat.visitor_record_id)
    snapshot = {"id": site.id, "settings": site.settings}
    for n in (2, 3):
        services.visitor_message_post(site=snapshot, visitor=visitor, content=f"m{n}", client_id=f"c{n}")

    def unread():
        listed = owner_api.get(INBOX).json()["results"][0]
        detail = owner_api.get(f"/api/v1/chats/{chat.id}").json()
        assert listed["unread_count"] == detail["unread_count"]
        return listed["unread_count"]

    assert unread() == 3
    services.agent_message_post(user=site_owner, chat_id=chat.id, content="on it")  # not a visitor's
    assert unread() == 3
    services.messages_read_by_agent(user=site_owner, chat_id=chat.id, seq=2)
    assert unread() == 1
    services.visitor_message_post(site=snapshot, visitor=visitor, content="m5", client_id="c5")
    assert unread() == 2
    services.messages_read_by_agent(user=site_owner, chat_id=chat.id, seq=5)
    assert unread() == 0
    closed = owner_api.post(f"/api/v1/chats/{chat.id}/close").json()
    assert closed["unread_count"] == 0 and closed["last_activity_at"]


def test_unread_count_is_per_chat(owner_api, site_owner, start_chat):
    first = start_chat("a")
    second = start_chat("b")
    services.messages_read_by_agent(user=site_owner, chat_id=first.id, seq=1)
    counts = {c["id"]: c["unread_count"] for c in owner_api.get(INBOX).json()["results"]}
    assert counts == {first.id: 0, second.id: 1}


def test_unread_filter_keeps_chats_with_or_without_unread_visitor_messages(
    owner_api, site, site_owner, start_chat
):
    """The dashboard's tab title counts `?unread=true&status=active` (the page's `count`)."""
    read = start_chat("a")
    unread = start_chat("b")
    closed_unread = start_chat("c")
    services.messages_read_by_agent(user=site_owner, chat_id=read.id, seq=1)
    services.chat_close_by_agent(user=site_owner, chat_id=closed_unread.id)
    website_chats = f"/api/v1/websites/{site.id}/chats"
    for path in (INBOX, website_chats):
        assert ids(owner_api, path, unread="true") == [closed_unread.id, unread.id]
        assert ids(owner_api, path, unread="false") == [read.id]
        assert ids(owner_api, path, unread="true", status="active") == [unread.id]
    assert owner_api.get(INBOX, {"unread": "true", "status": "active", "page_size": 1}).json()["count"] == 1
    services.agent_message_post(user=site_owner, chat_id=unread.id, content="answer")  # not a read
    assert ids(owner_api, unread="true", status="active") == [unread.id]
    services.messages_read_by_agent(user=site_owner, chat_id=unread.id, seq=1)
    assert ids(owner_api, unread="true", status="active") == []


def test_a_chat_dict_without_a_count_is_exact_for_at_most_one_message(site, site_owner, start_chat):
    """Socket frames are built without a query: chat_started's chat has one message."""
    chat = start_chat("first")
    plain = Chat.objects.select_related("visitor_record", "last_message").get(id=chat.id)
    assert chat_to_dict(plain)["unread_count"] == 1
    assert chat_to_dict(plain)["last_activity_at"] == chat_to_dict(plain)["last_message"]["created_at"]
    services.messages_read_by_agent(user=site_owner, chat_id=chat.id, seq=1)
    plain = Chat.objects.select_related("visitor_record", "last_message").get(id=chat.id)
    assert chat_to_dict(plain)["unread_count"] == 0
    services.agent_message_post(user=site_owner, chat_id=chat.id, content="hi")
    plain = Chat.objects.select_related("visitor_record", "last_message").get(id=chat.id)
    assert chat_to_dict(plain)["unread_count"] is None  # not counted, never guessed
    empty = Chat(
        website=site,
        visitor_record=plain.visitor_record,
        visitor_id=plain.visitor_id,
        session_id="s",
        started_at=timezone.now(),
    )
    assert chat_to_dict(empty)["unread_count"] == 0
    assert chat_to_dict(empty)["last_activity_at"] == chat_to_dict(empty)["started_at"]


# --- staying fast with 1,000 chats ---------------------------------------------------------


def _bulk_chats(website, n: int, *, first: int = 0) -> None:
    now = timezone.now()
    visitors = Visitor.objects.bulk_create(
        Visitor(website=website, visitor_id=f"v_bulk_{i}") for i in range(first, first + n)
    )
    chats = Chat.objects.bulk_create(
        Chat(website=website, visitor_record=v, visitor_id=v.visitor_id, session_id="s", message_count=1)
        for v in visitors
    )
    messages = Message.objects.bulk_create(
        Message(
            chat=chat, website=website, seq=1, sender_type="visitor", sender_id=chat.visitor_id, content="hi"
        )
        for chat in chats
    )
    for i, (chat, message) in enumerate(zip(chats, messages, strict=True)):
        chat.last_message = message
        chat.last_seq = 1
        chat.last_message_at = now - timedelta(seconds=i)
    Chat.objects.bulk_update(chats, ["last_message", "last_seq", "last_message_at"], batch_size=500)


@pytest.mark.parametrize("path", [INBOX, "/api/v1/websites/{site}/chats"])
def test_a_page_of_1000_chats_costs_the_same_queries_as_a_page_of_3(
    owner_api, site, path, django_assert_max_num_queries
):
    url = path.format(site=site.id)
    _bulk_chats(site, 3)
    with CaptureQueriesContext(connection) as few:
        body = owner_api.get(url, {"page_size": 100}).json()
    assert body["count"] == 3
    assert len(few) <= 6  # user, websites, count, page (with its unread counts)
    _bulk_chats(site, 997, first=3)
    with django_assert_max_num_queries(len(few)):
        body = owner_api.get(url, {"page_size": 100, "status": "active", "assigned": "none"}).json()
    assert body["count"] == 1000
    assert len(body["results"]) == 100
    assert all(chat["unread_count"] == 1 for chat in body["results"])
    stamps = [chat["last_activity_at"] for chat in body["results"]]
    assert stamps == sorted(stamps, reverse=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_a_websites_page_walks_the_activity_index_without_sorting(site):
    from chat import selectors

    _bulk_chats(site, 1000)
    chats = selectors.chat_list(website_ids=[site.id])[:20]
    sql, params = chats.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        found = plan_nodes(sql, params)
    chat_scans = [n for n in found if n.get("Relation Name") == "chats"]
    assert chat_scans and chat_scans[0]["Index Name"] == "chat_activity"
    assert not [n for n in found if n["Node Type"] in ("Sort", "Incremental Sort")]


# --- GET /api/v1/chats/:id/visitor -----------------------------------------------------------


def _page_view(site, visitor_id, url, *, at, title="", event_type="page_view", data=None):
    return Event.objects.create(
        website=site,
        event_type=event_type,
        visitor_id=visitor_id,
        event_data={"url": url, "title": title} if data is None else data,
        created_at=at,
    )


def test_visitor_panel_shows_who_the_visitor_is(owner_api, site, site_owner, start_chat, other_site):
    chat = start_chat("help", name="Vera", email="vera@example.org")
    visitor = Visitor.objects.get(id=chat.visitor_record_id)
    Visitor.objects.filter(id=visitor.id).update(page_url="https://shop.example.com/cart")
    now = timezone.now()
    _page_view(
        site, visitor.visitor_id, "https://shop.example.com/", title="Home", at=now - timedelta(minutes=3)
    )
    _page_view(
        site, visitor.visitor_id, "https://shop.example.com/cart", title="Cart", at=now - timedelta(minutes=1)
    )
    _page_view(site, "v_someone_else", "https://shop.example.com/other", at=now)
    _page_view(site, visitor.visitor_id, "", at=now, event_type="widget_loaded", data={})
    elsewhere = other_site("else@example.com")
    _page_view(elsewhere, visitor.visitor_id, "https://else.example.com/", at=now)
    response = owner_api.get(f"/api/v1/chats/{chat.id}/visitor")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "visitor_id", "name", "email", "page_url", "user_agent", "first_seen", "last_seen", "location",
        "pages", "past_chats",
    }  # fmt: skip
    assert body["visitor_id"] == visitor.visitor_id
    assert (body["name"], body["email"]) == ("Vera", "vera@example.org")
    assert body["page_url"] == "https://shop.example.com/cart"
    assert body["user_agent"] == "UA/1"
    assert body["first_seen"].endswith("Z") and body["last_seen"].endswith("Z")
    assert body["location"] is None
    assert [(p["url"], p["title"]) for p in body["pages"]] == [
        ("https://shop.example.com/cart", "Cart"),
        ("https://shop.example.com/", "Home"),
    ]
    assert all(p["at"].endswith("Z") for p in body["pages"])
    assert body["past_chats"] == []
    assert owner_api.get(f"/api/v1/chats/{chat.id}/visitor/").status_code == 200


def test_visitor_panel_reads_the_page_views_the_widget_reports(
    owner_api, site, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        visitor = services.visitor_connect(website_id=site.id, visitor_id=None, user_agent="UA/1")
        services.visitor_page_view(visitor=visitor, url="https://shop.example.com/a", title="A")
        services.visitor_page_view(visitor=visitor, url="https://shop.example.com/b")
        posted = services.visitor_message_post(
            site={"id": site.id, "settings": site.settings}, visitor=visitor, content="hi", client_id="c1"
        )
    analytics_services.flush()
    pages = owner_api.get(f"/api/v1/chats/{posted.message.chat_id}/visitor").json()["pages"]
    assert [(p["url"], p["title"]) for p in pages] == [
        ("https://shop.example.com/b", ""),
        ("https://shop.example.com/a", "A"),
    ]


def test_visitor_panel_shows_the_last_50_pages_newest_first(owner_api, site, start_chat):
    chat = start_chat("hi")
    now = timezone.now()
    for n in range(60):
        _page_view(site, chat.visitor_id, f"https://shop.example.com/{n}", at=now - timedelta(seconds=60 - n))
    _page_view(site, chat.visitor_id, "", at=now, data={"title": "no url"})  # skipped
    pages = owner_api.get(f"/api/v1/chats/{chat.id}/visitor").json()["pages"]
    assert [p["url"] for p in pages] == [f"https://shop.example.com/{n}" for n in range(59, 9, -1)]


def test_visitor_panel_lists_the_visitors_other_chats_newest_first(owner_api, site, site_owner, start_chat):
    first = start_chat("first")
    visitor_id = first.visitor_id
    past = [first]
    services.chat_close_by_agent(user=site_owner, chat_id=first.id)
    for n in range(22):
        chat = start_chat(f"again {n}", visitor_id=visitor_id, client_id=f"c{n}")
        services.chat_close_by_agent(user=site_owner, chat_id=chat.id)
        past.append(chat)
    current = start_chat("now", visitor_id=visitor_id, client_id="now")
    start_chat("someone else")
    now = timezone.now()
    for n, chat in enumerate(past):
        set_activity(chat, last_message_at=now - timedelta(minutes=100 - n))
    body = owner_api.get(f"/api/v1/chats/{current.id}/visitor").json()
    assert [c["id"] for c in body["past_chats"]] == [c.id for c in reversed(past)][:20]
    assert all(c["visitor_id"] == visitor_id and c["status"] == "closed" for c in body["past_chats"])
    assert all(c["unread_count"] == 1 for c in body["past_chats"])
    # Seen from an older chat, the current one is a past chat too.
    older = owner_api.get(f"/api/v1/chats/{first.id}/visitor").json()["past_chats"]
    assert older[0]["id"] == current.id and first.id not in [c["id"] for c in older]


def test_visitor_panel_of_a_chat_the_caller_may_not_see_is_404(owner_api, other_site, start_chat):
    foreign = other_site("foreign@example.com")
    theirs = start_chat("x", on_site=foreign)
    for chat_id in (theirs.id, theirs.id + 1000, 2**63 - 1, 10**30):
        response = owner_api.get(f"/api/v1/chats/{chat_id}/visitor")
        assert response.status_code == 404, chat_id
        assert response.json()["error"] == "not_found"


def test_visitor_panel_is_for_members_only(api, start_chat):
    chat = start_chat("x")
    assert api.get(f"/api/v1/chats/{chat.id}/visitor").status_code == 401
    assert api.post(f"/api/v1/chats/{chat.id}/visitor").status_code == 401


def test_visitor_panel_takes_only_get(owner_api, start_chat):
    chat = start_chat("x")
    assert owner_api.post(f"/api/v1/chats/{chat.id}/visitor", {}, format="json").status_code == 405


def test_an_agent_sees_the_visitor_panel(agent, start_chat):
    chat = start_chat("x")
    client = APIClient()
    client.credentials(**bearer(agent))
    assert client.get(f"/api/v1/chats/{chat.id}/visitor").status_code == 200


# --- the contract in OpenAPI ---------------------------------------------------------------------


def test_the_schema_describes_the_inbox_reads(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    inbox = schema["paths"]["/api/v1/chats"]["get"]
    assert {p["name"] for p in inbox["parameters"]} >= {
        "website_id", "status", "assigned", "visitor_id", "search", "page", "page_size",
    }  # fmt: skip
    per_site = schema["paths"]["/api/v1/websites/{website_id}/chats"]["get"]
    assert "assigned" in {p["name"] for p in per_site["parameters"]}
    chat = schema["components"]["schemas"]["ChatSchema"]
    assert {"unread_count", "last_activity_at"} <= set(chat["properties"])
    panel = schema["paths"]["/api/v1/chats/{chat_id}/visitor"]["get"]["responses"]["200"]
    ref = panel["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = schema["components"]["schemas"][ref]["properties"]
    assert set(properties) == {
        "visitor_id", "name", "email", "page_url", "user_agent", "first_seen", "last_seen", "location",
        "pages", "past_chats",
    }  # fmt: skip
