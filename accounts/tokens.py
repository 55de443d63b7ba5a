"""JWT pairs carrying the user's token version, so old tokens can be killed."""

from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

VERSION_CLAIM = "ver"


def issue_token_pair(user) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)  # also records an OutstandingToken
    refresh[VERSION_CLAIM] = user.token_version
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def blacklist_all_refresh_tokens(user) -> None:
    """Every refresh token ever issued to the user stops working."""
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
