from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.urls import auth_urlpatterns, user_urlpatterns

from . import health
from .api.routes import both

api_v1 = [
    path("auth/", include(auth_urlpatterns)),
    path("user/", include(user_urlpatterns)),
    path("", include("websites.urls")),
    path("", include("chat.urls")),
    *both("schema", SpectacularAPIView.as_view(), "schema"),
    *both("docs", SpectacularSwaggerView.as_view(url_name="schema"), "docs"),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("widget/", include("widget.urls")),
    *both("healthz", health.healthz, "healthz"),
    *both("readyz", health.readyz, "readyz"),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "chatelly.api.views.bad_request"
handler403 = "chatelly.api.views.permission_denied"
handler404 = "chatelly.api.views.not_found"
handler500 = "chatelly.api.views.server_error"
