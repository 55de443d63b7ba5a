"""Staff view of users: search, filters, plan changes and deactivation via
services; password-reset tokens, read-only."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm, UserChangeForm

from . import services
from .admin_login import ThrottledAdminLoginForm
from .models import PasswordResetToken, User, normalize_email

admin.site.login_form = ThrottledAdminLoginForm


class UserCreateForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name", "plan")

    def clean_email(self):
        email = normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email=email).exists():
            raise forms.ValidationError(services.EMAIL_TAKEN)
        return email


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self):
        email = normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(services.EMAIL_TAKEN)
        return email


class PasswordSetForm(AdminPasswordChangeForm):
    """Staff set a password through the service, so old tokens and sockets die."""

    def save(self, commit=True):
        usable = self.cleaned_data.get("set_usable_password", True)
        password = self.cleaned_data["password1"] if usable else None
        return services.user_set_password(user=self.user, password=password)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = UserCreateForm
    form = UserEditForm
    change_password_form = PasswordSetForm
    ordering = ("-created_at",)
    list_display = ("email", "name", "plan", "is_active", "is_staff", "created_at")
    list_filter = ("plan", "is_active", "is_staff")
    search_fields = ("email", "name")
    readonly_fields = ("created_at", "updated_at", "last_login")
    fieldsets = (
        (None, {"fields": ("email", "name", "password")}),
        ("Plan", {"fields": ("plan",)}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "name", "plan", "password1", "password2")}),
    )
    actions = ["deactivate_users", "activate_users"]

    def save_model(self, request, obj, form, change):
        was_active = User.objects.filter(pk=obj.pk).values_list("is_active", flat=True).first()
        super().save_model(request, obj, form, change)
        if change and was_active and not obj.is_active:
            # Unticking "active" must kill tokens and sockets like the action does.
            services.user_deactivate(user=obj)

    @admin.action(description="Deactivate selected users (kills their tokens and sockets)")
    def deactivate_users(self, request, queryset):
        count = 0
        for user in queryset.filter(is_active=True):
            services.user_deactivate(user=user)
            count += 1
        self.message_user(request, f"Deactivated {count} user(s).", messages.SUCCESS)

    @admin.action(description="Activate selected users")
    def activate_users(self, request, queryset):
        count = 0
        for user in queryset.filter(is_active=False):
            services.user_activate(user=user)
            count += 1
        self.message_user(request, f"Activated {count} user(s).", messages.SUCCESS)


@admin.register(PasswordResetToken)
class PasswordResetTokenAdmin(admin.ModelAdmin):
    """Read-only: tokens are made by the reset job; staff may delete one to kill its link."""

    list_display = ("user", "created_at", "expires_at", "used_at")
    list_filter = (("used_at", admin.EmptyFieldListFilter),)
    search_fields = ("user__email",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    fields = ("user", "token_hash", "created_at", "expires_at", "used_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
