"""The email admin: deliveries are read-only; a suppression staff add is stored
as the lookups read it, and bad values are form errors, never a 500."""

import pytest

from mail import services
from mail.models import EmailDelivery, EmailStatus, Suppression

pytestmark = pytest.mark.django_db

ADD = "/admin/mail/suppression/add/"


def add(staff_client, **fields):
    return staff_client.post(ADD, {"email": "", "website_id": "0", "reason": "bounce", **fields})


def test_an_added_suppression_is_stored_normalized_and_honoured(staff_client):
    response = add(staff_client, email="  Ana@Example.COM ")
    assert response.status_code == 302, response.content
    assert list(Suppression.objects.values_list("email", "website_id")) == [("ana@example.com", 0)]
    delivery = services.queue_email(
        key="k", kind="test", to="ana@example.com", template="plain", context={"subject": "S", "body": "B"}
    )
    assert delivery.status == EmailStatus.SUPPRESSED


def test_the_same_address_in_other_case_is_a_form_error(staff_client):
    assert add(staff_client, email="ana@example.com").status_code == 302
    response = add(staff_client, email="ANA@example.com")
    assert response.status_code == 200 and b"already exists" in response.content
    assert Suppression.objects.count() == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"email": "not an address"},
        {"email": "a@example.com\nBcc: b@example.com"},
        {"email": "a" * 300 + "@example.com"},
        {"email": "a@example.com", "website_id": "-1"},
        {"email": "a@example.com", "website_id": "x"},
        {"email": "a@example.com", "website_id": str(2**64)},
        {"email": "a@example.com", "reason": "whatever"},
    ],
)
def test_bad_values_are_form_errors(staff_client, fields):
    response = add(staff_client, **fields)
    assert response.status_code == 200 and b"errornote" in response.content
    assert not Suppression.objects.exists()


def test_deliveries_cannot_be_added_or_edited(staff_client):
    delivery = services.queue_email(
        key="k", kind="test", to="ana@example.com", template="plain", context={"subject": "S", "body": "B"}
    )
    assert staff_client.get("/admin/mail/emaildelivery/add/").status_code == 403
    page = staff_client.get(f"/admin/mail/emaildelivery/{delivery.pk}/change/")
    assert page.status_code == 200 and b'name="subject"' not in page.content
    assert staff_client.get("/admin/mail/emaildelivery/", {"q": "ana@"}).status_code == 200
    assert EmailDelivery.objects.get().subject == "S"
