"""Websites, the widget keys that name them in public, and who may work on them."""

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
