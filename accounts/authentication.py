"""Bearer-JWT authentication that also rejects tokens of an older version."""

from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken

from .tokens import VERSION_CLAIM


class JWTAuthentication(authentication.JWTAuthentication):
    def get_user(self, validated_token):
        try:
            user = super().get_user(validated_token)
        except AuthenticationFailed as exc:  # unknown or inactive user
            raise InvalidToken() from exc
        if validated_token.get(VERSION_CLAIM) != user.token_version:
            raise InvalidToken()
        return user
