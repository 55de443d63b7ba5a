from chatelly.api.routes import both

from . import views

urlpatterns = [
    *both("analytics/dashboard", views.DashboardView.as_view(), "analytics-dashboard"),
    *both("analytics/websites/<int:website_id>", views.WebsiteAnalyticsView.as_view(), "analytics-website"),
]
