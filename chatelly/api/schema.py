"""OpenAPI pieces shared by every app: the error body and common responses."""

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": serializers.CharField(help_text="Stable error code, e.g. validation_error."),
        "message": serializers.CharField(),
        "code": serializers.IntegerField(help_text="The HTTP status."),
        "details": serializers.DictField(
            child=serializers.CharField(),
            required=False,
            help_text="Field (dotted path) -> message; only when it says something.",
        ),
    },
)

_DESCRIPTIONS = {
    400: "validation_error or parse_error",
    401: "not_authenticated or token_not_valid",
    403: "permission_denied or plan_limit",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited (with Retry-After)",
    503: "unavailable",
}


def errors(*statuses: int, **overrides: str) -> dict:
    """{status: OpenApiResponse(Error)} for extend_schema(responses=...)."""
    out = {}
    for status in statuses:
        text = overrides.get(f"e{status}", _DESCRIPTIONS.get(status, "error"))
        out[status] = OpenApiResponse(ErrorSerializer, description=text)
    return out


def drop_slash_duplicates(endpoints, **kwargs):
    """Every route exists with and without the trailing slash; document it once."""
    paths = {path for path, *_ in endpoints}
    return [
        endpoint
        for endpoint in endpoints
        if not (endpoint[0].endswith("/") and endpoint[0].rstrip("/") in paths)
    ]


def paginated(serializer_class, name: str):
    """The page the API's lists answer: {count, next, previous, results: [item...]}.

    A serializer class, so drf-spectacular makes it a named component.
    """
    return type(
        f"Paginated{name}List",
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(min_value=0),
            "next": serializers.URLField(allow_null=True, help_text="The next page, or null."),
            "previous": serializers.URLField(allow_null=True, help_text="The previous page, or null."),
            "results": serializer_class(many=True),
        },
    )


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's, with a raw request schema that names required
    properties making the body required (a PATCH whose field is required)."""

    def _get_request_for_media_type(self, serializer, direction="request"):
        schema, required = super()._get_request_for_media_type(serializer, direction)
        if isinstance(serializer, dict) and serializer.get("required"):
            required = True
        return schema, required
