"""Staff view of chats: messages inline (read-only), filters, search, close via the service."""

from django.contrib import admin, messages

from . import services
from .models import Attachment, Chat, ChatStatus, Message, Visitor


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    ordering = ("seq",)
    fields = ("seq", "sender_type", "sender_id", "content", "type", "attachment", "created_at", "read_at")
    readonly_fields = fields
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Chat)
class ChatAdmin(admin.ModelAdmin):
    list_display = ("id", "website", "visitor_id", "status", "message_count", "started_at", "last_message_at")
    list_filter = ("status", "website")
    search_fields = ("visitor_id", "visitor_record__name", "visitor_record__email", "messages__content")
    list_select_related = ("website",)
    inlines = [MessageInline]
    actions = ["close_chats"]
    readonly_fields = [f.name for f in Chat._meta.fields]

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return results, True if search_term else may_have_duplicates

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # deletion goes through erase_visitor / purge_data, which keep analytics exact

    @admin.action(description="Close selected chats (both sides are told)")
    def close_chats(self, request, queryset):
        count = 0
        for chat in queryset.filter(status=ChatStatus.ACTIVE):
            services.chat_close(chat=chat)
            count += 1
        self.message_user(request, f"Closed {count} chat(s).", messages.SUCCESS)


@admin.register(Visitor)
class VisitorAdmin(admin.ModelAdmin):
    list_display = ("visitor_id", "website", "name", "email", "last_seen")
    search_fields = ("visitor_id", "name", "email")
    list_filter = ("website",)
    readonly_fields = [f.name for f in Visitor._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("name", "website", "uploader_type", "content_type", "size", "created_at")
    list_filter = ("uploader_type", "website")
    readonly_fields = [f.name for f in Attachment._meta.fields]

    def has_add_permission(self, request):
        return False
