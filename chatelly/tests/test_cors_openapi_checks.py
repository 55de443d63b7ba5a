import pytest
from django.core.management import call_command
from django.test import override_settings

from accounts.checks import check_token_blacklist

pytestmark = pytest.mark.django_db


@override_settings(CORS_ALLOWED_ORIGINS=["https://app.example.com"])
def test_api_cors_allows_only_configured_origins(api):
    ok = api.options(
        "/api/v1/auth/login",
        HTTP_ORIGIN="https://app.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type",
    )
    assert ok["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "authorization" in ok["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in ok
    evil = api.get("/api/v1/auth/login", HTTP_ORIGIN="https://evil.example.net")
    assert "Access-Control-Allow-Origin" not in evil
    null = api.get("/api/v1/auth/login", HTTP_ORIGIN="null")
    assert "Access-Control-Allow-Origin" not in null


def test_openapi_schema_documents_every_auth_and_user_endpoint(api):
    response = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    expected = {
        "/api/v1/auth/register": ("post", {"201", "400", "429"}),
        "/api/v1/auth/login": ("post", {"200", "400", "401", "429"}),
        "/api/v1/auth/refresh": ("post", {"200", "400", "401"}),
        "/api/v1/auth/logout": ("post", {"204", "400", "401"}),
        "/api/v1/user/profile": ("get", {"200", "401"}),
        "/api/v1/user/password": ("post", {"200", "400", "401"}),
        "/api/v1/websites": ("post", {"201", "400", "401", "403"}),
        "/api/v1/websites/{website_id}": ("delete", {"204", "401", "403", "404"}),
        "/api/v1/websites/{website_id}/rotate-key": ("post", {"200", "403", "404"}),
        "/api/v1/websites/{website_id}/members": ("post", {"201", "400", "403", "404", "409"}),
        "/api/v1/websites/{website_id}/members/{user_id}": ("patch", {"200", "400", "403", "404", "409"}),
        "/api/v1/websites/{website_id}/chats": ("get", {"200", "400", "401", "404"}),
        "/api/v1/chats/{chat_id}": ("get", {"200", "401", "404"}),
        "/api/v1/chats/{chat_id}/close": ("post", {"200", "401", "404"}),
        "/api/v1/chats/{chat_id}/assign": ("post", {"200", "400", "401", "404"}),
        "/api/v1/realtime/ticket": ("post", {"201", "401"}),
        "/api/v1/uploads": ("post", {"201", "400", "401", "413"}),
        "/api/v1/analytics/dashboard": ("get", {"200", "400", "401"}),
        "/api/v1/analytics/websites/{website_id}": ("get", {"200", "400", "401", "404"}),
    }
    messages = schema["paths"]["/api/v1/chats/{chat_id}/messages"]
    assert {"200", "400", "404"} <= set(messages["get"]["responses"])
    assert {"200", "201", "400", "404", "409"} <= set(messages["post"]["responses"])
    assert {"get", "put", "patch", "delete"} <= set(schema["paths"]["/api/v1/websites/{website_id}"])
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/websites"])
    for path, (method, statuses) in expected.items():
        operation = schema["paths"][path][method]
        assert statuses <= set(operation["responses"]), path
        if method == "post" and not path.endswith(("rotate-key", "close", "ticket")):
            assert "requestBody" in operation, path
    assert {"put", "patch"} <= set(schema["paths"]["/api/v1/user/profile"])
    error = schema["components"]["schemas"]["Error"]
    assert {"error", "message", "code"} <= set(error["required"])
    # Routes without the slash are not listed twice.
    assert not [p for p in schema["paths"] if p.endswith("/")]


def test_openapi_documents_the_widget_endpoints(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    config = schema["paths"]["/widget/config/{widget_key}"]["get"]
    assert {"200", "404", "429"} <= set(config["responses"])
    script = schema["paths"]["/widget/script/{widget_key}"]["get"]
    assert "text/javascript" in script["responses"]["200"]["content"]
    assert "304" in script["responses"]


def test_openapi_docs_page_is_served(api):
    response = api.get("/api/v1/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_the_token_blacklist_check_fails_without_the_app(settings):
    assert check_token_blacklist(None) == []
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if "token_blacklist" not in a]
    assert [e.id for e in check_token_blacklist(None)] == ["chatelly.E001"]


def test_the_token_blacklist_check_fails_without_rotation(settings):
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "BLACKLIST_AFTER_ROTATION": False}
    assert [e.id for e in check_token_blacklist(None)] == ["chatelly.E002"]


def test_system_checks_pass():
    call_command("check", fail_level="WARNING")


def test_the_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert (tmp_path / "schema.yml").stat().st_size > 1000


def test_openapi_lists_are_pages_and_analytics_document_csv(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    for path, item in [
        ("/api/v1/websites", "Website"),
        ("/api/v1/websites/{website_id}/members", "Member"),
        ("/api/v1/websites/{website_id}/chats", "ChatSchema"),
    ]:
        ref = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"][
            "$ref"
        ]
        page = components[ref.rsplit("/", 1)[1]]
        assert set(page["required"]) == {"count", "next", "previous", "results"}, path
        assert page["properties"]["results"]["items"]["$ref"].endswith(f"/{item}"), path
        params = {p["name"]: p["schema"] for p in schema["paths"][path]["get"]["parameters"]}
        assert params["page"]["minimum"] == 1 and params["page_size"]["minimum"] == 1
    for path in ("/api/v1/analytics/dashboard", "/api/v1/analytics/websites/{website_id}"):
        assert "text/csv" in schema["paths"][path]["get"]["responses"]["200"]["content"], path


def test_openapi_request_bodies_are_as_strict_as_the_api(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths, components = schema["paths"], schema["components"]["schemas"]

    def body(path, method):
        request = paths[path][method]["requestBody"]
        assert request.get("required") is True, (path, method)
        found = request["content"]["application/json"]["schema"]
        return components[found["$ref"].rsplit("/", 1)[1]] if "$ref" in found else found

    message = body("/api/v1/chats/{chat_id}/messages", "post")
    assert message["required"] == ["content"]
    assert message["properties"]["client_id"]["minLength"] == 1
    assert message["properties"]["client_id"]["maxLength"] == 64
    role = body("/api/v1/websites/{website_id}/members/{user_id}", "patch")
    assert role["required"] == ["role"] and role["properties"]["role"]["enum"] == ["admin", "agent"]
    website = body("/api/v1/websites", "post")
    assert "pattern" in website["properties"]["domain"]
    assert website["properties"]["settings"]["additionalProperties"] is False
    password = body("/api/v1/user/password", "post")
    assert set(password["required"]) == {"current_password", "new_password"}
