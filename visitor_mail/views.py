"""The widget's two endpoints for visitor email (public, under /widget/):
POST /widget/resume and POST /widget/transcript. Thin: checks, then services."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import InvalidToken

from chat.serializers import message_to_dict
from chat.sockets.connect_limits import address_bucket
from chat.sockets.visitor_tokens import visitor_token_read
from chatelly.api.client_ip import client_ip_for_request
from chatelly.api.public import PublicView
from chatelly.api.ratelimit import enforce_rate
from chatelly.api.schema import errors
from chatelly.api.validation import valid_data
from chatelly.errors import NotFound
from websites.domains import parse_origin, site_allows_origin
from websites.widget_cache import SiteSnapshot, active_site

from . import services
from .serializers import ResumeInput, ResumeOutput, TranscriptInput

ALLOWED_METHODS = "POST, OPTIONS"
ALLOWED_HEADERS = "Content-Type, X-Visitor-Token"
PREFLIGHT_MAX_AGE = "600"


class BodyKeyedWidgetView(PublicView):
    """A widget endpoint whose website is named in the body (`widget_key`), not
    the path: a per-IP rate limit and CORS as widget/cors.py gives, for the
    website's own origins exactly (never `*`, never credentials).

    A preflight has no body, so it cannot name the website: it is answered for
    any http(s) origin. That grants nothing: these endpoints take no cookie
    (the widget omits credentials) and act only on a signed token in the
    request, which a foreign page does not have; what CORS guards here is the
    answer, and only the website's own origins may read it."""

    throttle_classes: list = []
    www_authenticate = 'VisitorToken realm="widget"'
    site: SiteSnapshot | None = None

    def rate_limit(self, request) -> None:
        enforce_rate(
            request,
            group="widget",
            key_value=client_ip_for_request(request),
            rate_setting="CHATELLY_RATE_WIDGET",
        )

    def resolve(self, widget_key: str) -> SiteSnapshot:
        self.site = active_site(widget_key)
        if self.site is None:
            raise NotFound()  # as the other widget endpoints answer an unknown key
        return self.site

    @extend_schema(exclude=True)
    def options(self, request, *args, **kwargs):
        return Response(status=204)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        origin = request.headers.get("Origin")
        vary = response.get("Vary", "")
        if "origin" not in vary.lower():
            response["Vary"] = f"{vary}, Origin" if vary else "Origin"
        if request.method == "OPTIONS":
            parsed = parse_origin(origin)
            if parsed is not None and parsed[0] in ("http", "https"):
                response["Access-Control-Allow-Origin"] = origin
                response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
                response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
                response["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        elif self.site is not None and site_allows_origin(self.site, origin):
            response["Access-Control-Allow-Origin"] = origin
        return response


class ResumeView(BodyKeyedWidgetView):
    @extend_schema(
        tags=["widget"],
        summary="Carry on a chat from an email's resume link (public)",
        description=(
            "The token comes from the link `https://<website>/#chatelly-resume=<token>` in a reply "
            "email; it is good for CHATELLY_RESUME_LINK_DAYS (7) days. The answer's visitor token "
            "opens the visitor socket as the chat's visitor. A bad, expired or tampered token, or "
            "one of another website: 400 with `details.token`."
        ),
        auth=[],
        request=ResumeInput,
        responses={200: ResumeOutput, **errors(400, 404, 429)},
    )
    def post(self, request):
        self.rate_limit(request)
        data = valid_data(ResumeInput, request)
        site = self.resolve(data["widget_key"])
        resumed = services.chat_resume(website_id=site["id"], token=data["token"])
        chat = resumed.chat
        return Response(
            {
                "visitor_token": resumed.visitor_token,
                "visitor_id": chat.visitor_id,
                "email": chat.visitor_record.email,
                "chat": {"id": chat.id, "status": chat.status},
                "messages": [message_to_dict(m) for m in resumed.history],
            },
            headers={"Cache-Control": "no-store"},
        )


class TranscriptView(BodyKeyedWidgetView):
    @extend_schema(
        tags=["widget"],
        summary="Email the visitor a chat's transcript (public)",
        description=(
            "As the visitor of the X-Visitor-Token header: one of their chats (`chat_id`, else their "
            "latest) is emailed, whole, to `email` by a job. The same chat to the same address again "
            "sends nothing more. CHATELLY_RATE_TRANSCRIPT (5/h) per visitor and per address: 429."
        ),
        auth=[],
        parameters=[
            OpenApiParameter("X-Visitor-Token", str, location=OpenApiParameter.HEADER, required=True)
        ],
        request=TranscriptInput,
        responses={202: OpenApiResponse(description="Queued: `{}`."), **errors(400, 401, 404, 429)},
    )
    def post(self, request):
        self.rate_limit(request)
        data = valid_data(TranscriptInput, request)
        site = self.resolve(data["widget_key"])
        visitor_id = visitor_token_read(request.headers.get("X-Visitor-Token"), website_id=site["id"])
        if visitor_id is None:
            raise InvalidToken("The visitor token is missing or not valid.")
        # Each email goes to an address the caller chose: limited per visitor and per
        # client address (IPv6 by /64), so new visitor ids do not lift the limit.
        for group, value in (
            ("transcript-visitor", f"{site['id']}:{visitor_id}"),
            ("transcript-ip", address_bucket(client_ip_for_request(request))),
        ):
            enforce_rate(request, group=group, key_value=value, rate_setting="CHATELLY_RATE_TRANSCRIPT")
        services.transcript_request(
            website_id=site["id"], visitor_id=visitor_id, chat_id=data.get("chat_id"), email=data["email"]
        )
        return Response({}, status=202)
