"""/metrics (access and content) and the structured logs of a real server process."""

import json
import time

import pytest
from rest_framework.test import APIClient

from accounts.tokens import issue_token_pair
from conftest import PASSWORD
from testsupport.servers import ServerProcess, WsClient, server_env, ws_url

pytestmark = pytest.mark.django_db


def test_metrics_are_open_to_private_networks_only(api, settings):
    assert api.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert api.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert api.get("/metrics", REMOTE_ADDR="192.168.0.9").status_code == 200
    outside = api.get("/metrics", REMOTE_ADDR="8.8.4.4")
    assert outside.status_code == 403 and outside.json()["error"] == "permission_denied"
    settings.CHATELLY_METRICS_TOKEN = "s3cret-metrics-token"
    assert api.get("/metrics", REMOTE_ADDR="8.8.4.4", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    ok = api.get("/metrics", REMOTE_ADDR="8.8.4.4", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token")
    assert ok.status_code == 200
    # A spoofed X-Forwarded-For from outside buys nothing.
    assert api.get("/metrics", REMOTE_ADDR="8.8.4.4", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 403


@pytest.mark.parametrize("remote", ["0.0.0.0", "::", "", "unix:/run/chatelly.sock", "not-an-ip", None])
def test_an_unknown_client_address_is_public_for_metrics(api, settings, rf, remote):
    """uvicorn on a unix socket gives no client address: that is not "private"."""
    from chatelly.metrics import metrics_view

    def get(**headers):
        request = rf.get("/metrics", **headers)
        if remote is None:
            del request.META["REMOTE_ADDR"]
        else:
            request.META["REMOTE_ADDR"] = remote
        return metrics_view(request)

    refused = get()
    assert refused.status_code == 403 and json.loads(refused.content)["error"] == "permission_denied"
    settings.CHATELLY_METRICS_TOKEN = "s3cret-metrics-token"
    assert get(HTTP_AUTHORIZATION="Bearer s3cret-metrics-token").status_code == 200


def test_an_unparsable_forwarded_hop_from_an_unknown_peer_is_public(api, settings):
    settings.CHATELLY_TRUSTED_PROXY_COUNT = 1
    assert api.get("/metrics", REMOTE_ADDR="0.0.0.0", HTTP_X_FORWARDED_FOR="junk").status_code == 403
    assert api.get("/metrics", REMOTE_ADDR="0.0.0.0", HTTP_X_FORWARDED_FOR="10.0.0.9").status_code == 200
    assert api.get("/metrics", REMOTE_ADDR="::ffff:8.8.8.8").status_code == 403
    assert api.get("/metrics", REMOTE_ADDR="::ffff:10.0.0.1").status_code == 200


def test_metrics_name_what_ops_watch(api, user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token_pair(user)['access']}")
    client.get("/api/v1/user/profile")
    text = api.get("/metrics").content.decode()
    for name in (
        'chatelly_ws_connections{kind="visitor"}',
        'chatelly_ws_connections{kind="agent"}',
        'chatelly_messages_total{sender_type="visitor"}',
        "chatelly_message_latency_seconds_bucket",
        "chatelly_channel_layer_errors_total",
        "chatelly_rate_limited_total",
        'chatelly_http_requests_total{method="GET",status="200",view="user-profile"}',
        "chatelly_http_request_duration_seconds_bucket",
    ):
        assert name in text, name


def test_requests_answer_their_request_id(api):
    assert len(api.get("/healthz")["X-Request-ID"]) == 32
    assert api.get("/healthz", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    assert api.get("/healthz", HTTP_X_REQUEST_ID="bad id\n")["X-Request-ID"] != "bad id\n"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_server_logs_json_lines_without_secrets(site, site_owner):
    server = ServerProcess(env=server_env()).start()
    try:
        status, body = server.request(
            "POST", "/api/v1/auth/login", {"email": site_owner.email, "password": PASSWORD}
        )
        assert status == 200
        access = json.loads(body)["access"]
        server.get("/api/v1/user/profile", headers={"Authorization": f"Bearer {access}"})
        visitor = WsClient(ws_url(server, f"/widget/ws/{site.widget_key}"), origin="https://shop.example.com")
        token = visitor.recv()["token"]
        visitor.send({"type": "message", "content": "my secret order 4242", "client_id": "c1"})
        visitor.recv_type("ack")
        visitor.close()
        again = WsClient(
            ws_url(server, f"/widget/ws/{site.widget_key}?token={token}"), origin="https://shop.example.com"
        )
        again.recv()
        again.close()
        import time

        time.sleep(0.5)
        log = server.log()
    finally:
        server.stop()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("event") == "http_request"]
    profile = next(line for line in requests if line["path"] == "/api/v1/user/profile")
    assert profile["status"] == 200 and profile["user_id"] == site_owner.id and profile["request_id"]
    assert profile["duration_ms"] >= 0
    connects = [line for line in lines if line.get("event") == "ws_connect"]
    disconnects = [line for line in lines if line.get("event") == "ws_disconnect"]
    assert connects and disconnects
    assert (
        connects[0]["kind"] == "visitor"
        and connects[0]["website_id"] == site.id
        and connects[0]["visitor_id"]
    )
    assert "duration_s" in disconnects[0] and disconnects[0]["connection_id"]
    for secret in (PASSWORD, access, token, "my secret order 4242"):
        assert secret not in log


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_uvicorn_logs_no_line_per_socket_and_no_query_string(site):
    server = ServerProcess(env=server_env(), kind="uvicorn").start()
    try:
        visitor = WsClient(ws_url(server, f"/widget/ws/{site.widget_key}"), origin="https://shop.example.com")
        token = visitor.recv()["token"]
        visitor.close()
        with pytest.raises(Exception):  # noqa: B017 (the refused handshake, whatever the client calls it)
            WsClient(
                ws_url(server, f"/widget/ws/no-such-key?token={token}"), origin="https://shop.example.com"
            )
        time.sleep(0.5)
        log = server.log()
    finally:
        server.stop()
    assert "ws_connect" in log and "ws_disconnect" in log  # ours, in JSON
    for chatter in ("[accepted]", "connection open", "connection closed"):
        assert chatter not in log
    # The refusal is still logged, without the token of its query string.
    assert '"WebSocket /widget/ws/no-such-key" 403' in log
    assert token not in log
