"""Base for endpoints that take no JWT (auth, widget)."""

from rest_framework.permissions import AllowAny
from rest_framework.views import APIView


class PublicView(APIView):
    """No credentials needed, and a stale Authorization header is not read."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    www_authenticate = 'Bearer realm="api"'

    def get_authenticate_header(self, request) -> str:
        # Without one, DRF would turn a bad token's 401 into a 403.
        return self.www_authenticate
