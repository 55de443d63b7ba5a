"""The widget's view of a website, cached by widget key (config, script, sockets).

Every public request resolves its key here, so the hot path costs one cache
read. Services drop the entry after commit whenever the website changes.
"""

import enum
from typing import Any, Final, Literal, TypedDict

from django.core.cache import cache
from django.db import transaction

from chatelly import aredis

from .models import Website

TTL_SECONDS = 300
MISSING_TTL_SECONDS = 30
_MISSING = "missing"


def _key(widget_key: str) -> str:
    return f"widget:site:{widget_key}"


class SiteSnapshot(TypedDict):
    """A website as the widget's side sees it: cached here, then read by the
    visitor socket, the writer and the bot without touching the database."""

    id: int
    user_id: int  # the owner
    name: str
    domain: str
    widget_key: str
    max_users: int
    settings: dict[str, Any]  # websites.settings_schema
    updated_at: str  # ISO 8601


def _snapshot(website: Website) -> SiteSnapshot:
    return {
        "id": website.id,
        "user_id": website.user_id,
        "name": website.name,
        "domain": website.domain,
        "widget_key": website.widget_key,
        "max_users": website.max_users,
        "settings": website.settings,
        "updated_at": website.updated_at.isoformat(),
    }


def _plausible(widget_key: object) -> bool:
    return isinstance(widget_key, str) and 16 <= len(widget_key) <= 64


class _NotCached(enum.Enum):
    """NOT_CACHED as an enum member, so that type checkers narrow `site is NOT_CACHED`."""

    NOT_CACHED = "not cached"


NOT_CACHED: Final = _NotCached.NOT_CACHED


async def cached_site(widget_key: str) -> SiteSnapshot | Literal[_NotCached.NOT_CACHED] | None:
    """active_site's answer read from the cache on the event loop (a socket's
    connect needs no thread when the cache has it); NOT_CACHED otherwise."""
    if not _plausible(widget_key):
        return None
    cached = await aredis.cache_get(_key(widget_key))
    if cached is None:
        return NOT_CACHED
    return None if cached == _MISSING else cached


def active_site(widget_key: str) -> SiteSnapshot | None:
    """The active website of this key, as a plain dict, or None."""
    if not _plausible(widget_key):
        return None
    cached = cache.get(_key(widget_key))
    if cached == _MISSING:
        return None
    if cached is not None:
        return cached
    website = Website.objects.filter(widget_key=widget_key, is_active=True).first()
    if website is None:
        cache.set(_key(widget_key), _MISSING, MISSING_TTL_SECONDS)
        return None
    snapshot = _snapshot(website)
    cache.set(_key(widget_key), snapshot, TTL_SECONDS)
    return snapshot


def forget_on_commit(*widget_keys: str) -> None:
    keys = [_key(k) for k in widget_keys]
    transaction.on_commit(lambda: cache.delete_many(keys))
