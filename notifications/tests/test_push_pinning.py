"""A push goes to the address its endpoint's check resolved, never to what DNS
answers a moment later (DNS rebinding: a public address for the check, then an
internal one for the connection). Over TLS the certificate is still checked
against the endpoint's host name, which is also what SNI and Host carry.

The host's name is answered by a stand-in resolver, so that it can change its
answer between two lookups; the push service and the sockets are real."""

import socket

import pytest
import requests

from notifications import push

from .webpush_client import Browser, verify_vapid

HOST = "push.rebind.test"


@pytest.fixture
def rebinding_dns(monkeypatch):
    """HOST resolves to 127.0.0.1 (where the push service listens) the first
    time, then to 127.0.0.2, where nothing does. Returns the lookups of HOST."""
    real = socket.getaddrinfo
    lookups = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != HOST:
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        return real("127.0.0.1" if len(lookups) == 1 else "127.0.0.2", port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def trusting(certificate):
    """The push module's session, trusting the test's self-signed certificate."""

    class Session(push._NoRedirects):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.verify = certificate

    return Session


def send(endpoint, browser):
    push.send(endpoint=endpoint, p256dh=browser.keys["p256dh"], auth=browser.keys["auth"], payload={"n": 1})


def test_a_push_connects_to_the_address_that_was_checked(vapid, push_service, rebinding_dns):
    browser = Browser()
    send(f"http://{HOST}:{push_service.port}/push/abc", browser)

    assert rebinding_dns == [HOST]  # looked up once, by the check
    [request] = push_service.received
    assert request.path == "/push/abc"
    assert request.headers["host"] == f"{HOST}:{push_service.port}"
    assert browser.decrypt(request.body) == {"n": 1}


def test_over_tls_the_name_is_checked_and_sent_as_sni(vapid, tls_push_service, rebinding_dns, monkeypatch):
    service = tls_push_service(HOST)
    monkeypatch.setattr(push, "_NoRedirects", trusting(service.certificate))
    browser = Browser()
    endpoint = f"https://{HOST}:{service.port}/wpush/v2/xyz"
    send(endpoint, browser)

    assert rebinding_dns == [HOST]
    assert service.sni == [HOST]
    [request] = service.received
    assert request.headers["host"] == f"{HOST}:{service.port}"
    assert browser.decrypt(request.body) == {"n": 1}
    claims = verify_vapid(request.headers["authorization"], vapid[0])
    assert claims["aud"] == f"https://{HOST}:{service.port}"  # the endpoint's origin, not the address


def test_over_tls_a_certificate_of_another_name_is_refused(
    vapid, tls_push_service, rebinding_dns, monkeypatch
):
    service = tls_push_service("someone-else.test")
    monkeypatch.setattr(push, "_NoRedirects", trusting(service.certificate))
    with pytest.raises(push.PushFailed, match="SSLError"):
        send(f"https://{HOST}:{service.port}/wpush/v2/xyz", Browser())
    assert service.received == []


def test_the_session_sends_nothing_to_another_host():
    with (
        push._NoRedirects(HOST, "127.0.0.1") as session,
        pytest.raises(requests.ConnectionError, match="not the checked host"),
    ):
        session.post("http://elsewhere.test:9/x", timeout=1)
