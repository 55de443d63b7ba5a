"""Staff view of websites: search, filters, members, and actions through
services; invitations, read-only but for withdrawing."""

from django import forms
from django.contrib import admin, messages

from chatelly.errors import AppError

from . import services
from .domains import InvalidDomain, normalize_domain
from .models import Invitation, Membership, Website
from .settings_schema import SettingsError, validate_settings


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("user", "role", "created_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False  # members are added through the API, which checks plans and roles


class WebsiteForm(forms.ModelForm):
    class Meta:
        model = Website
        fields = ("user", "name", "domain", "max_users", "is_active", "settings")

    def clean_domain(self):
        try:
            return normalize_domain(self.cleaned_data["domain"])
        except InvalidDomain as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self):
        cleaned = super().clean()
        owner = cleaned.get("user") or getattr(self.instance, "user", None)
        if owner is not None:
            try:
                services.check_plan(
                    owner=owner, max_users=cleaned.get("max_users"), adding=self.instance.pk is None
                )
            except AppError as exc:
                raise forms.ValidationError(exc.summary()) from exc
        return cleaned

    def clean_settings(self):
        try:
            return validate_settings(self.cleaned_data["settings"] or {})
        except SettingsError as exc:
            raise forms.ValidationError(f"{exc.path}: {exc.message}") from exc


@admin.register(Website)
class WebsiteAdmin(admin.ModelAdmin):
    form = WebsiteForm
    list_display = ("name", "domain", "user", "is_active", "max_users", "created_at")
    list_filter = ("is_active", "user__plan")
    search_fields = ("name", "domain", "user__email")
    list_select_related = ("user",)
    readonly_fields = ("widget_key", "created_at", "updated_at")
    raw_id_fields = ("user",)
    inlines = [MembershipInline]
    actions = ["deactivate", "rotate_key"]

    def save_model(self, request, obj, form, change):
        fields = {
            name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS if name in form.cleaned_data
        }
        if change:
            current = Website.objects.get(pk=obj.pk)
            services.website_update(website=current, **fields)
        else:
            created = services.website_create(owner=form.cleaned_data["user"], **fields)
            obj.pk = created.pk

    @admin.action(description="Deactivate selected websites (widget off, sockets closed)")
    def deactivate(self, request, queryset):
        for website in queryset.filter(is_active=True).select_related("user"):
            services.website_update(website=website, is_active=False)
        self.message_user(request, "Deactivated.", messages.SUCCESS)

    @admin.action(description="Rotate the widget key of selected websites")
    def rotate_key(self, request, queryset):
        for website in queryset:
            services.website_rotate_key(website=website)
        self.message_user(request, "Rotated.", messages.SUCCESS)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations are made through the API (roles, rate limits, the email)."""

    list_display = (
        "email",
        "website",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    )
    list_filter = (
        "role",
        ("accepted_at", admin.EmptyFieldListFilter),
        ("revoked_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("email", "website__name", "website__domain", "invited_by__email")
    list_select_related = ("website", "invited_by")
    fields = (
        "website", "email", "role", "invited_by", "token_hash", "generation",
        "created_at", "expires_at", "accepted_at", "revoked_at",
    )  # fmt: skip
    readonly_fields = fields
    actions = ["withdraw"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Withdraw selected invitations (their links die)", permissions=["delete"])
    def withdraw(self, request, queryset):
        count = 0
        for invitation in queryset.filter(accepted_at__isnull=True, revoked_at__isnull=True):
            services.invitation_revoke(invitation=invitation)
            count += 1
        self.message_user(request, f"Withdrew {count} invitation(s).", messages.SUCCESS)
