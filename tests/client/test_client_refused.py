"""A refused connection to a loopback host fails at once, saying what to start.

Nothing listening on a local port (a stopped sandbox) is not a brief outage: retrying it
would cost a minute of backoff and a screen of log lines. A refused connection to any other
host keeps its retries; that cannot be tried without traffic leaving the machine, so the
classification is table-tested instead.
"""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Callable

import ossit_client as oc
import pytest
import requests
import urllib3
from ossit_client._retry import is_connection_refused, refused_by_loopback
from recorded_waits import Waits

pytestmark = pytest.mark.timeout(30)

KEY = "dk_test_refused_0123456789"


def closed_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on (bound once to pick it, then closed)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def has_ipv6_loopback() -> bool:
    try:
        closed_port("::1")
    except OSError:
        return False
    return True


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        pytest.param(
            "[::1]",
            marks=pytest.mark.skipif(not has_ipv6_loopback(), reason="no IPv6 loopback"),
        ),
    ],
)
def test_a_refused_loopback_connection_fails_at_once_with_a_hint(
    make_client: Callable[..., oc.OssitClient],
    caplog: pytest.LogCaptureFixture,
    waits: Waits,
    host: str,
) -> None:
    port = closed_port("::1" if host == "[::1]" else "127.0.0.1")
    base_url = f"http://{host}:{port}"
    # the default retry timing, under which a retried refusal would take about a minute
    client = make_client(
        base_url, KEY, max_retries=8, backoff_base=0.5, backoff_max=60.0, max_retry_wait=600.0
    )
    caplog.set_level(logging.INFO, logger="ossit_client")
    with pytest.raises(oc.APIConnectionError) as caught:
        client.statistic_groups.get("g")
    assert waits == Waits()  # no backoff, no wait of any kind
    assert not isinstance(caught.value, oc.APITimeoutError)
    assert str(caught.value) == (
        f"GET /v1/api/statistic-groups/g: connection refused by {base_url}: nothing is "
        "listening there; is the sandbox running? "
        f"(`ossit-sandbox serve --db FILE --port {port}`); not retried"
    )
    assert client.counters.requests == 1
    assert client.counters.retries_by_reason == {}
    assert not [r for r in caplog.records if r.levelno >= logging.INFO]


def refused() -> BaseException:
    """A refused connection as requests raises it: ConnectionError(MaxRetryError(NewConn...))."""
    cause = ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    connect = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection")
    connect.__cause__ = cause
    retries = urllib3.exceptions.MaxRetryError(None, "/v1/api/points", connect)  # type: ignore[arg-type]
    return requests.ConnectionError(retries)


def refused_by_proxy() -> BaseException:
    inner = refused()
    error = requests.exceptions.ProxyError(urllib3.exceptions.ProxyError("proxy", inner))
    return error


def reset() -> BaseException:
    return requests.ConnectionError(ConnectionResetError(errno.ECONNRESET, "reset by peer"))


def unresolved() -> BaseException:
    return requests.ConnectionError(socket.gaierror(-2, "Name or service not known"))


def raw_errno() -> BaseException:
    return OSError(errno.ECONNREFUSED, "refused")


def looping() -> BaseException:
    first, second = RuntimeError("a"), RuntimeError("b")
    first.__context__, second.__context__ = second, first
    return first


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (refused, True),
        (raw_errno, True),
        (refused_by_proxy, False),
        (reset, False),
        (unresolved, False),
        (lambda: requests.ConnectTimeout("slow"), False),
        (looping, False),
    ],
)
def test_which_failures_are_refused_connections(
    make: Callable[[], BaseException], expected: bool
) -> None:
    assert is_connection_refused(make()) is expected


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("http://127.0.0.1:8765", True),
        ("http://127.5.6.7:8765", True),
        ("http://localhost:8765", True),
        ("http://LOCALHOST", True),
        ("http://[::1]:8765", True),
        ("https://ossit.ca", False),
        ("https://10.0.0.5:8443", False),
        ("http://192.168.1.20:8765", False),
        ("https://[2001:db8::1]", False),
        ("https://localhost.example.com", False),
    ],
)
def test_only_a_loopback_refusal_is_final(base_url: str, expected: bool) -> None:
    assert refused_by_loopback(base_url, refused()) is expected
    assert refused_by_loopback(base_url, reset()) is False
