"""A website's availability in Chromium, against the real API: business hours,
holidays and what the widget shows outside them (offline_mode) are labelled,
saved with the settings PATCH, shown again after a reload, and a bad holiday
is named at its field. Desktop and phone, axe-clean."""

import pytest
from playwright.sync_api import expect

from chatelly.tests.dashboard_browser import *  # noqa: F403
from chatelly.tests.dashboard_browser import DESKTOP, PHONE, axe_violations, sign_in
from conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_business_hours_holidays_and_offline_mode(dashboard, site, site_owner, viewport):
    page = dashboard(viewport)
    sign_in(page, site_owner.email, PASSWORD)
    page.goto(f"{page.server.url}/app/#/websites/{site.id}")
    hours = page.get_by_role("group", name="Business hours")
    expect(hours).to_be_visible()
    hours.get_by_label("Time zone of the business hours").select_option("Europe/Paris")
    hours.get_by_label("Friday hours").fill("10:00-18:00")
    holidays = hours.get_by_label("Holidays")
    holidays.fill("2026-12-24\n2026-13-40")
    hours.get_by_label("Outside business hours").select_option("form")
    page.get_by_role("button", name="Save changes").click()
    expect(holidays).to_have_attribute("aria-invalid", "true")
    expect(holidays).to_be_focused()
    holidays.fill("2026-12-24\n2026-12-31")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Changes saved.")).to_be_visible()
    assert axe_violations(page) == []

    site.refresh_from_db()
    assert site.settings["business_hours"] == {
        "timezone": "Europe/Paris",
        "days": {"fri": [["10:00", "18:00"]]},
    }
    assert site.settings["holidays"] == ["2026-12-24", "2026-12-31"]
    assert site.settings["offline_mode"] == "form"

    page.reload()
    hours = page.get_by_role("group", name="Business hours")
    expect(hours.get_by_label("Time zone of the business hours")).to_have_value("Europe/Paris")
    expect(hours.get_by_label("Friday hours")).to_have_value("10:00-18:00")
    expect(hours.get_by_label("Holidays")).to_have_value("2026-12-24\n2026-12-31")
    expect(hours.get_by_label("Outside business hours")).to_have_value("form")

    # Hidden outside the hours; then no hours at all (the widget follows presence).
    hours.get_by_label("Outside business hours").select_option("hidden")
    hours.get_by_label("Time zone of the business hours").select_option("")
    hours.get_by_label("Friday hours").fill("")
    hours.get_by_label("Holidays").fill("")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Changes saved.")).to_be_visible()
    site.refresh_from_db()
    assert "business_hours" not in site.settings
    assert site.settings["holidays"] == []
    assert site.settings["offline_mode"] == "hidden"
    assert page.page_errors == []
