import pytest

from websites import services as website_services


@pytest.fixture
def site_owner(make_user):
    return make_user(email="owner@shop.example.com", name="Olga")


@pytest.fixture
def make_site(site_owner):
    def make(**fields):
        fields.setdefault("name", "Shop")
        fields.setdefault("domain", "shop.example.com")
        return website_services.website_create(owner=fields.pop("owner", site_owner), **fields)

    return make


@pytest.fixture
def site(make_site):
    return make_site()
