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
