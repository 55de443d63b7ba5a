"""Input and output shapes of the auth and user endpoints."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chatelly.api.fields import NameField, StrictCharField, StrictEmailField

from .models import User


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "name", "plan", "created_at", "updated_at"]
        read_only_fields = fields


class RegisterInput(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    password = StrictCharField(max_length=128, trim_whitespace=False)
    name = NameField()


class LoginInput(serializers.Serializer):
    email = StrictCharField(max_length=254)
    password = StrictCharField(max_length=128, trim_whitespace=False)


@extend_schema_field({"type": "string", "maxLength": 4096, "pattern": "^[A-Za-z0-9_.=-]+$"})
class _TokenField(StrictCharField):
    """A JWT: base64url parts and dots (anything else is a 401 `token_not_valid`)."""


class RefreshInput(serializers.Serializer):
    refresh = _TokenField(max_length=4096)


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class AuthOutput(TokenPairOutput):
    user = UserSerializer()


class ProfileInput(serializers.Serializer):
    """`plan`, `id` and timestamps are not fields here, so they are ignored."""

    name = NameField()
    email = StrictEmailField(max_length=254)


class PasswordChangeInput(serializers.Serializer):
    current_password = StrictCharField(max_length=128, trim_whitespace=False)
    new_password = StrictCharField(max_length=128, trim_whitespace=False)
