"""CORS for the public widget endpoints: the website's own origins, exactly.

`Access-Control-Allow-Origin` is the request's origin when it is the
website's domain (any scheme and port, wildcards honoured) or one of its
`allowed_origins`; never `*`, never with credentials. Anything else, `null`
included, gets no CORS header at all.
"""

from websites.domains import site_allows_origin

ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Content-Type, X-Visitor-Token"
PREFLIGHT_MAX_AGE = "600"


def add_cors_headers(response, *, site: dict | None, origin: str | None, preflight: bool = False):
    _vary(response)
    if site is None or not site_allows_origin(site, origin):
        return response
    response["Access-Control-Allow-Origin"] = origin
    if preflight:
        response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response


def _vary(response) -> None:
    existing = response.get("Vary", "")
    if "origin" not in existing.lower():
        response["Vary"] = f"{existing}, Origin" if existing else "Origin"
