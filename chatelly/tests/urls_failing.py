"""A URLconf with views that blow up, to see what a 500 reveals (nothing)."""

from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from chatelly import urls as project_urls


class SecretLeakError(Exception):
    pass


class ExplodingApiView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise SecretLeakError("SELECT password FROM users -- DJANGO_SECRET_KEY=hunter2")

    def post(self, request):
        return Response({"ok": True})


def exploding_plain_view(request):
    raise SecretLeakError("SELECT password FROM users -- DJANGO_SECRET_KEY=hunter2")


urlpatterns = [
    path("api/v1/explode", ExplodingApiView.as_view()),
    path("widget/explode", exploding_plain_view),
    path("", include(project_urls.urlpatterns)),
]
handler404 = project_urls.handler404
handler500 = project_urls.handler500
