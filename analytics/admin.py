"""Staff view of events: read-only, by website and type, by date."""

from django.contrib import admin

from .models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "website", "event_type", "visitor_id", "session_id")
    list_filter = ("event_type", "website")
    search_fields = ("visitor_id", "session_id")
    date_hierarchy = "created_at"
    list_select_related = ("website",)
    readonly_fields = [f.name for f in Event._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
