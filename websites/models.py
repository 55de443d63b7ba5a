"""Websites, the widget keys that name them in public, who may work on them,
and the invitations of people without an account yet."""

import secrets

from django.conf import settings
from django.db import models


def new_widget_key() -> str:
    return secrets.token_urlsafe(24)  # 192 random bits, URL-safe


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    AGENT = "agent", "Agent"


ROLE_RANK: dict[str, int] = {Role.AGENT: 1, Role.ADMIN: 2, Role.OWNER: 3}


class Website(models.Model):
    role: str  # not a field: set by website_list_for_user's annotate() and website_create
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="owned_websites"
    )
    name = models.CharField(max_length=255)
    domain = models.CharField(max_length=255)
    widget_key = models.CharField(max_length=64, unique=True, default=new_widget_key, editable=False)
    max_users = models.PositiveIntegerField(default=100)
    is_active = models.BooleanField(default=True)
    settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "websites"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"], name="websites_owner_created")]

    def __str__(self) -> str:
        return f"{self.name} ({self.domain})"


class Membership(models.Model):
    website = models.ForeignKey(Website, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "websites_membership"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["website", "user"], name="membership_unique_user"),
            models.UniqueConstraint(
                fields=["website"], condition=models.Q(role="owner"), name="membership_one_owner"
            ),
        ]
        indexes = [models.Index(fields=["user", "website"], name="membership_by_user")]

    def __str__(self) -> str:
        return f"{self.user_id} is {self.role} of {self.website_id}"


class Invitation(models.Model):
    """An invitation to join a website, emailed to an address with no account.
    Only its token's SHA-256 is kept (accounts.onetime). Open while not
    accepted, not revoked and not expired; at most one open per address and
    website (expired ones are revoked when a new one is made)."""

    website = models.ForeignKey(Website, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)  # lower-cased
    role = models.CharField(max_length=16, choices=Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations_sent"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # Bumped by every (re)send: the email's idempotency key, so a resend is a
    # new email and a repeated job is not.
    generation = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "websites_invitation"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["website", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} invited to {self.website_id} as {self.role}"
