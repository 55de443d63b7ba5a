"""notifications' routes under /api/v1/."""

from chatelly.api.routes import both

from . import views

urlpatterns: list = [
    *both("user/notifications", views.PreferencesView.as_view(), "notification-preferences"),
    *both("push/key", views.PushKeyView.as_view(), "push-key"),
    *both("user/push-subscriptions", views.SubscriptionListView.as_view(), "push-subscriptions"),
    *both(
        "user/push-subscriptions/<int:subscription_id>",
        views.SubscriptionDetailView.as_view(),
        "push-subscription-detail",
    ),
]
