"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatelly.settings")
django_asgi_app = get_asgi_application()  # sets Django up before the imports below

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core import checks, signals  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402
from django.db import close_old_connections, reset_queries  # noqa: E402

from chatelly.routing import websocket_urlpatterns  # noqa: E402

# Servers such as daphne run no system checks; refuse to serve when ours fail.
_errors = [e for e in checks.run_checks(tags=["chatelly"]) if e.is_serious()]
if _errors:
    raise ImproperlyConfigured("; ".join(str(e) for e in _errors))

# Under ASGI each request's sync code runs in a thread of its own, made for
# that request: at request start these two act on that new thread's (absent)
# connections, and being sync they made every request, async views too,
# cross to a thread and back for nothing. request_finished still closes the
# connections the request's thread used.
signals.request_started.disconnect(reset_queries)
signals.request_started.disconnect(close_old_connections)

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
