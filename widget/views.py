"""Public widget endpoints, keyed by widget_key (the OpenAPI schema's widget tag)."""

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import InvalidToken

from chat import presence
from chat.selectors import visitor_exists
from chat.serializers import AttachmentSchema, UploadSchema, attachment_to_dict, iso
from chat.services import upload_store
from chat.sockets.visitor_tokens import visitor_token_read
from chat.upload_views import refuse_oversize_body
from chatelly.api.client_ip import client_ip_for_request
from chatelly.api.public import PublicView
from chatelly.api.ratelimit import enforce_rate
from chatelly.api.schema import errors
from websites.availability import availability
from websites.settings_schema import OFFLINE_MODES, public_settings
from websites.widget_cache import active_site

from .cors import add_cors_headers
from .loader import CACHE_CONTROL, app_bundle, render_loader

WidgetConfigSerializer = inline_serializer(
    name="WidgetConfig",
    fields={
        "widget_key": serializers.CharField(),
        "name": serializers.CharField(),
        "settings": serializers.DictField(help_text="The public settings only."),
        "agents_online": serializers.BooleanField(),
        "ws_url": serializers.CharField(help_text="ws(s)://host/widget/ws/<key>"),
        "mode": serializers.ChoiceField(
            choices=OFFLINE_MODES,
            help_text=(
                "What the widget shows now: live when open (within business hours, or with an "
                "agent online when there are none), else settings.offline_mode."
            ),
        ),
        "opens_at": serializers.DateTimeField(
            allow_null=True,
            help_text="When closed, the next start of business hours (UTC); else null.",
        ),
    },
)


class WidgetView(PublicView):
    """No JWT, a per-IP rate limit, CORS for the website's own origins."""

    throttle_classes: list = []
    www_authenticate = 'VisitorToken realm="widget"'
    site: dict | None = None

    def resolve(self, request, widget_key: str) -> dict:
        self.site = active_site(widget_key)
        enforce_rate(
            request,
            group="widget",
            key_value=client_ip_for_request(request),
            rate_setting="CHATELLY_RATE_WIDGET",
        )
        if self.site is None:
            raise NotFound()
        return self.site

    def options(self, request, *args, **kwargs):
        self.site = active_site(kwargs.get("widget_key", ""))
        if self.site is None:
            raise NotFound()
        return Response(status=204)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        return add_cors_headers(
            response,
            site=self.site,
            origin=request.headers.get("Origin"),
            preflight=request.method == "OPTIONS",
        )


class WidgetConfigView(WidgetView):
    @extend_schema(
        tags=["widget"],
        summary="What the widget needs to draw itself (public)",
        auth=[],
        responses={200: WidgetConfigSerializer, **errors(404, 429)},
    )
    def get(self, request, widget_key):
        site = self.resolve(request, widget_key)
        scheme = "wss" if request.is_secure() else "ws"
        agents_online = presence.agents_online(site["id"])
        # Computed per request, never cached: it moves with the clock and presence.
        mode, opens_at = availability(site["settings"], now=timezone.now(), agents_online=agents_online)
        return Response(
            {
                "widget_key": site["widget_key"],
                "name": site["name"],
                "settings": public_settings(site["settings"]),
                "agents_online": agents_online,
                "ws_url": f"{scheme}://{request.get_host()}/widget/ws/{site['widget_key']}",
                "mode": mode,
                "opens_at": iso(opens_at),
            },
            headers={"Cache-Control": "no-store"},
        )


class WidgetScriptView(WidgetView):
    @extend_schema(
        tags=["widget"],
        summary="The loader script to put in a <script async> tag (public)",
        auth=[],
        responses={
            (200, "text/javascript"): str,
            304: None,
            **errors(404, 429),
        },
    )
    def get(self, request, widget_key):
        site = self.resolve(request, widget_key)
        base_url = request.build_absolute_uri("/").rstrip("/")
        body, etag = render_loader(widget_key=site["widget_key"], base_url=base_url)
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "X-Content-Type-Options": "nosniff"}
        if etag in _etags(request.headers.get("If-None-Match", "")):
            response = HttpResponse(status=304)
        else:
            response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
        for name, value in headers.items():
            response[name] = value
        return response


def _etags(header: str) -> set[str]:
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}
    return tags


class WidgetUploadView(WidgetView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=["widget"],
        summary="Upload a file as the visitor, for a message's attachment_id (public)",
        description=(
            "Counts toward the website's and the visitor's daily upload quotas: over one, "
            "429 `rate_limited` with Retry-After (413 when the file alone is larger than the quota)."
        ),
        auth=[],
        parameters=[
            OpenApiParameter("X-Visitor-Token", str, location=OpenApiParameter.HEADER, required=True)
        ],
        request={"multipart/form-data": UploadSchema},
        responses={201: AttachmentSchema, **errors(400, 401, 404, 413, 415, 429)},
    )
    def post(self, request, widget_key):
        site = self.resolve(request, widget_key)
        refuse_oversize_body(request)
        visitor_id = visitor_token_read(request.headers.get("X-Visitor-Token"), website_id=site["id"])
        if visitor_id is None or not visitor_exists(website_id=site["id"], visitor_id=visitor_id):
            raise InvalidToken("The visitor token is missing or not valid.")
        attachment = upload_store(
            website_id=site["id"],
            uploader_type="visitor",
            uploader_id=visitor_id,
            upload=request.FILES.get("file"),
        )
        return Response(attachment_to_dict(attachment), status=201)


class WidgetAppView(PublicView):
    """The widget's UI bundle, loaded by the loader; immutable per version."""

    throttle_classes: list = []

    @extend_schema(exclude=True)
    def get(self, request):
        body, etag, version = app_bundle()
        if etag in _etags(request.headers.get("If-None-Match", "")):
            response = HttpResponse(status=304)
        else:
            response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
        response["ETag"] = etag
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = (
            "public, max-age=31536000, immutable"
            if request.query_params.get("v") == version
            else CACHE_CONTROL
        )
        return response
