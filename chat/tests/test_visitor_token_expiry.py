"""Visitor tokens expire after CHATELLY_VISITOR_TOKEN_DAYS (issue 16, point 9)."""

import time
from types import SimpleNamespace

import pytest
from django.core import signing

from chat.sockets.visitor_tokens import visitor_token_make, visitor_token_read
from testsupport.communicator import connected_visitor

DAY = 24 * 3600


def token_made_days_ago(days: float, *, website_id: int, visitor_id: str, monkeypatch) -> str:
    """A token signed `days` ago: TimestampSigner reads signing's `time.time()`."""
    with monkeypatch.context() as patch:
        patch.setattr(signing, "time", SimpleNamespace(time=lambda: time.time() - days * DAY))
        return visitor_token_make(website_id=website_id, visitor_id=visitor_id)


def test_the_default_lifetime_is_thirty_days(settings):
    assert settings.CHATELLY_VISITOR_TOKEN_DAYS == 30


@pytest.mark.parametrize("days, accepted", [(0, True), (29, True), (31, False), (400, False)])
def test_a_token_is_read_only_within_its_lifetime(monkeypatch, days, accepted):
    token = token_made_days_ago(days, website_id=7, visitor_id="v_abc", monkeypatch=monkeypatch)
    assert visitor_token_read(token, website_id=7) == ("v_abc" if accepted else None)


def test_the_lifetime_is_a_setting(monkeypatch, settings):
    settings.CHATELLY_VISITOR_TOKEN_DAYS = 2
    token = token_made_days_ago(3, website_id=7, visitor_id="v_abc", monkeypatch=monkeypatch)
    assert visitor_token_read(token, website_id=7) is None
    settings.CHATELLY_VISITOR_TOKEN_DAYS = 4
    assert visitor_token_read(token, website_id=7) == "v_abc"


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize("days, same_visitor", [(29, True), (31, False)])
async def test_a_returning_visitor_keeps_their_id_until_the_token_expires(
    site, monkeypatch, days, same_visitor
):
    first, session = await connected_visitor(site.widget_key)
    await first.close()
    old = token_made_days_ago(
        days, website_id=site.id, visitor_id=session["visitor_id"], monkeypatch=monkeypatch
    )
    socket, again = await connected_visitor(site.widget_key, token=old)
    assert (again["visitor_id"] == session["visitor_id"]) is same_visitor
    # Every session frame carries a freshly signed token: a returning visitor
    # starts a new lifetime.
    assert again["token"] != old
    assert visitor_token_read(again["token"], website_id=site.id) == again["visitor_id"]
    assert signing.loads(again["token"], salt="chatelly.visitor-token", max_age=60)
    await socket.close()
