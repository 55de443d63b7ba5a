"""Events are recorded where things happen, and recording can never break the message path."""

import pytest
from channels.db import database_sync_to_async
from django.db import connection

from analytics import services as analytics_services
from analytics.models import Event
from chat import services as chat_services
from chat.models import Message
from testsupport.communicator import connected_visitor

SITE = {"settings": {}}


def post(site, visitor, content="Hello", client_id="c1"):
    return chat_services.visitor_message_post(
        site={"id": site.id, **SITE}, visitor=visitor, content=content, client_id=client_id
    )


@pytest.mark.django_db
def test_each_kind_of_event_is_recorded(site, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        visitor = chat_services.visitor_connect(website_id=site.id, visitor_id=None)
        chat_services.visitor_page_view(visitor=visitor, url="https://shop.example.com/", title="Home")
        chat_services.visitor_identify(visitor=visitor, email="v@example.org")
        chat_id = post(site, visitor).message.chat_id
        chat_services.agent_message_post(user=site.user, chat_id=chat_id, content="Hi")
        chat_services.chat_close_by_agent(user=site.user, chat_id=chat_id)
    analytics_services.flush()
    events = list(Event.objects.order_by("id").values_list("event_type", "visitor_id", "event_data"))
    kinds = [kind for kind, _, _ in events]
    assert kinds == [
        "widget_loaded",
        "page_view",
        "visitor_identified",
        "chat_started",
        "message_sent",
        "message_sent",
        "chat_ended",
    ]
    assert all(visitor_id == visitor.visitor_id for _, visitor_id, _ in events)
    assert [data["sender_type"] for kind, _, data in events if kind == "message_sent"] == ["visitor", "agent"]
    assert events[1][2] == {"url": "https://shop.example.com/", "title": "Home"}


@pytest.mark.django_db
def test_nothing_is_recorded_when_the_write_is_rolled_back(site, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        visitor = chat_services.visitor_connect(website_id=site.id, visitor_id=None)
    analytics_services.flush()
    before = Event.objects.count()
    with pytest.raises(Exception), django_capture_on_commit_callbacks(execute=True):  # noqa: B017
        post(site, visitor, content="")  # refused: nothing stored
    analytics_services.flush()
    assert Event.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_a_broken_analytics_table_does_not_break_the_message_path(site):
    visitor = chat_services.visitor_connect(website_id=site.id, visitor_id=None)
    analytics_services.flush()
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE analytics RENAME TO analytics_broken")
    try:
        posted = post(site, visitor)
        assert posted.created
        failures = analytics_services.failures
        analytics_services.flush()  # the write fails, is logged and dropped
        assert analytics_services.failures == failures + 1
        assert analytics_services.pending() == 0
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE analytics_broken RENAME TO analytics")
    assert Message.objects.filter(id=posted.message.id).exists()
    post(site, visitor, "again", "c2")
    analytics_services.flush()
    assert Event.objects.filter(event_type="message_sent").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_socket_session_records_widget_loaded(site):
    socket, session = await connected_visitor(site.widget_key)
    await socket.close()
    await database_sync_to_async(analytics_services.flush)()
    kinds = await database_sync_to_async(
        lambda: list(Event.objects.values_list("event_type", "visitor_id"))
    )()
    assert ("widget_loaded", session["visitor_id"]) in kinds


@pytest.mark.django_db
def test_events_admin_is_read_only_with_filters(site, staff_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        chat_services.visitor_connect(website_id=site.id, visitor_id=None)
    analytics_services.flush()
    client = staff_client
    page = client.get("/admin/analytics/event/", {"event_type__exact": "widget_loaded"})
    assert page.status_code == 200 and b"widget_loaded" in page.content
    event = Event.objects.get()
    assert client.post(f"/admin/analytics/event/{event.id}/change/", {}).status_code == 403
    assert client.get("/admin/analytics/event/add/").status_code == 403


@pytest.mark.django_db
def test_recording_can_be_switched_off(site, settings, django_capture_on_commit_callbacks):
    settings.CHATELLY_ANALYTICS_ENABLED = False
    with django_capture_on_commit_callbacks(execute=True):
        post(site, chat_services.visitor_connect(website_id=site.id, visitor_id=None))
    analytics_services.flush()
    assert not Event.objects.exists() and Message.objects.count() == 1
