"""Auth and user endpoints (the OpenAPI schema's auth and user tags). Thin: parse, call a service, answer."""

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken

from chatelly.api.client_ip import client_ip_for_request
from chatelly.api.public import PublicView
from chatelly.api.ratelimit import enforce_rate
from chatelly.api.schema import errors
from chatelly.api.validation import valid_data

from . import services
from .models import normalize_email
from .serializers import (
    AuthOutput,
    EmptyOutput,
    LoginInput,
    NewTokensOutput,
    PasswordChangeInput,
    PasswordResetConfirmInput,
    PasswordResetInput,
    ProfileInput,
    RefreshInput,
    RegisterInput,
    SessionOutput,
    TokenPairOutput,
    UserSerializer,
)

# The cookie goes only to the session endpoints below: no other request carries it.
SESSION_PATH = "/api/v1/auth/session/"
# A header no cross-site form or simple request can send, so a forged POST
# from another site cannot use the cookie (SameSite=Strict is the other lock).
SESSION_HEADER = "X-Chatelly-Session"


class PublicAuthView(PublicView):
    pass


def _auth_body(user, tokens: dict) -> dict:
    return {"user": UserSerializer(user).data, **tokens}


def _set_refresh_cookie(response: Response, refresh: str) -> None:
    lifetime = settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]  # JWT_REFRESH_DAYS
    response.set_cookie(
        settings.CHATELLY_REFRESH_COOKIE,
        refresh,
        max_age=int(lifetime.total_seconds()),
        path=SESSION_PATH,
        secure=True,
        httponly=True,
        samesite="Strict",
    )


def _clear_refresh_cookie(response: Response) -> None:
    # Same attributes as when set: a browser replaces only a cookie of the same path.
    response.set_cookie(
        settings.CHATELLY_REFRESH_COOKIE,
        "",
        max_age=0,
        path=SESSION_PATH,
        secure=True,
        httponly=True,
        samesite="Strict",
    )


def _tokens_answer(body: dict, *, refresh_cookie: bool, code: int = status.HTTP_200_OK) -> Response:
    """`body` as is, or with its refresh token moved into the cookie."""
    if not refresh_cookie:
        return Response(body, status=code)
    refresh = body.pop("refresh")
    response = Response(body, status=code)
    _set_refresh_cookie(response, refresh)
    return response


def _require_session_header(request) -> None:
    if request.headers.get(SESSION_HEADER) != "1":
        raise PermissionDenied(f"Send the header {SESSION_HEADER}: 1.")


_SET_COOKIE_DOC = (
    f"`{settings.CHATELLY_REFRESH_COOKIE}=<refresh token>; HttpOnly; Secure; SameSite=Strict; "
    f"Path={SESSION_PATH}; Max-Age=<JWT_REFRESH_DAYS in seconds>` when the request said "
    "`refresh_cookie: true`."
)


def _set_cookie_header(codes: list[int], description: str = _SET_COOKIE_DOC) -> OpenApiParameter:
    return OpenApiParameter(
        "Set-Cookie", str, OpenApiParameter.HEADER, response=codes, description=description
    )


_SESSION_HEADER_PARAMETER = OpenApiParameter(
    SESSION_HEADER,
    {"type": "string", "enum": ["1"]},
    OpenApiParameter.HEADER,
    required=True,
    description="Must be 1 (CSRF protection); without it: 403 `permission_denied`.",
)


class RegisterView(PublicAuthView):
    @extend_schema(
        tags=["auth"],
        summary="Create an account",
        request=RegisterInput,
        parameters=[_set_cookie_header([201])],
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
        refresh_cookie = data.pop("refresh_cookie")
        user, tokens = services.user_register(**data)
        return _tokens_answer(
            _auth_body(user, tokens), refresh_cookie=refresh_cookie, code=status.HTTP_201_CREATED
        )


class LoginView(PublicAuthView):
    @extend_schema(
        tags=["auth"],
        summary="Log in with email and password",
        request=LoginInput,
        parameters=[_set_cookie_header([200])],
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
        refresh_cookie = data.pop("refresh_cookie")
        user, tokens = services.user_login(**data)
        return _tokens_answer(_auth_body(user, tokens), refresh_cookie=refresh_cookie)


class PasswordResetView(PublicAuthView):
    @extend_schema(
        tags=["auth"],
        summary="Email a password-reset link",
        description=(
            "Always 202 `{}` for a valid address, whether or not it has an account (same body, "
            "status and work). An active account's address gets an email with the link "
            "`{CHATELLY_PUBLIC_URL}/app/#/reset-password?token=<token>`, valid once for "
            "CHATELLY_PASSWORD_RESET_MINUTES. Limited per client IP "
            "(CHATELLY_RATE_PASSWORD_RESET) and per address (CHATELLY_RATE_PASSWORD_RESET_EMAIL)."
        ),
        request=PasswordResetInput,
        responses={202: EmptyOutput, **errors(400, 415, 429)},
    )
    def post(self, request):
        data = valid_data(PasswordResetInput, request)
        email = normalize_email(data["email"])
        enforce_rate(
            request,
            group="password-reset-ip",
            key_value=client_ip_for_request(request),
            rate_setting="CHATELLY_RATE_PASSWORD_RESET",
        )
        enforce_rate(
            request,
            group="password-reset-email",
            key_value=email,
            rate_setting="CHATELLY_RATE_PASSWORD_RESET_EMAIL",
        )
        # The job looks the address up: this request does the same work for any address.
        services.password_reset_request(email=email)
        return Response({}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(PublicAuthView):
    @extend_schema(
        tags=["auth"],
        summary="Set a new password with an emailed reset token; signs in",
        description=(
            "The token works once. Every older token of the user dies: JWTs, other reset "
            "links; the user's agent sockets close 4401. A bad, used or expired token: 400 "
            "`details.token`; a weak password: 400 `details.new_password`. Answers as login."
        ),
        request=PasswordResetConfirmInput,
        parameters=[_set_cookie_header([200])],
        responses={200: AuthOutput, **errors(400, 415, 429)},
    )
    def post(self, request):
        data = valid_data(PasswordResetConfirmInput, request)
        refresh_cookie = data.pop("refresh_cookie")
        user, tokens = services.password_reset_confirm(**data)
        return _tokens_answer(_auth_body(user, tokens), refresh_cookie=refresh_cookie)


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


class SessionRefreshView(PublicAuthView):
    """The dashboard's renewal: the refresh token comes from the cookie, never from script."""

    @extend_schema(
        tags=["auth"],
        summary="Trade the refresh cookie for an access token and a new cookie",
        description=(
            "Needs the `chatelly_refresh` cookie (set by login, register or password with "
            "`refresh_cookie: true`) and the header `X-Chatelly-Session: 1`. The cookie "
            "rotates: the old refresh token is dead. A missing, bad, used, expired or revoked "
            "cookie: 401 `token_not_valid`, and the cookie is cleared (Max-Age=0)."
        ),
        request=None,
        auth=[{"refreshCookie": []}],
        parameters=[
            _SESSION_HEADER_PARAMETER,
            _set_cookie_header(
                [200, 401], "The rotated refresh cookie (200), or the cookie cleared with Max-Age=0 (401)."
            ),
        ],
        responses={
            200: SessionOutput,
            **errors(
                401, 403, 429, e401="token_not_valid", e403="permission_denied (no X-Chatelly-Session: 1)"
            ),
        },
    )
    def post(self, request):
        _require_session_header(request)
        raw = request.COOKIES.get(settings.CHATELLY_REFRESH_COOKIE)
        if not raw:
            raise InvalidToken()
        user, tokens = services.token_rotate(refresh=raw)
        response = Response({"access": tokens["access"], "user": UserSerializer(user).data})
        _set_refresh_cookie(response, tokens["refresh"])
        return response

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if response.status_code == status.HTTP_401_UNAUTHORIZED:
            _clear_refresh_cookie(response)  # a dead cookie is not worth sending again
        return response


class SessionLogoutView(PublicAuthView):
    @extend_schema(
        tags=["auth"],
        summary="End the cookie session: the refresh token dies, the cookie is cleared",
        description=(
            "Needs the header `X-Chatelly-Session: 1`. Idempotent: 204 also without a cookie "
            "or with a dead one."
        ),
        request=None,
        auth=[{"refreshCookie": []}, {}],
        parameters=[_SESSION_HEADER_PARAMETER, _set_cookie_header([204], "The cookie cleared (Max-Age=0).")],
        responses={204: None, **errors(403, 429, e403="permission_denied (no X-Chatelly-Session: 1)")},
    )
    def post(self, request):
        _require_session_header(request)
        services.session_logout(refresh=request.COOKIES.get(settings.CHATELLY_REFRESH_COOKIE))
        response = Response(status=status.HTTP_204_NO_CONTENT)
        _clear_refresh_cookie(response)
        return response


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
        parameters=[_set_cookie_header([200])],
        responses={200: NewTokensOutput, **errors(400, 401, 415)},
    )
    def post(self, request):
        data = valid_data(PasswordChangeInput, request)
        refresh_cookie = data.pop("refresh_cookie")
        tokens = services.user_change_password(user=request.user, **data)
        # The old cookie died with every older token; this one replaces it.
        return _tokens_answer(tokens, refresh_cookie=refresh_cookie)
