"""Start-up checks: refresh-token rotation is only safe with the blacklist."""

from django.conf import settings
from django.core import checks

TOKEN_BLACKLIST_APP = "rest_framework_simplejwt.token_blacklist"


@checks.register("chatelly")
def check_token_blacklist(app_configs, **kwargs):
    errors = []
    if TOKEN_BLACKLIST_APP not in settings.INSTALLED_APPS:
        errors.append(
            checks.Error(
                f"{TOKEN_BLACKLIST_APP} is not installed: used refresh tokens would stay valid.",
                hint=f"Add '{TOKEN_BLACKLIST_APP}' to INSTALLED_APPS.",
                id="chatelly.E001",
            )
        )
    jwt = getattr(settings, "SIMPLE_JWT", {})
    if not (jwt.get("ROTATE_REFRESH_TOKENS") and jwt.get("BLACKLIST_AFTER_ROTATION")):
        errors.append(
            checks.Error(
                "SIMPLE_JWT must rotate refresh tokens and blacklist the old ones.",
                id="chatelly.E002",
            )
        )
    return errors
