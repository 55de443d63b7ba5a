"""The unsubscribe page at /email/unsubscribe?token=...: plain HTML, no login,
no script. GET only asks (mail scanners fetch links, so a GET never
unsubscribes); POST unsubscribes: the page's button, and RFC 8058's one-click
POST (`List-Unsubscribe=One-Click`) that mail clients send without any CSRF
token. The signed token is the authorisation, hence csrf_exempt."""

import base64
import hashlib

from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from chatelly.errors import InvalidInput

from . import links, services

STYLE = (
    "body{margin:0;padding:48px 16px;background:#f4f5f7;color:#1f2328;"
    "font:16px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif}"
    "main{max-width:420px;margin:0 auto;background:#fff;border-radius:8px;padding:24px}"
    "h1{font-size:20px;margin:0 0 12px}"
    "button{font:inherit;font-weight:600;color:#fff;background:#1f6feb;border:0;border-radius:6px;"
    "padding:10px 18px;cursor:pointer}"
    "button:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
# Only the one inline style above; no script at all; the form posts back here.
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the URL holds the token
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}


def _page(request, state: str, *, token: str = "", email: str = "", status: int = 200):
    context = {"state": state, "token": token, "email": email, "style": STYLE}
    response = render(request, "visitor_mail/unsubscribe.html", context, status=status)
    for name, value in HEADERS.items():
        response[name] = value
    return response


@csrf_exempt
def unsubscribe_page(request):
    if request.method not in ("GET", "HEAD", "POST"):
        response = _page(request, "bad", status=405)
        response["Allow"] = "GET, HEAD, POST"
        return response
    token = request.POST.get("token") or request.GET.get("token", "")
    if request.method != "POST":
        found = links.unsubscribe_token_read(token)
        if found is None:
            return _page(request, "bad", status=400)
        return _page(request, "confirm", token=token, email=found[0])
    try:
        email = services.unsubscribe(token=token)
    except InvalidInput:
        return _page(request, "bad", status=400)
    return _page(request, "done", email=email)
