"""Reads on users."""

from .models import User, normalize_email


def user_get_by_email(*, email: str) -> User | None:
    return User.objects.filter(email=normalize_email(email)).first()
