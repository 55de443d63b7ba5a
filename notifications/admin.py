"""Notification preferences, push subscriptions and push deliveries in the admin."""

from django.contrib import admin

from .models import NotificationPreference, PushDelivery, PushSubscription


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "email_enabled",
        "push_enabled",
        "unread_minutes",
        "quiet_start",
        "quiet_end",
        "time_zone",
    ]
    list_filter = ["email_enabled", "push_enabled"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]


@admin.register(PushSubscription)
class PushSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "created_at", "user_agent"]
    search_fields = ["user__email", "endpoint"]
    raw_id_fields = ["user"]
    readonly_fields = ["endpoint", "p256dh", "auth", "user_agent", "created_at"]


@admin.register(PushDelivery)
class PushDeliveryAdmin(admin.ModelAdmin):
    list_display = ["key", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status"]
    search_fields = ["key"]
    readonly_fields = [
        "key",
        "subscription",
        "payload",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    ]

    def has_add_permission(self, request):
        return False
