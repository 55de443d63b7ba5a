"""Auth and user endpoints (API.md: Auth, User). Thin: parse, call a service, answer."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from chatelly.api.client_ip import client_ip_for_request
from chatelly.api.public import PublicView
from chatelly.api.ratelimit import enforce_rate
from chatelly.api.schema import errors
from chatelly.api.validation import valid_data

from . import services
from .models import normalize_email
from .serializers import (
    AuthOutput,
    LoginInput,
    PasswordChangeInput,
    ProfileInput,
    RefreshInput,
    RegisterInput,
    TokenPairOutput,
    UserSerializer,
)


class PublicAuthView(PublicView):
    pass


def _auth_body(user, tokens: dict) -> dict:
    return {"user": UserSerializer(user).data, **tokens}


class RegisterView(PublicAuthView):
    @extend_schema(
        tags=["auth"],
        summary="Create an account",
        request=RegisterInput,
        responses={201: AuthOutput, **errors(400, 415, 429)},
    )
    def post(self, request):
        enforce_rate(
            request,
            group="register-ip",
            key_value=client_ip_for_request(request),
            rate_setting="CHATELLY_RATE_REGISTER",
        )
        data = valid_data(RegisterInput, request)
        user, tokens = services.user_register(**data)
        return Response(_auth_body(user, tokens), status=status.HTTP_201_CREATED)


class LoginView(PublicAuthView):
    @extend_schema(
        tags=["auth"],
        summary="Log in with email and password",
        request=LoginInput,
        responses={200: AuthOutput, **errors(400, 401, 415, 429, e401="authentication_failed")},
    )
    def post(self, request):
        # Every attempt counts, valid or not, before anything is checked.
        enforce_rate(
            request,
            group="login-ip",
            key_value=client_ip_for_request(request),
            rate_setting="CHATELLY_RATE_LOGIN",
        )
        email = request.data.get("email") if isinstance(request.data, dict) else None
        if isinstance(email, str) and email.strip():
            enforce_rate(
                request,
                group="login-email",
                key_value=normalize_email(email),
                rate_setting="CHATELLY_RATE_LOGIN_EMAIL",
            )
        data = valid_data(LoginInput, request)
        user, tokens = services.user_login(**data)
        return Response(_auth_body(user, tokens))


class RefreshView(PublicAuthView):
    @extend_schema(
        tags=["auth"],
        summary="Trade a refresh token for a new pair (the old one dies)",
        request=RefreshInput,
        responses={200: TokenPairOutput, **errors(400, 401, 415, e401="token_not_valid")},
    )
    def post(self, request):
        data = valid_data(RefreshInput, request)
        return Response(services.token_refresh(refresh=data["refresh"]))


class LogoutView(PublicAuthView):
    @extend_schema(
        tags=["auth"],
        summary="Kill a refresh token",
        request=RefreshInput,
        responses={204: None, **errors(400, 401, 415, e401="token_not_valid")},
    )
    def post(self, request):
        data = valid_data(RefreshInput, request)
        services.token_logout(refresh=data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProfileView(APIView):
    @extend_schema(
        tags=["user"], summary="The caller's profile", responses={200: UserSerializer, **errors(401)}
    )
    def get(self, request):
        return Response(UserSerializer(request.user).data)

    @extend_schema(
        tags=["user"],
        summary="Replace name and email",
        request=ProfileInput,
        responses={200: UserSerializer, **errors(400, 401, 415)},
    )
    def put(self, request):
        return self._update(request, partial=False)

    @extend_schema(
        tags=["user"],
        summary="Change name or email",
        request=ProfileInput(partial=True),
        responses={200: UserSerializer, **errors(400, 401, 415)},
    )
    def patch(self, request):
        return self._update(request, partial=True)

    def _update(self, request, *, partial: bool):
        data = valid_data(ProfileInput, request, partial=partial)
        user = services.user_update_profile(user=request.user, **data)
        return Response(UserSerializer(user).data)


class PasswordView(APIView):
    @extend_schema(
        tags=["user"],
        summary="Change the password; every older token dies",
        request=PasswordChangeInput,
        responses={200: TokenPairOutput, **errors(400, 401, 415)},
    )
    def post(self, request):
        data = valid_data(PasswordChangeInput, request)
        tokens = services.user_change_password(user=request.user, **data)
        return Response(tokens)
