import pytest

from chatelly.api.client_ip import client_ip_for_scope, resolve_client_ip


@pytest.mark.parametrize(
    "trusted, remote, forwarded, expected",
    [
        (0, "10.0.0.1", "6.6.6.6", "10.0.0.1"),
        (1, "10.0.0.1", None, "10.0.0.1"),
        (1, "10.0.0.1", "6.6.6.6", "6.6.6.6"),
        (1, "10.0.0.1", "1.2.3.4, 6.6.6.6", "6.6.6.6"),
        (2, "10.0.0.1", "1.2.3.4, 6.6.6.6, 10.0.0.9", "6.6.6.6"),
        (3, "10.0.0.1", "6.6.6.6", "6.6.6.6"),
        (1, "10.0.0.1", "not-an-ip", "10.0.0.1"),
        (1, "10.0.0.1", " , ", "10.0.0.1"),
        (1, "10.0.0.1", "2001:db8::1", "2001:db8::1"),
        (0, None, None, "0.0.0.0"),
    ],
)
def test_resolve_client_ip(settings, trusted, remote, forwarded, expected):
    settings.CHATELLY_TRUSTED_PROXY_COUNT = trusted
    assert resolve_client_ip(remote, forwarded) == expected


def test_scope_ip_reads_the_header(settings):
    settings.CHATELLY_TRUSTED_PROXY_COUNT = 1
    scope = {"client": ["127.0.0.1", 5000], "headers": [(b"x-forwarded-for", b"203.0.113.9")]}
    assert client_ip_for_scope(scope) == "203.0.113.9"
    settings.CHATELLY_TRUSTED_PROXY_COUNT = 0
    assert client_ip_for_scope(scope) == "127.0.0.1"
