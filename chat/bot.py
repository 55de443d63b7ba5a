"""The bot: what it says in a chat on its own (the site's greeting on a chat's
first message, its away message when no agent is online, and keyword
auto-replies until an agent first answers). It only decides the replies; the
visitor's message writer (`chat.services.visitor_messages`) stores them."""

import logging
import re

from chat import presence
from chat.models import Chat
from websites.widget_cache import SiteSnapshot

logger = logging.getLogger("chatelly.chat")


def _word_in(text: str, keyword: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(keyword)}(?!\w)", text, re.IGNORECASE) is not None


def _agents_online(website_id: int, known: dict[int, bool]) -> bool:
    if website_id not in known:
        try:
            known[website_id] = presence.agents_online(website_id)
        except Exception:  # presence is down: do not claim everyone is away
            logger.warning("presence lookup failed", exc_info=True)
            known[website_id] = True
    return known[website_id]


def replies(chat: Chat, *, site: SiteSnapshot, content: str, first: bool, online: dict) -> list[str]:
    """What the bot says after this visitor message; `online` caches presence per website
    for the batch (a lookup that fails counts as online: never claim everyone is away)."""
    site_settings = site["settings"]
    said = []
    if first:
        if site_settings.get("greeting"):
            said.append(site_settings["greeting"])
        if site_settings.get("away_message") and not _agents_online(site["id"], online):
            said.append(site_settings["away_message"])
    if chat.first_response_at is None:
        for rule in site_settings.get("auto_replies", []):
            if any(_word_in(content, keyword) for keyword in rule["keywords"]):
                said.append(rule["reply"])
    return said
