from django import forms
from django.contrib import admin
from django.core.validators import validate_email

from .models import EmailDelivery, Suppression
from .services import normalize


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "to", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to", "subject", "key"]
    readonly_fields = [f.name for f in EmailDelivery._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False


class SuppressionForm(forms.ModelForm):
    class Meta:
        model = Suppression
        fields = ["email", "website_id", "reason"]
        help_texts = {
            "website_id": "0: every email to the address; a website's id: that website's visitor email."
        }

    def clean_email(self) -> str:
        # Stored as the lookups read it (lower-cased, trimmed): else a suppression
        # typed as "Ana@Example.com" would never match, and could be added twice.
        email = normalize(self.cleaned_data["email"])
        validate_email(email)
        return email


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    form = SuppressionForm
    # Staff may remove a suppression (an address that works again) or add one.
    list_display = ["email", "website_id", "reason", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email"]
