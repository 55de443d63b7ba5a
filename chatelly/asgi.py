"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatelly.settings")
django.setup(set_prefix=False)  # as get_asgi_application() does, before the imports below

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core import checks  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402
from django.db import connections  # noqa: E402

from chatelly.asgi_handler import PooledThreadsASGIHandler  # noqa: E402
from chatelly.routing import websocket_urlpatterns  # noqa: E402

django_asgi_app = PooledThreadsASGIHandler()

# Servers such as daphne run no system checks; refuse to serve when ours fail.
_errors = [e for e in checks.run_checks(tags=["chatelly"]) if e.is_serious()]
if _errors:
    raise ImproperlyConfigured("; ".join(str(e) for e in _errors))
# Start-up's own connections: the loop thread must hold none, as the handler
# closes some responses there (chatelly.asgi_handler.close_on_loop).
connections.close_all()

# What start-up made (Django, the apps, their modules) lives as long as the
# process: out of the collector's reach, a full collection under load scans
# only what the sockets made. And collect less often: at 500 messages/s a
# process ran a full collection every few seconds, pausing everything for up
# to 170 ms (the message path's p99); with these thresholds young
# collections take ~40 ms every few seconds and full ones are rare
# (docs/benchmarks.md, "Garbage collection").
gc.collect()
gc.freeze()
gc.set_threshold(20_000, 50, 1000)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter(websocket_urlpatterns),
    }
)
