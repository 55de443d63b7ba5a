"""The production proxy: deploy/nginx.conf (Debian's nginx) in front of two uvicorn processes."""

import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from accounts.tokens import issue_token_pair
from testsupport.servers import ServerProcess, WsClient, free_port, server_env
from websites import services as website_services

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.REDIS_URL, reason="two server processes need Redis (set REDIS_URL)"),
]

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SECRET = "SECRETvisitorTOKEN123"
MAIN = """user root;
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
{site}
}}
"""


@pytest.fixture
def nginx(tmp_path):
    """Start nginx with deploy/nginx.conf, pointed at loopback ports; yields (port, web ports, media)."""
    if not Path(NGINX).exists():
        if __import__("os").environ.get("CI"):
            pytest.fail("CI needs nginx (make system-deps)")
        pytest.skip("nginx is not installed (make system-deps)")
    port, web_ports, media = free_port(), [free_port(), free_port()], tmp_path / "media"
    (media / "attachments").mkdir(parents=True)
    site = (Path(settings.BASE_DIR) / "deploy" / "nginx.conf").read_text()
    site = site.replace("web1:8000", f"127.0.0.1:{web_ports[0]}").replace(
        "web2:8000", f"127.0.0.1:{web_ports[1]}"
    )
    site = site.replace("listen 80;", f"listen 127.0.0.1:{port};").replace("/srv/media/", f"{media}/")
    site = site.replace("/var/log/nginx/access.log", str(tmp_path / "access.log"))  # media.parent
    (tmp_path / "nginx.conf").write_text(MAIN.format(tmp=tmp_path, site=site))
    check = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")])
    deadline = time.monotonic() + 10
    while True:  # until nginx listens
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, (tmp_path / "error.log").read_text()
            time.sleep(0.1)
    yield port, web_ports, media
    process.terminate()
    process.wait(10)


def test_a_conversation_through_nginx(nginx, site_owner):
    port, web_ports, media = nginx
    env = server_env(CHATELLY_TRUSTED_PROXY_COUNT="1", DJANGO_MEDIA_ROOT=str(media))
    webs = [ServerProcess(env=env, port=p, kind="uvicorn").start() for p in web_ports]
    try:
        base = f"127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(f"http://{base}/healthz", timeout=2) as response:
                    assert json.loads(response.read()) == {"status": "ok"}
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        shop = website_services.website_create(owner=site_owner, name="Shop", domain="shop.example.com")
        access = issue_token_pair(site_owner)["access"]
        request = urllib.request.Request(
            f"http://{base}/api/v1/realtime/ticket",
            method="POST",
            headers={"Authorization": f"Bearer {access}"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            ticket = json.loads(response.read())["ticket"]
        agent = WsClient(f"ws://{base}/ws/agent/?ticket={ticket}")
        assert agent.recv()["type"] == "ready"
        visitors = [
            WsClient(
                f"ws://{base}/widget/ws/{shop.widget_key}?token={SECRET}", origin="https://shop.example.com"
            )
            for _ in range(2)
        ]  # least_conn spreads them over both processes
        chat_ids = []
        for n, visitor in enumerate(visitors):
            visitor.recv_type("session")
            visitor.send({"type": "message", "content": f"hello {n}", "client_id": f"v{n}"})
            chat_ids.append(visitor.recv_type("ack")["message"]["chat_id"])
            assert agent.recv_type("message")["message"]["content"] == f"hello {n}"
        for n, visitor in enumerate(visitors):
            agent.send(
                {"type": "message", "chat_id": chat_ids[n], "content": f"reply {n}", "client_id": f"a{n}"}
            )
            agent.recv_type("ack")
            assert visitor.recv_type("message")["message"]["content"] == f"reply {n}"
        for client in [*visitors, agent]:
            client.close()
        # Both processes took part, and each saw the client as 127.0.0.1 through one trusted hop.
        for web in webs:
            assert '"event": "ws_connect"' in web.log()
        # nginx logged the sockets by path alone: no visitor token, no ticket.
        access_log = media.parent / "access.log"
        deadline = time.monotonic() + 5
        while "/ws/agent/" not in access_log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)  # a socket's line is written when it closes
        logged = access_log.read_text()
        assert f"/widget/ws/{shop.widget_key} " in logged and "/ws/agent/ " in logged
        assert SECRET not in logged and ticket not in logged and "token=" not in logged
    finally:
        for web in webs:
            web.stop()


def test_nginx_serves_uploads_with_safe_headers(nginx):
    port, _, media = nginx
    (media / "attachments" / "abcDEF123_-xyz.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (media / "attachments" / "abcDEF123_-xyz.pdf").write_bytes(b"%PDF-1.4")
    with urllib.request.urlopen(
        f"http://127.0.0.1:{port}/media/attachments/abcDEF123_-xyz.png", timeout=5
    ) as image:
        assert image.headers["X-Content-Type-Options"] == "nosniff"
        assert image.headers.get("Content-Disposition") is None
    with urllib.request.urlopen(
        f"http://127.0.0.1:{port}/media/attachments/abcDEF123_-xyz.pdf", timeout=5
    ) as doc:
        assert doc.headers["Content-Disposition"] == "attachment"
        assert "sandbox" in doc.headers["Content-Security-Policy"]


def test_nginx_keeps_the_admin_off_public_addresses(nginx, tmp_path):
    """deploy/nginx.conf lets only private networks reach /admin/; seen from a
    public address (here: loopback taken off the allow list) it is 403 while
    the rest of the site still answers."""
    port, _, _ = nginx
    conf = (tmp_path / "nginx.conf").read_text()
    assert "location /admin/" in conf and "deny all;" in conf
    (tmp_path / "nginx.conf").write_text(conf.replace("allow 127.0.0.1;", ""))
    subprocess.run(
        [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-s", "reload"], check=True
    )
    deadline = time.monotonic() + 5
    while True:  # until the reloaded worker answers
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=2)
        except urllib.error.HTTPError as exc:
            if exc.code == 403:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, "the admin stayed reachable from a public address"
        time.sleep(0.1)
