"""The notification tests' rigs: websites with members and chats made through
the real services, a sweep at a chosen time, and a local Web Push service
(over plain HTTP, or TLS with a self-signed certificate)."""

from __future__ import annotations

import itertools
import ssl
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils import timezone

from chat import services as chat_services
from chat.models import Chat, Message
from notifications import services
from notifications.push import new_key_pair
from websites import services as website_services
from websites.models import Role

_client_ids = itertools.count(1)


@pytest.fixture
def add_member(make_user):
    def add(site, email, role=Role.AGENT, name="Agent"):
        user = make_user(email=email, name=name)
        website_services.member_add(website=site, email=email, role=role)
        return user

    return add


@pytest.fixture
def visitor_says():
    """A visitor message through the widget's service path; returns the chat."""

    def say(site, content="Hello?", visitor=None, name=None, email=None):
        visitor = visitor or chat_services.visitor_connect(
            website_id=site.id, visitor_id=None, user_agent="UA/1"
        )
        if name is not None or email is not None:
            chat_services.visitor_identify(visitor=visitor, name=name, email=email)
        posted = chat_services.visitor_message_post(
            site={"id": site.id, "settings": site.settings},
            visitor=visitor,
            content=content,
            client_id=f"c{next(_client_ids)}",
        )
        return Chat.objects.get(id=posted.message.chat_id)

    return say


def backdate(chat, at):
    """The chat's messages (and activity) as if sent at `at`."""
    Message.objects.filter(chat=chat).update(created_at=at)
    Chat.objects.filter(id=chat.id).update(started_at=at, last_message_at=at)


@pytest.fixture
def sweep():
    """Run the sweep `minutes` after now (or at `at`); its result."""

    def run(minutes=0, at=None):
        return services.sweep_unread(now=at or timezone.now() + timedelta(minutes=minutes))

    return run


@dataclass
class PushRequest:
    path: str
    headers: dict
    body: bytes


@dataclass
class PushService:
    """A push service on 127.0.0.1: keeps every POST, answers the next of
    `statuses` (then 201)."""

    statuses: list[int] = field(default_factory=list)
    received: list[PushRequest] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    certificate: str | None = None  # over TLS: the PEM file to trust
    sni: list[str | None] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"


def _serve(service: PushService, tls: ssl.SSLContext | None = None):
    """Serve `service` on 127.0.0.1 (over TLS with `tls`) until the generator resumes."""
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                service.received.append(
                    PushRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                code = service.statuses.pop(0) if service.statuses else 201
            self.send_response(code)
            if 300 <= code < 400:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    service.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        service.server.socket = tls.wrap_socket(service.server.socket, server_side=True)
    thread = threading.Thread(target=service.server.serve_forever, daemon=True)
    thread.start()
    yield service
    service.server.shutdown()
    service.server.server_close()


@pytest.fixture
def push_service():
    yield from _serve(PushService())


def self_signed(host: str, directory) -> tuple[str, str]:
    """(certificate, key) PEM files of a self-signed certificate for `host`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{host}.crt", directory / f"{host}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_path), str(key_path)


@pytest.fixture
def tls_push_service(tmp_path):
    """`(certificate of name)` -> a push service over TLS with a self-signed
    certificate for that name; its `sni` lists the names clients asked for."""
    started = []

    def start(name: str) -> PushService:
        cert, key = self_signed(name, tmp_path)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(cert, key)
        service = PushService()
        service.certificate = cert
        tls.sni_callback = lambda _sock, server_name, _ctx: service.sni.append(server_name)
        server = _serve(service, tls)
        started.append(server)
        return next(server)

    yield start
    for server in started:
        next(server, None)


@pytest.fixture
def vapid(settings):
    public, private = new_key_pair()
    settings.CHATELLY_VAPID_PUBLIC_KEY = public
    settings.CHATELLY_VAPID_PRIVATE_KEY = private
    settings.CHATELLY_VAPID_SUBJECT = "mailto:ops@example.com"
    settings.CHATELLY_PUSH_ALLOW_PRIVATE = True
    return public, private
