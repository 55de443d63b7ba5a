"""Writes on websites, memberships and invitations; views, admin and commands call only these."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts import onetime
from accounts.models import User, normalize_email
from accounts.selectors import user_get_by_email
from chatelly import realtime
from chatelly.errors import Conflict, InvalidInput, NotFound, PermissionDenied, PlanLimit
from mail.headers import one_line
from mail.services import queue_email

from . import widget_cache
from .domains import InvalidDomain, normalize_domain
from .models import Invitation, Membership, Role, Website, new_widget_key
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
    # Added directly: an earlier invitation of the address has nothing left to do.
    _pending_invitations(website, user.email).update(revoked_at=timezone.now())
    realtime.member_added(website_id=website.id, user_id=user.id)
    return membership


@transaction.atomic
def member_set_role(*, membership: Membership, role: str) -> Membership:
    if membership.role == Role.OWNER:
        raise Conflict("The owner's role cannot be changed.")
    membership.role = _check_assignable_role(role)
    membership.save(update_fields=["role"])
    if membership.role != Role.ADMIN:
        _invitations_sent_by(membership).update(revoked_at=timezone.now())
    return membership


@transaction.atomic
def member_remove(*, membership: Membership) -> None:
    if membership.role == Role.OWNER:
        raise Conflict("The owner cannot be removed.")
    _invitations_sent_by(membership).update(revoked_at=timezone.now())
    realtime.member_removed(website_id=membership.website_id, user_id=membership.user_id)
    membership.delete()


def _invitations_sent_by(membership: Membership) -> QuerySet[Invitation]:
    """The open invitations a member sent to the website: they die when the member
    can no longer invite (else a removed admin could come back through one)."""
    return Invitation.objects.filter(
        website_id=membership.website_id,
        invited_by_id=membership.user_id,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    )


INVITATION_DEAD = "This invitation is invalid, used, withdrawn or expired."
INVITATION_OPEN = "An open invitation for this email exists; resend it instead."


def _pending_invitations(website: Website, email: str) -> QuerySet[Invitation]:
    """Not accepted and not withdrawn (maybe expired): at most one per address."""
    return Invitation.objects.filter(
        website=website, email=normalize_email(email), accepted_at__isnull=True, revoked_at__isnull=True
    )


def _invitation_expiry() -> datetime:
    return timezone.now() + timedelta(days=settings.CHATELLY_INVITATION_DAYS)


def _email_invitation(invitation: Invitation, raw: str) -> None:
    """Queue this generation's email; the key makes a repeat of it one email."""
    website, inviter = invitation.website, invitation.invited_by
    queue_email(
        key=f"invitation:{invitation.id}:{invitation.generation}",
        kind="invitation",
        to=invitation.email,
        template="invitation",
        sensitive=True,
        context={
            "inviter": one_line(inviter.name or inviter.email, limit=100),
            "website": one_line(website.name, limit=100),
            "role": Role(invitation.role).label.lower(),
            "url": onetime.dashboard_link("accept-invitation", raw),
            "days": settings.CHATELLY_INVITATION_DAYS,
            "email": invitation.email,
        },
    )


@transaction.atomic
def member_add_or_invite(
    *,
    website: Website,
    email: str,
    role: str,
    invited_by: User,
    before_invite: Callable[[], None] | None = None,
) -> Membership | Invitation:
    """Add the account of `email`, or invite an address that has none (calling
    `before_invite`, the caller's rate limit, only when an email will go)."""
    role = _check_assignable_role(role)
    if user_get_by_email(email=email) is not None:
        return member_add(website=website, email=email, role=role)
    return invitation_create(
        website=website, email=email, role=role, invited_by=invited_by, before_send=before_invite
    )


@transaction.atomic
def invitation_create(
    *,
    website: Website,
    email: str,
    role: str,
    invited_by: User,
    before_send: Callable[[], None] | None = None,
) -> Invitation:
    """An invitation and its email; 409 while one for the address is open."""
    role = _check_assignable_role(role)
    email = normalize_email(email)
    now = timezone.now()
    pending = _pending_invitations(website, email).select_for_update()
    if any(invitation.expires_at > now for invitation in pending):
        raise Conflict(INVITATION_OPEN)
    pending.update(revoked_at=now)  # expired ones: room for the new one
    if before_send is not None:
        before_send()
    raw, digest = onetime.new_token()
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                website=website, email=email, role=role, invited_by=invited_by,
                token_hash=digest, expires_at=_invitation_expiry(),
            )  # fmt: skip
    except IntegrityError as exc:  # a concurrent invitation of the same address
        raise Conflict(INVITATION_OPEN) from exc
    _email_invitation(invitation, raw)
    return invitation


def _locked_pending(invitation: Invitation) -> Invitation:
    locked = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("website", "invited_by")
        .filter(pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
    if locked is None:  # accepted or withdrawn since it was read
        raise NotFound()
    return locked


@transaction.atomic
def invitation_resend(*, invitation: Invitation) -> Invitation:
    """A new link and a new expiry, emailed again; the earlier link is dead."""
    locked = _locked_pending(invitation)
    raw, digest = onetime.new_token()
    locked.token_hash = digest
    locked.generation += 1
    locked.expires_at = _invitation_expiry()
    locked.save(update_fields=["token_hash", "generation", "expires_at"])
    _email_invitation(locked, raw)
    return locked


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> None:
    locked = _locked_pending(invitation)
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])


def _open_invitation(raw: str) -> Invitation:
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("website")
        .filter(token_hash=onetime.token_hash(raw))
        .first()
    )
    if invitation is None or invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise InvalidInput(INVITATION_DEAD, field="token")
    if invitation.expires_at <= timezone.now():
        raise InvalidInput(INVITATION_DEAD, field="token")
    return invitation


@transaction.atomic
def invitation_accept(*, user: User, token: str) -> Membership:
    """Join the website as the invitation says; only the user whose email it names."""
    invitation = _open_invitation(token)
    if normalize_email(user.email) != invitation.email:
        raise PermissionDenied("This invitation is for another email address.")
    website = invitation.website
    # Whoever sent it must still be able to invite: removal and demotion withdraw
    # their invitations, and this also holds for changes made around the services
    # (the admin, a deactivated account).
    inviter_can_invite = Membership.objects.filter(
        website=website,
        user_id=invitation.invited_by_id,
        user__is_active=True,
        role__in=[Role.OWNER, Role.ADMIN],
    ).exists()
    if not inviter_can_invite:
        raise InvalidInput(INVITATION_DEAD, field="token")
    try:
        with transaction.atomic():
            membership = Membership.objects.create(website=website, user=user, role=invitation.role)
    except IntegrityError as exc:
        raise Conflict("You are already a member of this website.") from exc
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    realtime.member_added(website_id=website.id, user_id=user.id)
    return membership


def invitations_purge(*, now: datetime, dry_run: bool = False) -> int:
    """Invitations accepted, withdrawn or expired more than 30 days ago."""
    cutoff = now - timedelta(days=30)
    done = Invitation.objects.filter(
        Q(accepted_at__lt=cutoff) | Q(revoked_at__lt=cutoff) | Q(expires_at__lt=cutoff)
    )
    return done.count() if dry_run else done.delete()[0]
