"""Input and output shapes of the auth and user endpoints."""

from rest_framework import serializers

from chatelly.api.fields import StrictCharField, StrictEmailField

from .models import User


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "name", "plan", "created_at", "updated_at"]
        read_only_fields = fields


class RegisterInput(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    password = StrictCharField(max_length=128, trim_whitespace=False)
    name = StrictCharField(max_length=255)


class LoginInput(serializers.Serializer):
    email = StrictCharField(max_length=254)
    password = StrictCharField(max_length=128, trim_whitespace=False)


class RefreshInput(serializers.Serializer):
    refresh = StrictCharField(max_length=4096)


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class AuthOutput(TokenPairOutput):
    user = UserSerializer()


class ProfileInput(serializers.Serializer):
    """`plan`, `id` and timestamps are not fields here, so they are ignored."""

    name = StrictCharField(max_length=255)
    email = StrictEmailField(max_length=254)


class PasswordChangeInput(serializers.Serializer):
    current_password = StrictCharField(max_length=128, trim_whitespace=False)
    new_password = StrictCharField(max_length=128, trim_whitespace=False)
