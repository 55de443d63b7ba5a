"""Writes on websites and memberships; views, admin and commands call only these."""

from typing import Any

from django.conf import settings
from django.db import transaction

from accounts.models import User
from accounts.selectors import user_get_by_email
from chatelly import realtime
from chatelly.errors import Conflict, InvalidInput, PlanLimit

from . import widget_cache
from .domains import InvalidDomain, normalize_domain
from .models import Membership, Role, Website, new_widget_key
from .settings_schema import SettingsError, validate_settings

EDITABLE_FIELDS = ("name", "domain", "settings", "max_users", "is_active")


def plan_limits(owner: User) -> dict[str, Any]:
    return settings.CHATELLY_PLANS.get(owner.plan, settings.CHATELLY_PLANS["free"])


def _clean(fields: dict, *, owner: User) -> dict:
    """Validate the editable fields given; raise the API's errors."""
    clean = {}
    if "name" in fields:
        name = fields["name"].strip()
        if not name:
            raise InvalidInput("This field may not be blank.", field="name")
        clean["name"] = name
    if "domain" in fields:
        try:
            clean["domain"] = normalize_domain(fields["domain"])
        except InvalidDomain as exc:
            raise InvalidInput(str(exc), field="domain") from exc
    if "settings" in fields:
        try:
            clean["settings"] = validate_settings(fields["settings"])
        except SettingsError as exc:
            raise InvalidInput(exc.message, field=exc.path) from exc
    if "max_users" in fields:
        max_users = fields["max_users"]
        if max_users < 1:
            raise InvalidInput("At least 1.", field="max_users")
        check_plan(owner=owner, max_users=max_users)
        clean["max_users"] = max_users
    if "is_active" in fields:
        clean["is_active"] = bool(fields["is_active"])
    return clean


def check_plan(*, owner: User, max_users: int | None = None, adding: bool = False) -> None:
    """PlanLimit when `max_users`, or one more website, is over the owner's plan."""
    limits = plan_limits(owner)
    if max_users is not None and max_users > limits["max_users"]:
        raise PlanLimit(f"The {owner.plan} plan allows at most {limits['max_users']} users per website.")
    if (
        adding
        and limits["websites"] is not None
        and Website.objects.filter(user=owner).count() >= limits["websites"]
    ):
        raise PlanLimit(f"The {owner.plan} plan allows at most {limits['websites']} websites.")


@transaction.atomic
def website_create(*, owner: User, name: str, domain: str, **optional: Any) -> Website:
    # Lock the owner row so two concurrent creates cannot both pass the count.
    owner = User.objects.select_for_update().get(pk=owner.pk)
    fields = _clean({"name": name, "domain": domain, **optional}, owner=owner)
    check_plan(owner=owner, adding=True)
    fields.setdefault("max_users", min(100, plan_limits(owner)["max_users"]))
    website = Website.objects.create(user=owner, **fields)
    Membership.objects.create(website=website, user=owner, role=Role.OWNER)
    realtime.member_added(website_id=website.id, user_id=owner.id)
    website.role = Role.OWNER
    return website


@transaction.atomic
def website_update(*, website: Website, **fields: Any) -> Website:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    clean = _clean(fields, owner=website.user)
    for field, value in clean.items():
        setattr(website, field, value)
    website.save()
    widget_cache.forget_on_commit(website.widget_key)
    if website.is_active is False:
        realtime.website_widget_off(website_id=website.id)
    return website


@transaction.atomic
def website_rotate_key(*, website: Website) -> Website:
    old_key = website.widget_key
    website.widget_key = new_widget_key()
    website.save(update_fields=["widget_key", "updated_at"])
    widget_cache.forget_on_commit(old_key, website.widget_key)
    realtime.website_widget_off(website_id=website.id)
    return website


@transaction.atomic
def website_delete(*, website: Website) -> None:
    widget_cache.forget_on_commit(website.widget_key)
    realtime.website_widget_off(website_id=website.id)
    for membership in Membership.objects.filter(website=website).exclude(role=Role.OWNER):
        realtime.member_removed(website_id=website.id, user_id=membership.user_id)
    website.delete()  # chats, messages, visitors, files and events cascade


def _check_assignable_role(role: str) -> str:
    if role not in (Role.ADMIN, Role.AGENT):
        raise InvalidInput('Either "admin" or "agent".', field="role")
    return role


@transaction.atomic
def member_add(*, website: Website, email: str, role: str) -> Membership:
    role = _check_assignable_role(role)
    user = user_get_by_email(email=email)
    if user is None or not user.is_active:
        raise InvalidInput("No account has this email.", field="email")
    if Membership.objects.filter(website=website, user=user).exists():
        raise Conflict("This user is already a member of the website.")
    membership = Membership.objects.create(website=website, user=user, role=role)
    realtime.member_added(website_id=website.id, user_id=user.id)
    return membership


@transaction.atomic
def member_set_role(*, membership: Membership, role: str) -> Membership:
    if membership.role == Role.OWNER:
        raise Conflict("The owner's role cannot be changed.")
    membership.role = _check_assignable_role(role)
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def member_remove(*, membership: Membership) -> None:
    if membership.role == Role.OWNER:
        raise Conflict("The owner cannot be removed.")
    realtime.member_removed(website_id=membership.website_id, user_id=membership.user_id)
    membership.delete()
