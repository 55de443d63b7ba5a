import pytest

pytestmark = pytest.mark.django_db


def origin_header(api, key, origin, method="get"):
    response = getattr(api, method)(f"/widget/config/{key}", HTTP_ORIGIN=origin)
    assert "Access-Control-Allow-Credentials" not in response
    assert response.get("Access-Control-Allow-Origin") != "*"
    assert "Origin" in response.get("Vary", "")
    return response.get("Access-Control-Allow-Origin")


@pytest.mark.parametrize(
    "domain, origin, allowed",
    [
        ("shop.example.com", "https://shop.example.com", True),
        ("shop.example.com", "http://shop.example.com:8080", True),
        ("shop.example.com", "https://SHOP.example.com", True),
        ("shop.example.com", "https://evil.com", False),
        ("shop.example.com", "https://shop.example.com.evil.com", False),
        ("shop.example.com", "https://notshop.example.com", False),
        ("shop.example.com", "https://sub.shop.example.com", False),
        ("shop.example.com", "null", False),
        ("shop.example.com", "", False),
        ("shop.example.com", "shop.example.com", False),
        ("shop.example.com", "https://shop.example.com/path", False),
        ("*.example.com", "https://example.com", True),
        ("*.example.com", "https://a.b.example.com:444", True),
        ("*.example.com", "https://badexample.com", False),
        ("*.example.com", "https://example.com.evil.net", False),
    ],
)
def test_the_websites_domain_with_any_scheme_and_port(api, make_website, settings, domain, origin, allowed):
    settings.PRODUCTION = True  # no development allowance for localhost here
    website = make_website(domain=domain)
    assert origin_header(api, website.widget_key, origin) == (origin if allowed else None)


@pytest.mark.parametrize(
    "origin, allowed",
    [
        ("https://app.other.com", True),
        ("http://app.other.com", False),
        ("https://app.other.com:444", False),
        ("http://localhost:3000", True),
        ("http://localhost:3001", False),
    ],
)
def test_allowed_origins_match_exactly(api, make_website, settings, origin, allowed):
    settings.PRODUCTION = True
    website = make_website(settings={"allowed_origins": ["https://app.other.com", "http://localhost:3000"]})
    assert origin_header(api, website.widget_key, origin) == (origin if allowed else None)


def test_development_allows_localhost_origins(api, make_website, settings):
    settings.PRODUCTION = False
    website = make_website()
    assert origin_header(api, website.widget_key, "http://localhost:5173") == "http://localhost:5173"
    assert origin_header(api, website.widget_key, "http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    settings.PRODUCTION = True
    assert origin_header(api, website.widget_key, "http://localhost:5173") is None


def test_preflight_allows_the_visitor_token_header(api, make_website, settings):
    settings.PRODUCTION = True
    website = make_website()
    response = api.options(
        f"/widget/config/{website.widget_key}",
        HTTP_ORIGIN="https://shop.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="x-visitor-token",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "X-Visitor-Token" in response["Access-Control-Allow-Headers"]
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response
    evil = api.options(f"/widget/config/{website.widget_key}", HTTP_ORIGIN="https://evil.com")
    assert "Access-Control-Allow-Origin" not in evil
    assert api.options("/widget/config/unknown-key-0123456789").status_code == 404


def test_errors_reach_the_page_with_cors_too(api, make_website, settings):
    settings.PRODUCTION = True
    settings.CHATELLY_RATE_WIDGET = "1/m"
    website = make_website()
    api.get(f"/widget/config/{website.widget_key}", HTTP_ORIGIN="https://shop.example.com")
    limited = api.get(f"/widget/config/{website.widget_key}", HTTP_ORIGIN="https://shop.example.com")
    assert limited.status_code == 429
    assert limited["Access-Control-Allow-Origin"] == "https://shop.example.com"


def test_api_cors_does_not_leak_to_the_widget(api, make_website, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://dashboard.example.com"]
    settings.PRODUCTION = True
    website = make_website()
    assert origin_header(api, website.widget_key, "https://dashboard.example.com") is None
