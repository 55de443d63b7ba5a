"""The visitor connect path's statements: a raw INSERT that saves what the ORM
would, and a visit's commit that does not wait for the disk."""

import pytest
from django.db import connection, transaction

from chat import services
from chat.models import Visitor
from chat.writer import statements
from chatelly import db

pytestmark = pytest.mark.django_db


def test_insert_saves_what_the_orm_would(site):
    raw = Visitor(website_id=site.id, user_agent="UA/1")
    statements.insert(raw)
    orm = Visitor.objects.create(website_id=site.id, user_agent="UA/1")
    assert raw.pk is not None and not raw._state.adding
    stored = Visitor.objects.get(pk=raw.pk)
    for field in Visitor._meta.concrete_fields:
        if field.attname not in ("id", "visitor_id", "session_id", "first_seen", "last_seen"):
            assert getattr(stored, field.attname) == getattr(orm, field.attname), field.attname
    assert stored.visitor_id == raw.visitor_id and len(stored.visitor_id) == len(orm.visitor_id)
    assert stored.session_id == raw.session_id and stored.first_seen == raw.first_seen is not None


def test_a_new_visitor_and_its_return(site):
    fresh = services.visitor_connect(
        website_id=site.id, visitor_id="v_fresh-one", known=False, user_agent="UA/1"
    )
    assert Visitor.objects.get(pk=fresh.pk).visitor_id == "v_fresh-one"
    back = services.visitor_connect(
        website_id=site.id, visitor_id="v_fresh-one", known=True, user_agent="UA/2"
    )
    assert back.pk == fresh.pk and Visitor.objects.get(pk=fresh.pk).user_agent == "UA/2"
    # A token's visitor whose row is gone (a crash lost the unflushed commit) is made again.
    Visitor.objects.filter(pk=fresh.pk).delete()
    again = services.visitor_connect(website_id=site.id, visitor_id="v_fresh-one", known=True)
    assert again.visitor_id == "v_fresh-one" and Visitor.objects.filter(visitor_id="v_fresh-one").count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting (CI sets DATABASE_URL)")
@pytest.mark.django_db(transaction=True)  # a real transaction, not the test's savepoint
def test_commit_without_flush_holds_for_its_transaction_only():
    def setting():
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    with transaction.atomic():
        db.commit_without_flush()
        assert setting() == "off"
    assert setting() == "on"


def test_a_returning_visitor_gets_its_active_chat_and_one_without_none(site):
    snapshot = {"id": site.id, "settings": site.settings}
    chatting = services.visitor_connect(website_id=site.id, visitor_id="v_chatting", known=False)
    services.visitor_message_post(site=snapshot, visitor=chatting, content="Hi", client_id="c1")
    services.visitor_connect(website_id=site.id, visitor_id="v_quiet", known=False)

    with_chat = services.visitor_session(website_id=site.id, visitor_id="v_chatting", known=True)
    assert with_chat.chat is not None and [m.content for m in with_chat.history] == ["Hi"]
    without = services.visitor_session(website_id=site.id, visitor_id="v_quiet", known=True)
    assert without.visitor.visitor_id == "v_quiet" and without.chat is None and without.history == []
    services.chat_close_by_visitor(website_id=site.id, visitor=chatting)
    assert services.visitor_session(website_id=site.id, visitor_id="v_chatting", known=True).chat is None
