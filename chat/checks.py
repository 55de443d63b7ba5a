"""Start-up checks: the socket budgets parse, so a typo refuses to start the
server instead of failing every socket's first frame."""

from django.conf import settings
from django.core import checks

from .sockets.budgets import parse_rate, parse_rates


@checks.register("chatelly")
def check_socket_rates(app_configs, **kwargs):
    errors = []
    for name in ("CHATELLY_WS_MSG_RATE", "CHATELLY_WS_CONNECT_RATE", "CHATELLY_WS_FRAME_RATES"):
        value = getattr(settings, name)
        try:
            parse_rates(value) if name == "CHATELLY_WS_FRAME_RATES" else parse_rate(value)
        except ValueError as exc:
            errors.append(checks.Error(f"{name}: {exc}", id="chatelly.E101"))
    if not settings.CHATELLY_WS_IP_SHARE > 0:
        errors.append(
            checks.Error("CHATELLY_WS_IP_SHARE must be above 0 (1 turns it off).", id="chatelly.E102")
        )
    return errors
