from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.urls import auth_urlpatterns, user_urlpatterns
from chat.uploads import media
from visitor_mail import urls as visitor_mail_urls
from widget.demo import demo_page

from . import dashboard, health, metrics
from .api.routes import both

api_v1 = [
    path("auth/", include(auth_urlpatterns)),
    path("user/", include(user_urlpatterns)),
    path("", include("websites.urls")),
    path("", include("chat.urls")),
    path("", include("reports.urls")),
    path("", include("notifications.urls")),
    path("", include(visitor_mail_urls.api_urlpatterns)),
    *both("schema", SpectacularAPIView.as_view(), "schema"),
    *both("docs", SpectacularSwaggerView.as_view(url_name="schema"), "docs"),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("widget/", include("widget.urls")),
    path("widget/", include(visitor_mail_urls.widget_urlpatterns)),
    path("email/", include(visitor_mail_urls.page_urlpatterns)),
    *both("healthz", health.healthz, "healthz"),
    *both("readyz", health.readyz, "readyz"),
    *both("metrics", metrics.metrics_view, "metrics"),
    path("admin/", admin.site.urls),
    path("app/sw.js", dashboard.service_worker, name="dashboard-service-worker"),
    *both("app", dashboard.dashboard_page, "dashboard"),
]

if settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
    # Local uploads are served by the application (or nginx, with the same headers).
    urlpatterns.append(path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", media.serve_media, name="media"))

# Development only: the view answers 404 in production (checked per request, so
# the route does not depend on the settings at the moment this module loads).
urlpatterns.append(path("demo/<str:widget_key>", demo_page, name="demo"))

handler400 = "chatelly.api.views.bad_request"
handler403 = "chatelly.api.views.permission_denied"
handler404 = "chatelly.api.views.not_found"
handler500 = "chatelly.api.views.server_error"
