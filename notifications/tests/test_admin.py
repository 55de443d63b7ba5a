"""The notification models in the admin: listed, searchable, push rows read-only."""

import pytest

from notifications.models import NotificationPreference, PushDelivery, PushSubscription

pytestmark = pytest.mark.django_db


def test_the_admin_lists_preferences_subscriptions_and_deliveries(staff_client, user):
    NotificationPreference.objects.create(user=user, unread_minutes=5)
    subscription = PushSubscription.objects.create(
        user=user, endpoint="https://93.184.216.34/push/1", p256dh="p", auth="a", user_agent="Firefox/140"
    )
    PushDelivery.objects.create(key="push:unread:1:1:1:1", subscription=subscription, payload={"title": "t"})
    for name in ("notificationpreference", "pushsubscription", "pushdelivery"):
        page = staff_client.get(f"/admin/notifications/{name}/", {"q": "owner"})
        assert page.status_code == 200, name
    assert b"Firefox/140" in staff_client.get("/admin/notifications/pushsubscription/").content
    assert staff_client.get("/admin/notifications/pushdelivery/add/").status_code == 403
    detail = staff_client.get(f"/admin/notifications/pushsubscription/{subscription.id}/change/")
    assert detail.status_code == 200 and b'name="endpoint"' not in detail.content
