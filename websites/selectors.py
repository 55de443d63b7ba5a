"""Reads on websites, memberships and invitations, always scoped to what the caller may see."""

from django.contrib.auth import get_user_model
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import User
from chatelly.errors import NotFound, PermissionDenied

from .models import ROLE_RANK, Invitation, Membership, Role, Website


def website_list_for_user(*, user: User) -> QuerySet[Website]:
    """The caller's websites, each annotated with the caller's `role`."""
    return (
        Website.objects.filter(memberships__user=user)
        # Website declares `role` (models.py) for what this annotation sets.
        .annotate(role=F("memberships__role"))  # type: ignore[no-redef]
        .order_by("-created_at", "-id")
    )


def website_get_for_user(*, user: User, website_id: int | str, min_role: str = Role.AGENT) -> Website:
    """The website with `role` set; 404 for a non-member, 403 for a too-low role."""
    try:
        website_id = int(website_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    website = website_list_for_user(user=user).filter(id=website_id).first()
    if website is None:
        raise NotFound()
    if ROLE_RANK[website.role] < ROLE_RANK[min_role]:
        raise PermissionDenied("Your role on this website does not allow this.")
    return website


def website_ids_for_user(*, user: User) -> list[int]:
    return list(Membership.objects.filter(user=user).values_list("website_id", flat=True))


def member_list(*, website: Website) -> QuerySet[Membership]:
    return Membership.objects.filter(website=website).select_related("user").order_by("created_at", "id")


def member_get(*, website: Website, user_id: int | str) -> Membership:
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    membership = member_list(website=website).filter(user_id=user_id).first()
    if membership is None:
        raise NotFound()
    return membership


def invitation_list_open(*, website: Website) -> QuerySet[Invitation]:
    """Invitations not accepted, withdrawn or expired; oldest first."""
    return (
        Invitation.objects.filter(
            website=website, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("invited_by", "website")
        .order_by("created_at", "id")
    )


def invitation_get_pending(*, website: Website, invitation_id: int | str) -> Invitation:
    """One of the website's invitations that is not accepted or withdrawn (an
    expired one too: it may be sent again); else 404."""
    try:
        invitation_id = int(invitation_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    invitation = (
        Invitation.objects.filter(
            website=website, id=invitation_id, accepted_at__isnull=True, revoked_at__isnull=True
        )
        .select_related("invited_by", "website")
        .first()
    )
    if invitation is None:
        raise NotFound()
    return invitation


def is_member(*, website_id: int, user_id: int) -> bool:
    return Membership.objects.filter(website_id=website_id, user_id=user_id).exists()


def agents_standing(*, user_ids: list[int]) -> dict[int, tuple[bool, int, set[int]]]:
    """{user id: (is_active, token_version, website ids)} for the open agent
    sockets' heartbeat; a deleted user is absent."""
    User = get_user_model()
    standing: dict[int, tuple[bool, int, set[int]]] = {
        pk: (active, version, set())
        for pk, active, version in User.objects.filter(id__in=user_ids).values_list(
            "id", "is_active", "token_version"
        )
    }
    for user_id, website_id in Membership.objects.filter(user_id__in=list(standing)).values_list(
        "user_id", "website_id"
    ):
        standing[user_id][2].add(website_id)
    return standing
