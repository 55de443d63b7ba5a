"""The export_analytics command: a website's daily figures as CSV."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from analytics import services as analytics_services
from chat import services as chat_services

SITE = {"settings": {}}


def post(site, visitor):
    return chat_services.visitor_message_post(
        site={"id": site.id, **SITE}, visitor=visitor, content="Hello", client_id="c1"
    )


@pytest.mark.django_db
def test_export_analytics_command(site, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(site, chat_services.visitor_connect(website_id=site.id, visitor_id=None))
    analytics_services.flush()
    out = StringIO()
    call_command("export_analytics", "--website", str(site.id), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "date,chats,messages,visitors"
    assert len(lines) == 31
    assert lines[-1].endswith(",1,1,1")
    with pytest.raises(CommandError):
        call_command("export_analytics", "--website", "999999", stdout=StringIO())
    with pytest.raises(CommandError, match="from"):
        call_command(
            "export_analytics", "--website", str(site.id), "--from", "2026-05-01", "--to", "2026-04-01"
        )
