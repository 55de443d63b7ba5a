"""Fixtures of the chat app's tests."""

import pytest

from chat import services
from chat.models import Chat


@pytest.fixture
def start_chat(site):
    """start_chat(content, visitor_id=, on_site=, client_id=, **identity) -> the Chat
    a new (or given) visitor's first message opened."""

    def start(content="Hello", *, visitor_id=None, on_site=None, client_id="c1", **identity):
        target = on_site or site
        visitor = services.visitor_connect(website_id=target.id, visitor_id=visitor_id, user_agent="UA/1")
        if identity:
            services.visitor_identify(visitor=visitor, **identity)
        snapshot = {"id": target.id, "settings": target.settings}
        posted = services.visitor_message_post(
            site=snapshot, visitor=visitor, content=content, client_id=client_id
        )
        return Chat.objects.get(id=posted.message.chat_id)

    return start
