"""Every failure of the tap ends its log with one readable line, no traceback, exit 1.

The last line is what an operator (or Meltano's log tail) shows: it must say what to fix,
the setting or the endpoint, not "Config validation failed" or a traceback's last frame.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest
from ossit_sandbox.launcher import SandboxServer


def _last_line(stderr: str) -> str:
    return [line for line in stderr.splitlines() if line.strip()][-1]


def _assert_one_readable_failure(run: Any, *words: str) -> None:
    assert run.returncode == 1, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    line = _last_line(run.stderr)
    assert "tap-ossit stopped:" in line
    for word in words:
        assert word in line, line


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"domain_key": None}, ["invalid setting", "domain_key"]),
        ({"base_url": "ftp://127.0.0.1"}, ["invalid setting", "base_url"]),
        ({"base_url": "http://ossit.example.com"}, ["invalid setting", "base_url"]),
        ({"page_size": 5000}, ["invalid setting", "page_size"]),
        ({"domain_key": "bad\u0001key"}, ["domain_key"]),
        ({"domain_key": "not-a-key-of-this-sandbox"}, ["refused the domain key (HTTP 401)"]),
    ],
)
def test_a_settings_error_ends_in_one_readable_line(
    change: dict[str, Any], words: list[str], tap_config: dict[str, Any], tap_cli: Any
) -> None:
    config = {k: v for k, v in {**tap_config, **change}.items() if v is not None}

    run = tap_cli.run(config, expect_success=False)

    _assert_one_readable_failure(run, *words)
    assert "bad\u0001key" not in run.stderr


def test_a_422_ends_in_one_line_naming_the_endpoint(
    sandbox: SandboxServer, domain_key: str, tap_config: dict[str, Any], tap_cli: Any
) -> None:
    sandbox.add_fault(domain_key, status=422, method="GET", path="/v1/api/", count=-1)

    run = tap_cli.run(tap_config, expect_success=False)

    _assert_one_readable_failure(run, "/v1/api/", "422")


def test_an_unreachable_server_ends_in_one_line_naming_the_endpoint(
    tap_config: dict[str, Any], tap_cli: Any
) -> None:
    """Connection refused is retried (about a minute of backoff), then reported."""
    config = {**tap_config, "base_url": f"http://127.0.0.1:{_closed_port()}"}

    run = tap_cli.run(config, expect_success=False)

    _assert_one_readable_failure(run, "/v1/api/", "connection")


def test_the_traceback_is_kept_for_debug_level(tap_config: dict[str, Any], tap_cli: Any) -> None:
    tap_cli.env["TAP_OSSIT_LOGLEVEL"] = "DEBUG"

    run = tap_cli.run({**tap_config, "domain_key": "bad\u0001key"}, expect_success=False)

    assert run.returncode == 1
    assert "Traceback" in run.stderr
    assert "tap-ossit stopped:" in _last_line(run.stderr)
