"""Public widget endpoints, keyed by widget_key (API.md: Widget)."""

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import presence
from chatelly.api.client_ip import client_ip_for_request
from chatelly.api.ratelimit import enforce_rate
from chatelly.api.schema import errors
from websites.settings_schema import public_settings
from websites.widget_cache import active_site

from .cors import add_cors_headers
from .loader import CACHE_CONTROL, render_loader

WidgetConfigSerializer = inline_serializer(
    name="WidgetConfig",
    fields={
        "widget_key": serializers.CharField(),
        "name": serializers.CharField(),
        "settings": serializers.DictField(help_text="The public settings only."),
        "agents_online": serializers.BooleanField(),
        "ws_url": serializers.CharField(help_text="ws(s)://host/widget/ws/<key>"),
    },
)


class WidgetView(APIView):
    """No credentials, a per-IP rate limit, CORS for the website's own origins."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []
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
        return Response(
            {
                "widget_key": site["widget_key"],
                "name": site["name"],
                "settings": public_settings(site["settings"]),
                "agents_online": presence.agents_online(site["id"]),
                "ws_url": f"{scheme}://{request.get_host()}/widget/ws/{site['widget_key']}",
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
