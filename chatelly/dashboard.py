"""The dashboard's page at /app/: one HTML shell; everything else is static files
and the public API (templates/dashboard/, static/dashboard/). Also its service
worker at /app/sw.js: a worker's scope is at most its script's folder, and push
notifications must open pages under /app/."""

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.http import require_safe

# No inline script or style, no third-party origin. connect-src 'self' covers
# same-origin ws:// and wss:// in current browsers (CSP Level 3).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "media-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # The shell names hashed asset URLs in production: a stale copy would load old code.
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


@require_safe
def dashboard_page(request):
    response = render(request, "dashboard/index.html", {"static_url": static("dashboard/")})
    for name, value in PAGE_HEADERS.items():
        response[name] = value
    return response


SERVICE_WORKER = "dashboard/sw.js"


def _service_worker_source() -> bytes:
    # The source file (static/ is in the image), else the collected copy.
    found = finders.find(SERVICE_WORKER)
    path = Path(found) if found else Path(settings.STATIC_ROOT) / SERVICE_WORKER
    try:
        return path.read_bytes()
    except OSError as exc:
        raise Http404("No service worker.") from exc


@require_safe
def service_worker(request):
    response = HttpResponse(_service_worker_source(), content_type="text/javascript; charset=utf-8")
    for name, value in PAGE_HEADERS.items():
        response[name] = value
    # Browsers check for a new worker on each registration; no-cache makes them ask us.
    response["Cache-Control"] = "no-cache"
    return response
