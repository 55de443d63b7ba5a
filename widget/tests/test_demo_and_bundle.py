import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from websites.models import Website

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_an_owner_and_a_localhost_website_once(api):
    out = StringIO()
    call_command("seed_demo", "--password", "Demo-pass-123", stdout=out)
    text = out.getvalue()
    owner = User.objects.get(email="demo@chatelly.local")
    assert owner.check_password("Demo-pass-123")
    website = Website.objects.get(user=owner)
    assert website.domain == "localhost" and website.settings["greeting"]
    url = re.search(r"demo page:\s+(\S+)", text).group(1)
    assert url == f"http://127.0.0.1:8000/demo/{website.widget_key}"
    assert f'<script async src="http://127.0.0.1:8000/widget/script/{website.widget_key}"></script>' in text
    page = api.get(f"/demo/{website.widget_key}")
    assert page.status_code == 200
    assert f'src="http://testserver/widget/script/{website.widget_key}"'.encode() in page.content
    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert Website.objects.count() == 1 and User.objects.count() == 1
    assert "unchanged" in again.getvalue()


def test_seed_demo_refuses_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=StringIO())


def test_the_demo_page_is_development_only(api, website, settings):
    assert api.get(f"/demo/{website.widget_key}").status_code == 200
    assert api.get("/demo/unknown-key-0123456789abcdef").status_code == 404
    settings.PRODUCTION = True
    assert api.get(f"/demo/{website.widget_key}").status_code == 404


def test_the_ui_bundle_is_immutable_per_version(api, website):
    from widget.loader import app_bundle

    _, etag, version = app_bundle()
    loader = api.get(f"/widget/script/{website.widget_key}").content.decode()
    assert f'"http://testserver/widget/app.js?v={version}"' in loader
    bundle = api.get(f"/widget/app.js?v={version}")
    assert bundle.status_code == 200
    assert bundle["Content-Type"] == "text/javascript; charset=utf-8"
    assert bundle["Cache-Control"] == "public, max-age=31536000, immutable"
    assert bundle["ETag"] == etag
    assert api.get("/widget/app.js?v=old")["Cache-Control"] == "public, max-age=300"
    assert api.get("/widget/app.js", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert b"innerHTML" not in bundle.content  # text only, never markup
