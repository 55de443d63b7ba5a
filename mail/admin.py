from django.contrib import admin

from .models import EmailDelivery, Suppression


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "to", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to", "subject", "key"]
    readonly_fields = [f.name for f in EmailDelivery._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    # Staff may remove a suppression (an address that works again) or add one.
    list_display = ["email", "website_id", "reason", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email"]
