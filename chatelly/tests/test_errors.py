"""Every error from /api/, /widget/ and operations has API.md's shape."""

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
