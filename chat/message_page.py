"""GET /chats/:id/messages answered on the event loop: the dashboard's hottest read.

Through DRF the page costs a thread, the ORM and DRF's request cycle (about
10 ms of CPU a request on the benchmark machine). Here the plain case, a
valid bearer token of an active member with valid parameters and within the
rate limit, is answered from one statement on an async PostgreSQL connection
and one Redis round trip. Every other case (no or bad token, not a member,
bad parameters, over the limit, SQLite, a database error) returns None and
the DRF view answers it: the error answers have one author.
"""

import functools

import orjson
from asgiref.sync import markcoroutinefunction, sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse
from rest_framework.exceptions import AuthenticationFailed, ValidationError
from rest_framework_simplejwt.exceptions import TokenError

from accounts.authentication import JWTAuthentication
from accounts.models import User
from accounts.tokens import VERSION_CLAIM
from chatelly import async_db
from chatelly.api.params import int_param
from chatelly.api.throttling import api_call_counted
from chatelly.asgi_handler import close_on_loop

from .models import Attachment
from .selectors import MAX_PAGE
from .serializers import message_row_to_dict

MAX_SEQ = 2**31 - 1  # Message.seq is a PositiveIntegerField
_authentication = JWTAuthentication()
_storage = Attachment._meta.get_field("file").storage

# One row per message, or one row of NULLs for an empty page; no row when the
# user is not an active member of the chat's website with this token version.
# created_at and read_at come formatted as serializers.iso() writes them (truncated to the
# millisecond): parsing and formatting datetimes was a tenth of the request.
PAGE_SQL = """
SELECT m.id, m.chat_id, m.seq, m.content, m.type, m.sender_type, m.sender_id, m.is_from_bot,
       m.client_id, a.id, a.file, a.name, a.size, a.content_type,
       to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
       to_char(m.read_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
FROM chats c
JOIN websites_membership wm ON wm.website_id = c.website_id AND wm.user_id = %(user)s
JOIN users u ON u.id = wm.user_id AND u.is_active AND u.token_version = %(version)s
LEFT JOIN LATERAL (
    SELECT * FROM messages WHERE chat_id = c.id AND seq > %(after)s ORDER BY seq LIMIT %(limit)s
) m ON true
LEFT JOIN chat_attachment a ON a.id = m.attachment_id
WHERE c.id = %(chat)s
ORDER BY m.seq
"""


def _bearer(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    return token if scheme == "Bearer" and token and " " not in token else None


def page_params(query) -> tuple[int, int]:
    """(after, limit) of a messages page request (ValidationError if malformed);
    a limit out of 1..MAX_PAGE is clamped, as the OpenAPI schema says (far below: 400).
    `after` is a seq (an int4 column), so past its range it is a 400 too."""
    after = int_param(query, "after", 0, minimum=0, maximum=MAX_SEQ)
    limit = int_param(query, "limit", 50, minimum=-(10**9))
    return after, min(max(limit, 1), MAX_PAGE)


def _attachment_url(name: str) -> str:
    return _storage.url(name)


async def message_page(request, chat_id: int, *, allow: str) -> HttpResponse | None:
    raw = _bearer(request)
    if raw is None or not async_db.available():
        return None
    try:
        after, limit = page_params(request.GET)
        token = _authentication.get_validated_token(raw.encode())
        user_id = int(token["user_id"])
        version = int(token[VERSION_CLAIM])
    except (ValidationError, AuthenticationFailed, TokenError, KeyError, TypeError, ValueError):
        return None
    try:
        rows = await async_db.fetch(
            PAGE_SQL, {"user": user_id, "version": version, "after": after, "limit": limit, "chat": chat_id}
        )
    except async_db.DatabaseError:
        return None
    if not rows or not await api_call_counted(user_id):
        return None
    messages = [message_row_to_dict(row, _attachment_url) for row in rows if row[0] is not None]
    body = {"results": messages, "next_after": messages[-1]["seq"] if len(messages) == limit else None}
    # The user, for the request log; their id and membership were checked above.
    request.user = User(id=user_id)
    return close_on_loop(HttpResponse(_json(body), content_type="application/json", headers={"Allow": allow}))


def _json(data) -> bytes:
    # The bytes DRF's JSONRenderer writes (compact, UTF-8, U+2028/9 escaped), a
    # tenth of the time.
    return orjson.dumps(data).replace(_LS, rb"\u2028").replace(_PS, rb"\u2029")


_LS, _PS = "\u2028".encode(), "\u2029".encode()


def _allowed_methods(drf_view) -> str:
    """The Allow header DRF answers (set up as for a request: HEAD follows GET)."""
    instance = drf_view.cls(**drf_view.initkwargs)
    instance.setup(HttpRequest())
    return ", ".join(instance.allowed_methods)


def with_fast_get(drf_view):
    """The DRF view, with GET tried on the event loop first (see module doc)."""

    through_drf = sync_to_async(drf_view)
    allow = _allowed_methods(drf_view)

    async def view(request, chat_id):
        # Only under the ASGI server: Django's sync test client runs each request
        # on a loop of its own, which would open connections per request.
        if request.method == "GET" and isinstance(request, ASGIRequest):
            response = await message_page(request, chat_id, allow=allow)
            if response is not None:
                return response
        return await through_drf(request, chat_id=chat_id)

    functools.update_wrapper(view, drf_view)  # cls, initkwargs, csrf_exempt: schema and CSRF
    return markcoroutinefunction(view)
