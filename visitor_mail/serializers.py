"""The widget endpoints' bodies (input checks and the OpenAPI schema)."""

from rest_framework import serializers

from chat.serializers import MessageSchema
from chatelly.api.fields import StrictCharField, StrictEmailField, StrictIntegerField

MAX_SAFE_INTEGER = 2**53 - 1


def _opaque_key(**kwargs) -> StrictCharField:
    """A key compared as it is: one of spaces is an unknown key (404), not a blank field."""
    return StrictCharField(trim_whitespace=False, **kwargs)


class ResumeInput(serializers.Serializer):
    token = _opaque_key(max_length=500, help_text="From the email's link: #chatelly-resume=<token>.")
    widget_key = _opaque_key(max_length=64)


class ResumedChat(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["active", "closed"])


class ResumeOutput(serializers.Serializer):
    visitor_token = serializers.CharField(
        help_text="The visitor token of the chat's visitor (as the session frame gives it): "
        "open the visitor socket with ?token= to carry on."
    )
    visitor_id = serializers.CharField()
    email = serializers.CharField(help_text="The email the visitor gave, or an empty string.")
    chat = ResumedChat()
    messages = MessageSchema(many=True, help_text="The chat's latest 200 messages, oldest first.")


class TranscriptInput(serializers.Serializer):
    widget_key = _opaque_key(max_length=64)
    email = StrictEmailField(max_length=254)
    chat_id = StrictIntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_SAFE_INTEGER,
        help_text="One of the visitor's chats; without it, their latest.",
    )
