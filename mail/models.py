"""One row per email: the job sends it at most once, and keeps what happened."""

from django.db import models


class EmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    BOUNCED = "bounced", "Bounced (address refused)"
    FAILED = "failed", "Failed"
    SUPPRESSED = "suppressed", "Not sent (bounced or unsubscribed)"


class EmailDelivery(models.Model):
    # The idempotency key: queuing the same key twice queues one email.
    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=50)
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=255)
    text = models.TextField()
    html = models.TextField(blank=True, default="")
    headers = models.JSONField(default=dict, blank=True)
    # Holds a live one-time link (password reset, invitation): the body is
    # blanked once the email is sent or given up, so the table never leaks it.
    sensitive = models.BooleanField(default=False)
    # Visitor mail only: the website whose unsubscribe list, erase and export the
    # row belongs to. No foreign key: mail sits below websites in the app layers.
    website_id = models.PositiveBigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=EmailStatus.choices, default=EmailStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "email deliveries"
        indexes = [models.Index(fields=["status", "created_at"], name="mail_status_created")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to} ({self.status})"


class SuppressionReason(models.TextChoices):
    BOUNCE = "bounce", "The address was refused"
    UNSUBSCRIBE = "unsubscribe", "The recipient unsubscribed"


class Suppression(models.Model):
    """An address Chatelly no longer writes to: for every website (website_id 0,
    a bounce) or for one website's visitor email (an unsubscribe)."""

    email = models.CharField(max_length=254)  # lower-cased
    website_id = models.PositiveBigIntegerField(default=0)
    reason = models.CharField(max_length=16, choices=SuppressionReason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["email", "website_id"], name="mail_suppression_unique")
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.reason})"
