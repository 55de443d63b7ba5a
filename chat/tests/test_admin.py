import pytest

from chat import services
from chat.models import Chat

pytestmark = pytest.mark.django_db


@pytest.fixture
def chats(site):
    made = []
    for n, (name, text) in enumerate((("Alice", "refund please"), ("Bob", "where is my parcel"))):
        visitor = services.visitor_connect(website_id=site.id, visitor_id=None)
        services.visitor_identify(visitor=visitor, name=name)
        posted = services.visitor_message_post(
            site={"id": site.id, "settings": {}}, visitor=visitor, content=text, client_id=f"c{n}"
        )
        made.append(Chat.objects.get(id=posted.message.chat_id))
    return made


def test_changelist_filters_and_searches(staff_client, chats):
    alice, bob = chats

    def link(chat):
        return f"/admin/chat/chat/{chat.id}/change/".encode()

    page = staff_client.get("/admin/chat/chat/", {"q": "parcel"})
    assert page.status_code == 200
    assert link(bob) in page.content and link(alice) not in page.content
    page = staff_client.get("/admin/chat/chat/", {"q": "Alice"})
    assert link(alice) in page.content and link(bob) not in page.content
    assert staff_client.get("/admin/chat/chat/", {"status__exact": "active"}).status_code == 200


def test_chat_page_shows_messages_read_only(staff_client, chats):
    page = staff_client.get(f"/admin/chat/chat/{chats[0].id}/change/")
    assert page.status_code == 200
    assert b"refund please" in page.content
    assert b'name="messages-0-content"' not in page.content  # not editable


def test_close_action_goes_through_the_service(staff_client, chats, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        staff_client.post("/admin/chat/chat/", {"action": "close_chats", "_selected_action": [chats[0].id]})
    chats[0].refresh_from_db()
    assert chats[0].status == "closed" and chats[0].ended_at is not None
    assert callbacks  # the chat_status events were queued for after commit
