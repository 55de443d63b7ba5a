"""Input and output shapes of the website, member and invitation endpoints."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import LinkTokenField, UserSerializer
from chatelly.api.fields import (
    NameField,
    StrictBooleanField,
    StrictCharField,
    StrictEmailField,
    StrictIntegerField,
)

from .models import Invitation, Membership, Role, Website
from .settings_schema import OPENAPI_SCHEMA

# A host name (ASCII; IDNs are taken too), an IPv4 address, or *.example.com.
_LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
DOMAIN_PATTERN = rf"^(\*\.{_LABEL}(\.{_LABEL})+|{_LABEL}(\.{_LABEL})*)\.?$"


@extend_schema_field(OPENAPI_SCHEMA)
class SettingsField(serializers.JSONField):
    pass


@extend_schema_field({"type": "string", "maxLength": 253, "pattern": DOMAIN_PATTERN})
class DomainField(StrictCharField):
    pass


class WebsiteSerializer(serializers.ModelSerializer):
    user_id = serializers.IntegerField(read_only=True)
    role = serializers.CharField(read_only=True)
    settings = SettingsField(read_only=True)

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

    name = NameField()
    domain = DomainField(
        max_length=255, trim_whitespace=False, help_text="Host name, IP address or *.example.com"
    )
    settings = SettingsField(required=False, help_text="Replaced whole; see the settings keys.")
    max_users = StrictIntegerField(required=False, min_value=1, max_value=1_000_000)
    is_active = StrictBooleanField(required=False)


class MemberSerializer(serializers.ModelSerializer):
    user = UserSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["user", "role", "created_at"]
        read_only_fields = fields


class AcceptedMemberSerializer(MemberSerializer):
    """A Member, naming the website it is of: whoever accepted an invitation has
    only its token, which does not say."""

    website_id = serializers.IntegerField(read_only=True)

    class Meta(MemberSerializer.Meta):
        fields = [*MemberSerializer.Meta.fields, "website_id"]
        read_only_fields = fields


class MemberAddInput(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    role = serializers.ChoiceField(choices=[Role.ADMIN, Role.AGENT])


class MemberRoleInput(serializers.Serializer):
    role = serializers.ChoiceField(choices=[Role.ADMIN, Role.AGENT])


class InvitationSerializer(serializers.ModelSerializer):
    invited_by = UserSerializer(read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "invited_by", "created_at", "expires_at"]
        read_only_fields = fields


class InvitationCreatedOutput(serializers.Serializer):
    """The answer to adding a member whose email has no account yet."""

    invitation = InvitationSerializer()


class InvitationAcceptInput(serializers.Serializer):
    token = LinkTokenField(help_text="The `token` of the emailed invitation link.")
