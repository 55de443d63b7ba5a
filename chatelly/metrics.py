"""Prometheus metrics, served per process at /metrics (scrape every web process).

Each server process keeps its own registry; Prometheus tells them apart by
their `instance` label (docs/operations.md). /metrics answers loopback and
private client IPs, and anyone else with `Authorization: Bearer
$CHATELLY_METRICS_TOKEN`; an unknown client address counts as public.
"""

import hmac
import time

from django.conf import settings
from django.http import HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from .api.client_ip import client_ip_for_request, is_internal_ip
from .api.views import _json, get_only
from .middleware import BothModes

WS_CONNECTIONS = Gauge("chatelly_ws_connections", "Open WebSocket connections.", ["kind"])
MESSAGES = Counter("chatelly_messages_total", "Messages stored.", ["sender_type"])
MESSAGE_LATENCY = Histogram(
    "chatelly_message_latency_seconds",
    "From a socket message frame to its ack (stored and committed).",
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
WRITE_BATCH = Histogram(
    "chatelly_write_batch_messages",
    "Visitor messages stored per batch (one transaction) by a socket process.",
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500),
)
WRITE_BATCH_SECONDS = Histogram(
    "chatelly_write_batch_seconds",
    "Time to store one batch of visitor messages (the transaction, on the database thread).",
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
WS_FRAME_ERRORS = Counter(
    "chatelly_ws_frame_errors_total", "Socket frames whose handler failed unexpectedly.", ["kind"]
)
CHANNEL_LAYER_ERRORS = Counter("chatelly_channel_layer_errors_total", "Channel layer sends that failed.")
RATE_LIMITED = Counter(
    "chatelly_rate_limited_total", "Requests and frames refused by a rate limit.", ["scope"]
)
HTTP_REQUESTS = Counter("chatelly_http_requests_total", "HTTP requests.", ["view", "method", "status"])
HTTP_LATENCY = Histogram(
    "chatelly_http_request_duration_seconds",
    "HTTP request duration.",
    ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

for kind in ("visitor", "agent"):
    WS_CONNECTIONS.labels(kind=kind)
for sender in ("visitor", "agent", "bot", "system"):
    MESSAGES.labels(sender_type=sender)


def view_label(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unnamed"


def _allowed(request) -> bool:
    # An unknown client address (0.0.0.0: no REMOTE_ADDR, e.g. a unix socket)
    # is public: it needs the token.
    if is_internal_ip(client_ip_for_request(request)):
        return True
    token = settings.CHATELLY_METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    return bool(token) and header.startswith("Bearer ") and hmac.compare_digest(header[7:], token)


@get_only
def metrics_view(request):
    if not _allowed(request):
        return _json(403, "permission_denied", "Metrics are for internal networks or with the metrics token.")
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)


class HttpMetricsMiddleware(BothModes):
    def before(self, request):
        return time.perf_counter()

    def after(self, request, response, started):
        view = view_label(request)
        HTTP_REQUESTS.labels(view=view, method=request.method, status=str(response.status_code)).inc()
        HTTP_LATENCY.labels(view=view).observe(time.perf_counter() - started)
        return response
