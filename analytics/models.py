"""What happened on a website's widget, for the dashboard (the seed's `analytics` table)."""

from django.db import models


class EventType(models.TextChoices):
    WIDGET_LOADED = "widget_loaded", "Widget loaded"
    PAGE_VIEW = "page_view", "Page view"
    CHAT_STARTED = "chat_started", "Chat started"
    MESSAGE_SENT = "message_sent", "Message sent"
    VISITOR_IDENTIFIED = "visitor_identified", "Visitor identified"
    CHAT_ENDED = "chat_ended", "Chat ended"
    FILE_UPLOADED = "file_uploaded", "File uploaded"


class Event(models.Model):
    website = models.ForeignKey(
        "websites.Website", on_delete=models.CASCADE, related_name="events", db_index=False
    )
    event_type = models.CharField(max_length=100, choices=EventType.choices)
    event_data = models.JSONField(default=dict, blank=True)
    visitor_id = models.CharField(max_length=255, blank=True, default="")
    session_id = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "analytics"
        indexes = [
            models.Index(
                fields=["website", "event_type", "created_at", "visitor_id"], name="event_website_type"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} on {self.website_id}"


class Rollup(models.Model):
    """Counts of chats started and messages sent in one sealed 15-minute UTC bucket.

    Every real time zone's midnights and hours fall on 15-minute UTC marks, so
    days and hours in any zone are exact sums of buckets. Buckets are written
    only once they are sealed (see `analytics.rollups`), from the stored rows.
    """

    website = models.ForeignKey(
        "websites.Website", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    bucket = models.DateTimeField()
    chats = models.PositiveIntegerField(default=0)
    visitor_messages = models.PositiveIntegerField(default=0)
    agent_messages = models.PositiveIntegerField(default=0)
    bot_messages = models.PositiveIntegerField(default=0)
    system_messages = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "analytics_rollup"
        constraints = [models.UniqueConstraint(fields=["website", "bucket"], name="rollup_unique_bucket")]

    def __str__(self) -> str:
        return f"{self.website_id}@{self.bucket:%Y-%m-%d %H:%M}"


class RollupState(models.Model):
    """How far a website's rollups are built: every bucket before `built_until`."""

    website = models.OneToOneField(
        "websites.Website", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    built_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "analytics_rollup_state"

    def __str__(self) -> str:
        return f"{self.website_id} built until {self.built_until}"


class DailyVisitors(models.Model):
    """Distinct visitors of one sealed local day (in one time zone) of a website.

    A day is sealed once its last bucket is (see `analytics.rollups`); its count
    cannot change afterwards except by deletion, which drops these rows.
    """

    website = models.ForeignKey(
        "websites.Website", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    tz = models.CharField(max_length=64)
    day = models.DateField()
    visitors = models.PositiveIntegerField()

    class Meta:
        db_table = "analytics_daily_visitors"
        constraints = [models.UniqueConstraint(fields=["website", "tz", "day"], name="daily_visitors_unique")]

    def __str__(self) -> str:
        return f"{self.website_id} {self.day} {self.tz}: {self.visitors}"
