"""Agent notifications: each user's preferences, their browsers' push
subscriptions, and one row per push sent (its idempotency key)."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class NotificationPreference(models.Model):
    """A user's choices; a user without a row has the defaults (services.DEFAULTS)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_enabled = models.BooleanField(default=True)
    push_enabled = models.BooleanField(default=True)
    # NULL: settings.CHATELLY_NOTIFY_DEFAULT_MINUTES, whatever it is set to later.
    unread_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    # Quiet hours in `time_zone`, both set or neither; start > end spans midnight.
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(unread_minutes__isnull=True) | Q(unread_minutes__gte=1, unread_minutes__lte=1440),
                name="notify_unread_minutes_range",
            ),
            models.CheckConstraint(
                condition=Q(quiet_start__isnull=True, quiet_end__isnull=True)
                | Q(quiet_start__isnull=False, quiet_end__isnull=False),
                name="notify_quiet_hours_both_or_neither",
            ),
        ]

    def __str__(self) -> str:
        return f"notification preferences of {self.user_id}"


class PushSubscription(models.Model):
    """One browser's Web Push subscription (PushSubscription.toJSON() in the page)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    # ASCII only (checked): 2048 bytes fit a btree entry, so it can be unique.
    endpoint = models.CharField(max_length=2048, unique=True)
    p256dh = models.CharField(max_length=100)  # base64url, 65 bytes decoded
    auth = models.CharField(max_length=32)  # base64url, 16 bytes decoded
    user_agent = models.CharField(max_length=512, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="push_sub_user_created")]

    def __str__(self) -> str:
        return f"push subscription {self.pk} of {self.user_id}"


class PushStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    GONE = "gone", "Subscription gone (404/410)"
    FAILED = "failed", "Failed"


class PushDelivery(models.Model):
    # The idempotency key: the same key twice makes one row and one job.
    key = models.CharField(max_length=200, unique=True)
    subscription = models.ForeignKey(
        PushSubscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=PushStatus.choices, default=PushStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "push deliveries"

    def __str__(self) -> str:
        return f"push {self.key} ({self.status})"
