"""The notification endpoints' shapes, for the OpenAPI schema (the services
check the input themselves: unknown keys are refused, as website settings are)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .selectors import MAX_MINUTES, MIN_MINUTES, time_zones

HHMM = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "22:00"}
QUIET_HOURS = {
    "type": "object",
    "nullable": True,
    "properties": {"start": HHMM, "end": HHMM},
    "required": ["start", "end"],
    "additionalProperties": False,
    "description": (
        "Nothing is sent from start to end on the user's clock (time_zone); start after end spans "
        "midnight; start and end must differ. A chat still unread when they end is notified then. null: none."
    ),
}


def time_zone_schema() -> dict:
    return {"type": "string", "enum": sorted(time_zones()), "description": "An IANA time zone."}


@extend_schema_field(QUIET_HOURS)
class QuietHoursField(serializers.JSONField):
    pass


class PreferencesSchema(serializers.Serializer):
    email_enabled = serializers.BooleanField()
    push_enabled = serializers.BooleanField()
    unread_minutes = serializers.IntegerField(
        min_value=MIN_MINUTES,
        max_value=MAX_MINUTES,
        help_text="Minutes a visitor message stays unread before the user is told.",
    )
    quiet_hours = QuietHoursField(allow_null=True)
    time_zone = serializers.CharField(help_text="An IANA time zone.")


def preferences_request() -> dict:
    return {
        "application/json": {
            "type": "object",
            "properties": {
                "email_enabled": {"type": "boolean"},
                "push_enabled": {"type": "boolean"},
                "unread_minutes": {"type": "integer", "minimum": MIN_MINUTES, "maximum": MAX_MINUTES},
                "quiet_hours": QUIET_HOURS,
                "time_zone": time_zone_schema(),
            },
            "additionalProperties": False,
        }
    }


class PushKeySchema(serializers.Serializer):
    public_key = serializers.CharField(
        allow_null=True,
        help_text="The VAPID public key (base64url) for pushManager.subscribe; null: no push.",
    )


BASE64URL_65 = {"type": "string", "pattern": "^[A-Za-z0-9_-]{87}=?$"}
BASE64URL_16 = {"type": "string", "pattern": "^[A-Za-z0-9_-]{22}(==)?$"}
SUBSCRIPTION_REQUEST = {
    "application/json": {
        "type": "object",
        "properties": {
            "endpoint": {
                "type": "string",
                "format": "uri",
                "pattern": "^https://",
                "maxLength": 2048,
                "description": "The push service URL: https, its host resolving to public addresses.",
            },
            "keys": {
                "type": "object",
                "properties": {
                    "p256dh": {**BASE64URL_65, "description": "The browser's P-256 key, 65 bytes."},
                    "auth": {**BASE64URL_16, "description": "The auth secret, 16 bytes."},
                },
                "required": ["p256dh", "auth"],
            },
        },
        "required": ["endpoint", "keys"],
    }
}


class SubscriptionSchema(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
