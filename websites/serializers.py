"""Input and output shapes of the website and member endpoints."""

from rest_framework import serializers

from accounts.serializers import UserSerializer
from chatelly.api.fields import StrictBooleanField, StrictCharField, StrictEmailField, StrictIntegerField

from .models import Membership, Role, Website


class WebsiteSerializer(serializers.ModelSerializer):
    user_id = serializers.IntegerField(read_only=True)
    role = serializers.CharField(read_only=True)
    settings = serializers.DictField(read_only=True)

    class Meta:
        model = Website
        fields = [
            "id",
            "user_id",
            "name",
            "domain",
            "widget_key",
            "max_users",
            "is_active",
            "settings",
            "role",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebsiteInput(serializers.Serializer):
    """Client-sent `widget_key`, `user_id`, `id` and timestamps are not fields: ignored."""

    name = StrictCharField(max_length=255)
    domain = StrictCharField(
        max_length=255, trim_whitespace=False, help_text="Host name, IP address or *.example.com"
    )
    settings = serializers.JSONField(required=False, help_text="Replaced whole; see the settings keys.")
    max_users = StrictIntegerField(required=False, min_value=1, max_value=1_000_000)
    is_active = StrictBooleanField(required=False)


class MemberSerializer(serializers.ModelSerializer):
    user = UserSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["user", "role", "created_at"]
        read_only_fields = fields


class MemberAddInput(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    role = serializers.ChoiceField(choices=[Role.ADMIN, Role.AGENT])


class MemberRoleInput(serializers.Serializer):
    role = serializers.ChoiceField(choices=[Role.ADMIN, Role.AGENT])
