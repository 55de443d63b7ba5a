"""What the visitor_mail and widget tests share: a chat with an agent's reply."""

import re

from chat import services as chat_services
from chat.models import Chat
from websites.widget_cache import active_site


def chat_with_reply(site, agent, *, email="ana@example.com", reply="Here is the answer.", client_id="c1"):
    """A visitor (with `email`, if any) who wrote, and an agent's reply: (visitor, chat)."""
    visitor = chat_services.visitor_connect(website_id=site.id, visitor_id=None)
    if email:
        chat_services.visitor_identify(visitor=visitor, email=email)
    posted = chat_services.visitor_message_post(
        site=active_site(site.widget_key),
        visitor=visitor,
        content="Hello, is this in stock?",
        client_id=client_id,
    )
    chat_id = posted.message.chat_id
    if reply:
        chat_services.agent_message_post(user=agent, chat_id=chat_id, content=reply)
    return visitor, Chat.objects.get(id=chat_id)


def assert_error(response, status, field=None):
    """An answer in the API's error shape, with `status` (and `field` in its details)."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) >= {"error", "message", "code"} and body["code"] == status
    if field:
        assert field in body["details"], body


def link_in(text: str, pattern: str) -> str:
    found = re.search(pattern + r"\S+", text)
    assert found, text
    return found.group(0).rstrip(">.)")


def resume_token_in(text: str) -> str:
    return link_in(text, r"https?://[^\s#]+/#chatelly-resume=").split("#chatelly-resume=", 1)[1]


def unsubscribe_token_in(text: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    url = link_in(text, r"https?://\S+/email/unsubscribe\?token=")
    return parse_qs(urlsplit(url).query)["token"][0]
