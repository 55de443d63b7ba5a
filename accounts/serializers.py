"""Input and output shapes of the auth and user endpoints."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chatelly.api.fields import NOT_BLANK, NameField, StrictBooleanField, StrictCharField, StrictEmailField

from .models import User


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "name", "plan", "created_at", "updated_at"]
        read_only_fields = fields


def _refresh_cookie_field() -> StrictBooleanField:
    return StrictBooleanField(
        required=False,
        default=False,
        help_text=(
            "true: the refresh token is set as the HttpOnly cookie `chatelly_refresh` "
            "(Path=/api/v1/auth/session/) instead of being in the body."
        ),
    )


class RegisterInput(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    password = StrictCharField(max_length=128, trim_whitespace=False)
    name = NameField()
    refresh_cookie = _refresh_cookie_field()


@extend_schema_field({"type": "string", "minLength": 1, "maxLength": 254, "pattern": NOT_BLANK})
class _LoginEmailField(StrictCharField):
    """Any text (an unknown address is a 401, not a 400), trimmed: only spaces is blank."""


class LoginInput(serializers.Serializer):
    email = _LoginEmailField(max_length=254)
    password = StrictCharField(max_length=128, trim_whitespace=False)
    refresh_cookie = _refresh_cookie_field()


@extend_schema_field({"type": "string", "maxLength": 4096, "pattern": "^[A-Za-z0-9_.=-]+$"})
class _TokenField(StrictCharField):
    """A JWT: base64url parts and dots (anything else is a 401 `token_not_valid`)."""


class RefreshInput(serializers.Serializer):
    refresh = _TokenField(max_length=4096)


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class NewTokensOutput(serializers.Serializer):
    """A new pair; `refresh` is in the cookie instead when the request said refresh_cookie."""

    access = serializers.CharField()
    refresh = serializers.CharField(required=False, help_text="Absent with refresh_cookie: true.")


class AuthOutput(NewTokensOutput):
    user = UserSerializer()


class SessionOutput(serializers.Serializer):
    access = serializers.CharField()
    user = UserSerializer()


class ProfileInput(serializers.Serializer):
    """`plan`, `id` and timestamps are not fields here, so they are ignored."""

    name = NameField()
    email = StrictEmailField(max_length=254)


class PasswordChangeInput(serializers.Serializer):
    current_password = StrictCharField(max_length=128, trim_whitespace=False)
    new_password = StrictCharField(max_length=128, trim_whitespace=False)
    refresh_cookie = _refresh_cookie_field()


@extend_schema_field({"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[A-Za-z0-9_-]+$"})
class LinkTokenField(StrictCharField):
    """The token of an emailed link (base64url); one of no link is a 400 of its field."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 128)
        super().__init__(**kwargs)


class PasswordResetInput(serializers.Serializer):
    email = StrictEmailField(max_length=254)


class PasswordResetConfirmInput(serializers.Serializer):
    token = LinkTokenField(help_text="The `token` of the emailed link.")
    new_password = StrictCharField(max_length=128, trim_whitespace=False)
    refresh_cookie = _refresh_cookie_field()


class EmptyOutput(serializers.Serializer):
    """An empty object."""
