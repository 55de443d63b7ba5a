import pytest

from websites import services


@pytest.fixture
def make_website(user):
    def make(owner=None, **fields):
        fields.setdefault("name", "Shop")
        fields.setdefault("domain", "shop.example.com")
        return services.website_create(owner=owner or user, **fields)

    return make


@pytest.fixture
def website(make_website):
    return make_website()
