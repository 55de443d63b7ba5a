"""A host page carrying the script tag, for trying the widget (development only)."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import render

from websites.widget_cache import active_site


def demo_page(request, widget_key: str):
    if settings.PRODUCTION:
        raise Http404()
    site = active_site(widget_key)
    if site is None:
        raise Http404()
    script_url = request.build_absolute_uri(f"/widget/script/{site['widget_key']}")
    return render(request, "demo.html", {"site": site, "script_url": script_url})
