"""The dashboard's page at /app/: one HTML shell; everything else is static files
and the public API (templates/dashboard/, static/dashboard/)."""

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
