"""Writes on users and their tokens (password-reset links too); views, admin,
commands and jobs call only these."""

import contextlib
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from chatelly import jobs, realtime
from chatelly.errors import InvalidInput, LoginFailed, TokenNotValid
from mail.models import EmailDelivery
from mail.services import queue_email

from . import onetime
from .models import PasswordResetToken, Plan, User, normalize_email
from .tokens import VERSION_CLAIM, blacklist_all_refresh_tokens, issue_token_pair

EMAIL_TAKEN = "A user with this email already exists."


def _check_password(password: str, *, user: User, field: str) -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise InvalidInput(exc.messages[0], field=field) from exc


def _check_email_free(email: str, *, exclude_id: int | None = None) -> None:
    taken = User.objects.filter(email=email)
    if exclude_id is not None:
        taken = taken.exclude(id=exclude_id)
    if taken.exists():
        raise InvalidInput(EMAIL_TAKEN, field="email")


@transaction.atomic
def user_create(*, email: str, password: str, name: str) -> User:
    email = normalize_email(email)
    _check_email_free(email)
    user = User(email=email, name=name.strip())
    _check_password(password, user=user, field="password")
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent register with the same email
        raise InvalidInput(EMAIL_TAKEN, field="email") from exc
    return user


@transaction.atomic
def user_register(*, email: str, password: str, name: str) -> tuple[User, dict[str, str]]:
    user = user_create(email=email, password=password, name=name)
    return user, issue_token_pair(user)


def user_login(*, email: str, password: str) -> tuple[User, dict[str, str]]:
    """The same answer for an unknown email, a wrong password and an inactive user."""
    user = authenticate(email=normalize_email(email), password=password)
    if user is None or not user.is_active:
        raise LoginFailed()
    return user, issue_token_pair(user)


@transaction.atomic
def user_update_profile(*, user: User, name: str | None = None, email: str | None = None) -> User:
    if email is not None:
        email = normalize_email(email)
        _check_email_free(email, exclude_id=user.id)
        user.email = email
    if name is not None:
        user.name = name.strip()
    try:
        with transaction.atomic():
            user.save(update_fields=["email", "name", "updated_at"])
    except IntegrityError as exc:
        raise InvalidInput(EMAIL_TAKEN, field="email") from exc
    if email is not None:
        _spend_reset_tokens(user)  # links in the old mailbox (they check the address too)
    return user


def _revoke_all_tokens(user: User) -> None:
    """Kill every access and refresh token of the user, and their agent sockets."""
    User.objects.filter(id=user.id).update(token_version=user.token_version + 1)
    user.token_version += 1
    blacklist_all_refresh_tokens(user)


def _spend_reset_tokens(user: User) -> None:
    """Kill the user's open password-reset links."""
    PasswordResetToken.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())


@transaction.atomic
def user_set_password(*, user: User, password: str | None) -> User:
    """The one way a password changes (API, admin form, `changepassword`, a reset
    link): every older token and open reset link dies and the user's sockets
    close 4401 after commit. `None` makes the password unusable (the admin's
    "password-based authentication" off). Callers validate the password first."""
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save(update_fields=["password", "updated_at"])
    _revoke_all_tokens(user)
    _spend_reset_tokens(user)
    realtime.user_sockets_close(user_id=user.id, code=realtime.CLOSE_NOT_AUTHENTICATED)
    return user


@transaction.atomic
def user_change_password(*, user: User, current_password: str, new_password: str) -> dict[str, str]:
    if not user.check_password(current_password):
        raise InvalidInput("The current password is wrong.", field="current_password")
    _check_password(new_password, user=user, field="new_password")
    user_set_password(user=user, password=new_password)
    return issue_token_pair(user)


@transaction.atomic
def user_deactivate(*, user: User) -> User:
    user.is_active = False
    user.save(update_fields=["is_active", "updated_at"])
    _revoke_all_tokens(user)
    realtime.user_sockets_close(user_id=user.id, code=realtime.CLOSE_FORBIDDEN)
    return user


@transaction.atomic
def user_activate(*, user: User) -> User:
    user.is_active = True
    user.save(update_fields=["is_active", "updated_at"])
    return user


@transaction.atomic
def user_set_plan(*, user: User, plan: str) -> User:
    if plan not in Plan.values:
        raise InvalidInput(f"Unknown plan; one of {', '.join(Plan.values)}.", field="plan")
    user.plan = plan
    user.save(update_fields=["plan", "updated_at"])
    return user


def _user_of(token: RefreshToken) -> User:
    user = User.objects.filter(id=token.get(jwt_settings.USER_ID_CLAIM)).first()
    if user is None or not user.is_active or token.get(VERSION_CLAIM) != user.token_version:
        raise TokenNotValid()
    return user


def _spend(token: RefreshToken) -> None:
    """Blacklist the token exactly once; a second use (even a racing one) fails."""
    outstanding = OutstandingToken.objects.filter(jti=token[jwt_settings.JTI_CLAIM]).first()
    if outstanding is None:
        raise TokenNotValid()
    _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
    if not created:
        raise TokenNotValid()


def _parse_refresh(raw: str) -> RefreshToken:
    try:
        # simplejwt annotates `token` as a Token, but it takes the encoded string.
        return RefreshToken(raw)  # type: ignore[arg-type]  # signature, expiry, type and blacklist
    except TokenError as exc:
        raise TokenNotValid() from exc


@transaction.atomic
def token_rotate(*, refresh: str) -> tuple[User, dict[str, str]]:
    """The refresh token's user and a new pair; the old token is dead."""
    token = _parse_refresh(refresh)
    user = _user_of(token)
    _spend(token)
    return user, issue_token_pair(user)


def token_refresh(*, refresh: str) -> dict[str, str]:
    return token_rotate(refresh=refresh)[1]


@transaction.atomic
def token_logout(*, refresh: str) -> None:
    _spend(_parse_refresh(refresh))


@transaction.atomic
def session_logout(*, refresh: str | None) -> None:
    """Cookie logout is idempotent: no, a bad or an already dead token is no error,
    since the cookie is cleared either way."""
    if not refresh:
        return
    with contextlib.suppress(TokenNotValid):
        token_logout(refresh=refresh)


RESET_LINK_DEAD = "This link is invalid, used or expired; ask for a new one."


@transaction.atomic
def password_reset_request(*, email: str) -> None:
    """Queue the job that emails a reset link, whatever the address: the caller
    does the same work for an unknown one, so its timing tells nothing."""
    from .tasks import send_password_reset

    jobs.on_commit(send_password_reset, normalize_email(email))


@transaction.atomic
def password_reset_send(*, email: str, job_id: str | None = None) -> PasswordResetToken | None:
    """The job's work: a new reset token and its email for the active user of
    `email` (a password login the staff turned off stays off); else nothing.
    `job_id` (the job's own id, the same when a job runs again) keys the email,
    so a repeated job makes no second token or email."""
    if job_id is not None and EmailDelivery.objects.filter(key=f"password-reset:{job_id}").exists():
        return None
    user = User.objects.filter(email=normalize_email(email), is_active=True).first()
    if user is None or not user.has_usable_password():
        return None
    raw, digest = onetime.new_token()
    minutes = settings.CHATELLY_PASSWORD_RESET_MINUTES
    token = PasswordResetToken.objects.create(
        user=user, email=user.email, token_hash=digest, expires_at=timezone.now() + timedelta(minutes=minutes)
    )
    queue_email(
        key=f"password-reset:{job_id or token.id}",
        kind="password_reset",
        to=user.email,
        template="password_reset",
        sensitive=True,
        context={"name": user.name, "url": onetime.dashboard_link("reset-password", raw), "minutes": minutes},
    )
    return token


def _open_reset_token(raw: str) -> PasswordResetToken:
    token = (
        PasswordResetToken.objects.select_for_update()
        .select_related("user")
        .filter(token_hash=onetime.token_hash(raw))
        .first()
    )
    if token is None or token.used_at is not None or token.expires_at <= timezone.now():
        raise InvalidInput(RESET_LINK_DEAD, field="token")
    user = token.user
    # Sent before the user changed address, or before staff turned password login
    # off (a reset must not turn it back on): dead.
    if not user.is_active or token.email != user.email or not user.has_usable_password():
        raise InvalidInput(RESET_LINK_DEAD, field="token")
    return token


@transaction.atomic
def password_reset_confirm(*, token: str, new_password: str) -> tuple[User, dict[str, str]]:
    """Set the password from a reset link: the token and every other open reset
    token of the user die, so do all older JWTs (and the user's sockets close)."""
    reset = _open_reset_token(token)
    user = reset.user
    _check_password(new_password, user=user, field="new_password")
    user_set_password(user=user, password=new_password)  # spends every open reset token
    return user, issue_token_pair(user)


def reset_tokens_purge(*, now: datetime, dry_run: bool = False) -> int:
    """Reset tokens past use for a day (used or expired): nothing reads them."""
    cutoff = now - timedelta(days=1)
    dead = PasswordResetToken.objects.filter(Q(expires_at__lt=cutoff) | Q(used_at__lt=cutoff))
    return dead.count() if dry_run else dead.delete()[0]
