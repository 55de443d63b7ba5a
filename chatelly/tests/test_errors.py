"""Every error from /api/, /widget/ and operations has the API's one error shape (README, "API")."""

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def assert_error(response, status: int, error: str):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == error
    assert body["code"] == status
    assert isinstance(body["message"], str) and body["message"]
    assert set(body) <= {"error", "message", "code", "details"}
    return body


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/nope/", "/widget/nope", "/nope", "/api/"])
def test_unknown_paths_are_json_404(api, path):
    assert_error(api.get(path), 404, "not_found")


def test_malformed_json_is_a_parse_error(api):
    response = api.post("/api/v1/auth/login", data='{"email": "a@', content_type="application/json")
    body = assert_error(response, 400, "parse_error")
    assert "details" not in body


def test_a_form_body_is_an_unsupported_media_type(api):
    response = api.post(
        "/api/v1/auth/login", data="email=a&password=b", content_type="application/x-www-form-urlencoded"
    )
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_a_wrong_method_is_405(api, method):
    assert_error(getattr(api, method)("/api/v1/auth/login"), 405, "method_not_allowed")


def test_a_wrong_method_on_operations_is_json_405(api):
    assert_error(api.post("/healthz"), 405, "method_not_allowed")


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/auth/login/"])
def test_paths_answer_with_and_without_slash_without_redirect(api, user, path):
    from conftest import PASSWORD

    response = api.post(path, {"email": "owner@example.com", "password": PASSWORD}, format="json")
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/user/profile", "/api/v1/user/profile/", "/healthz", "/healthz/"])
def test_get_paths_answer_with_and_without_slash(auth_api, path):
    assert auth_api.get(path).status_code == 200


@pytest.mark.urls("chatelly.tests.urls_failing")
def test_a_crash_in_an_api_view_is_a_500_without_internals(caplog):
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/explode")
    body = assert_error(response, 500, "server_error")
    assert body == {"error": "server_error", "message": "Something went wrong on our side.", "code": 500}
    assert b"hunter2" not in response.content and b"SELECT" not in response.content
    assert b"Traceback" not in response.content


@pytest.mark.urls("chatelly.tests.urls_failing")
def test_a_crash_outside_drf_is_a_json_500_without_internals():
    client = Client(raise_request_exception=False)
    response = client.get("/widget/explode")
    assert_error(response, 500, "server_error")
    assert b"hunter2" not in response.content and b"Traceback" not in response.content


def test_validation_details_map_fields_to_one_string(api):
    response = api.post("/api/v1/auth/register", {"email": "x"}, format="json")
    body = assert_error(response, 400, "validation_error")
    assert set(body["details"]) == {"email", "password", "name"}
    assert all(isinstance(message, str) for message in body["details"].values())


def test_nested_details_use_dotted_paths():
    from chatelly.api.exceptions import flatten_details

    detail = {"settings": {"color": ["Bad colour."], "auto_replies": [{}, {"reply": ["Required."]}]}}
    assert flatten_details(detail) == {
        "settings.color": "Bad colour.",
        "settings.auto_replies.1.reply": "Required.",
    }
    assert flatten_details(["Oops."]) == {"non_field_errors": "Oops."}
    assert flatten_details({"non_field_errors": ["Clash."]}) == {"non_field_errors": "Clash."}


# --- AppError: the one hierarchy services raise, and its two mappings -------------

APP_ERRORS_OVER_HTTP = [
    # (error, URL kwargs, status, body, headers)
    (
        "invalid_field",
        {},
        400,
        {
            "error": "validation_error",
            "message": "Some fields are invalid.",
            "code": 400,
            "details": {"email": "Taken."},
        },
        {},
    ),
    (
        "invalid_details",
        {},
        400,
        {
            "error": "validation_error",
            "message": "Some fields are invalid.",
            "code": 400,
            "details": {"email": "Taken.", "settings.color": "Bad colour."},
        },
        {},
    ),
    (
        "invalid_no_field",
        {},
        400,
        {
            "error": "validation_error",
            "message": "Some fields are invalid.",
            "code": 400,
            "details": {"non_field_errors": "Clash."},
        },
        {},
    ),
    (
        "too_long",
        {},
        400,
        {
            "error": "validation_error",
            "message": "Some fields are invalid.",
            "code": 400,
            "details": {"content": "content is longer than 4000 characters."},
        },
        {},
    ),
    (
        "email_required",
        {},
        400,
        {
            "error": "validation_error",
            "message": "Some fields are invalid.",
            "code": 400,
            "details": {"non_field_errors": "Give an email address (identify) before the first message."},
        },
        {},
    ),
    ("not_found", {}, 404, {"error": "not_found", "message": "Not found.", "code": 404}, {}),
    ("not_found_url", {"chat_id": 7}, 404, {"error": "not_found", "message": "Not found.", "code": 404}, {}),
    (
        "not_found_body_field",
        {"chat_id": 7},
        400,
        {
            "error": "validation_error",
            "message": "Some fields are invalid.",
            "code": 400,
            "details": {"attachment_id": "No such attachment."},
        },
        {},
    ),
    (
        "permission_denied",
        {},
        403,
        {"error": "permission_denied", "message": "Your role does not allow this.", "code": 403},
        {},
    ),
    ("plan_limit", {}, 403, {"error": "plan_limit", "message": "Over the plan.", "code": 403}, {}),
    ("conflict", {}, 409, {"error": "conflict", "message": "The owner cannot be removed.", "code": 409}, {}),
    ("chat_closed", {}, 409, {"error": "chat_closed", "message": "The chat is closed.", "code": 409}, {}),
    ("payload_too_large", {}, 413, {"error": "payload_too_large", "message": "Too big.", "code": 413}, {}),
    (
        "rate_limited",
        {},
        429,
        {"error": "rate_limited", "message": "Too many requests; slow down.", "code": 429},
        {"Retry-After": "7"},
    ),
    (
        "quota",
        {},
        429,
        {"error": "rate_limited", "message": "Over the daily quota.", "code": 429},
        {"Retry-After": "120"},
    ),
    (
        "unavailable",
        {},
        503,
        {"error": "unavailable", "message": "A backing service is unavailable; retry later.", "code": 503},
        {},
    ),
    (
        "login_failed",
        {},
        401,
        {"error": "authentication_failed", "message": "Invalid email or password.", "code": 401},
        {"WWW-Authenticate": None},
    ),
    (
        "token_not_valid",
        {},
        401,
        {"error": "token_not_valid", "message": "The token is invalid or expired.", "code": 401},
        {"WWW-Authenticate": 'Bearer realm="api"'},
    ),
]


def _app_error(name: str):
    from chatelly import errors

    quota = errors.AppError("rate_limited", "Over the daily quota.", field="file")
    quota.retry_after = 120  # as chat.services.uploads.QuotaExceeded carries it
    return {
        "invalid_field": errors.InvalidInput("Taken.", field="email"),
        "invalid_details": errors.InvalidInput(
            details={"email": ["Taken."], "settings.color": "Bad colour."}
        ),
        "invalid_no_field": errors.InvalidInput("Clash."),
        "too_long": errors.TooLong("content is longer than 4000 characters.", field="content"),
        "email_required": errors.EmailRequired(),
        "not_found": errors.NotFound(),
        "not_found_url": errors.NotFound("No such chat.", field="chat_id"),
        "not_found_body_field": errors.NotFound("No such attachment.", field="attachment_id"),
        "permission_denied": errors.PermissionDenied("Your role does not allow this."),
        "plan_limit": errors.PlanLimit("Over the plan."),
        "conflict": errors.Conflict("The owner cannot be removed."),
        "chat_closed": errors.ChatClosed(),
        "payload_too_large": errors.PayloadTooLarge("Too big.", field="file"),
        "rate_limited": errors.RateLimited(retry_after=7),
        "quota": quota,
        "unavailable": errors.Unavailable(),
        "login_failed": errors.LoginFailed(),
        "token_not_valid": errors.TokenNotValid(),
    }[name]


def _raising_view(exc):
    from chatelly.api.public import PublicView

    class Raising(PublicView):
        def get(self, request, **kwargs):
            raise exc

    return Raising.as_view()


def _get(view, **kwargs):
    from rest_framework.test import APIRequestFactory

    response = view(APIRequestFactory().get("/api/v1/anything"), **kwargs)
    response.render()
    return response


@pytest.mark.parametrize(("name", "kwargs", "status", "body", "headers"), APP_ERRORS_OVER_HTTP)
def test_an_app_error_is_the_api_error_shape(name, kwargs, status, body, headers):
    response = _get(_raising_view(_app_error(name)), **kwargs)
    assert response.status_code == status
    assert json.loads(response.content) == body
    for header, value in headers.items():
        assert response.get(header) == value


def test_every_app_error_subclass_has_its_http_status():
    from chatelly import errors
    from chatelly.api.exceptions import APP_ERROR_STATUS

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    covered = {type(_app_error(name)) for name, *_ in APP_ERRORS_OVER_HTTP}
    for cls in subclasses(errors.AppError):
        if cls.__module__ != errors.__name__ or cls.__name__.startswith("_"):
            continue  # an app's own subclass (chat.uploads.files.TooLarge) or the coded base
        assert cls in covered, f"{cls.__name__} has no HTTP case above"
        if not issubclass(cls, errors.InvalidInput):
            assert cls.code in APP_ERROR_STATUS, cls


def _replaced_drf_errors():
    """(today's DRF error, the AppError a service now raises instead, URL kwargs)."""
    from rest_framework import exceptions as drf
    from rest_framework_simplejwt.exceptions import InvalidToken

    from chatelly import errors

    role = "Your role on this website does not allow this."
    return [
        (drf.ValidationError({"email": "Taken."}), errors.InvalidInput("Taken.", field="email"), {}),
        (drf.ValidationError({"email": ["Taken."]}), errors.InvalidInput(details={"email": ["Taken."]}), {}),
        (
            drf.ValidationError({"tz": "Bad.", "from": "Late."}),
            errors.InvalidInput(details={"tz": "Bad.", "from": "Late."}),
            {},
        ),
        (drf.ValidationError({"non_field_errors": "Clash."}), errors.InvalidInput("Clash."), {}),
        (drf.NotFound(), errors.NotFound(), {}),
        (drf.NotFound(), errors.NotFound("No such chat.", field="chat_id"), {"chat_id": 3}),
        (drf.PermissionDenied(role), errors.PermissionDenied(role), {}),
        (InvalidToken(), errors.TokenNotValid(), {}),
    ]


@pytest.mark.parametrize("case", range(8))
def test_app_errors_answer_byte_for_byte_as_the_drf_errors_they_replace(case):
    drf_error, app_error, kwargs = _replaced_drf_errors()[case]
    before = _get(_raising_view(drf_error), **kwargs)
    after = _get(_raising_view(app_error), **kwargs)
    assert after.status_code == before.status_code
    assert after.content == before.content
    assert after.get("WWW-Authenticate") == before.get("WWW-Authenticate")


def test_an_app_error_is_a_socket_error_frame():
    from chatelly.errors import error_frame

    for name, *_ in APP_ERRORS_OVER_HTTP:
        exc = _app_error(name)
        assert error_frame(exc) == {"type": "error", "code": exc.code, "message": exc.message}
        assert error_frame(exc, "c1") == {
            "type": "error",
            "code": exc.code,
            "message": exc.message,
            "client_id": "c1",
        }
    assert "client_id" not in error_frame(_app_error("not_found"), 5)  # only a string id is echoed
    assert error_frame(_app_error("too_long"))["code"] == "too_long"  # the socket's finer code


def test_an_app_error_reads_in_one_line_for_admin_and_commands():
    from chatelly import errors

    assert errors.InvalidInput("from is after to.", field="from").summary() == "from: from is after to."
    assert errors.InvalidInput(details={"tz": ["Bad."], "to": "Late."}).summary() == "tz: Bad.; to: Late."
    assert errors.PlanLimit("Over the plan.").summary() == "Over the plan."


# --- the rule's guard: services and selectors know nothing of HTTP -----------------

_HTTP_MODULES = ("rest_framework", "chatelly.api")
_DRF_EXCEPTIONS_OF_SIMPLEJWT = {"InvalidToken", "AuthenticationFailed"}


def _service_files():
    from pathlib import Path

    from django.conf import settings

    root = Path(settings.BASE_DIR)
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if parts[0].startswith(".") or "tests" in parts or "node_modules" in parts:
            continue
        if any(part in ("services", "selectors") for part in parts[:-1]) or path.stem in (
            "services",
            "selectors",
        ):
            yield root, path


def _http_imports(path) -> list[str]:
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
            if node.module == "rest_framework_simplejwt.exceptions":
                modules += [
                    f"{node.module}.{a.name}" for a in node.names if a.name in _DRF_EXCEPTIONS_OF_SIMPLEJWT
                ]
        else:
            continue
        for module in modules:
            if any(module == bad or module.startswith(f"{bad}.") for bad in _HTTP_MODULES) or (
                module.rsplit(".", 1)[-1] in _DRF_EXCEPTIONS_OF_SIMPLEJWT
            ):
                found.append(module)
    return found


def test_services_and_selectors_import_nothing_of_drf_or_http():
    files = list(_service_files())
    assert len(files) >= 8  # accounts, websites, chat, analytics: services and selectors
    offenders = {str(path.relative_to(root)): bad for root, path in files if (bad := _http_imports(path))}
    assert offenders == {}


def test_the_shared_errors_import_no_app_and_no_drf():
    import ast
    import sys
    from pathlib import Path

    from chatelly import errors

    tree = ast.parse(Path(errors.__file__).read_text())
    imported = {
        alias.name if isinstance(node, ast.Import) else node.module
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in getattr(node, "names", [])
    }
    assert all(name.split(".")[0] in sys.stdlib_module_names for name in imported), imported
