"""Settings mistakes of every connector, run as the real executables (issue 21, parts 3 and 4).

* A secret pasted into another setting (the domain key as ``start_date``, ``page_size`` or
  ``batch_size``) is masked in the settings error of all four connectors.
* A ``budget_url`` whose password holds ``@`` with ``#``, ``?`` or ``/`` as is gets one line that
  shows no part of it and says how to encode it; no piece of it reaches a log or a lookup.
* A Redis that refuses what ``budget_url`` says (a wrong password, a database it does not
  have, an option redis-py does not take) is a settings error naming ``budget_url``: Airbyte's
  ``config_error``, at once, never "cannot be reached" nor retried; a Redis that is not there
  stays a ``transient_error``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ossit_client import BUDGET_URL_ENV
from ossit_client._masking import escaped_forms
from ossit_sandbox.launcher import SandboxServer
from redis_server import PASSWORD, RedisServer, free_port

KEY = "ossit-pasted-key-6b0e41d2"
#: A password a person might well have: it holds ``@`` and then ``#``, ``?`` and ``/``.
RAW_PASSWORD = "pw@7#k?z/q9"
PIECES = ("pw@7", "#k", "k?z", "z/q9", "q9@")


@dataclass
class Outcome:
    """One run: exit status, its Airbyte messages (if any) and everything it printed."""

    returncode: int
    messages: list[dict[str, Any]]
    printed: str

    def error(self) -> str:
        """The run's own word on the failure: Airbyte's TRACE or status, Singer's last line."""
        for message in self.messages:
            if message["type"] == "TRACE" and message["trace"]["type"] == "ERROR":
                return str(message["trace"]["error"]["message"])
            if message["type"] == "CONNECTION_STATUS":
                return str(message["connectionStatus"]["message"])
        return self.printed.strip().splitlines()[-1]

    def failure_type(self) -> str:
        (trace,) = [
            m["trace"]["error"]
            for m in self.messages
            if m["type"] == "TRACE" and m["trace"]["type"] == "ERROR"
        ]
        return str(trace["failure_type"])


def run(
    command: str, config: dict[str, Any], tmp_path: Path, *, env: dict[str, str] | None = None
) -> Outcome:
    """``command`` with ``config``: tap and target as Singer runs (empty input for the
    target), source-ossit ``read`` and destination-ossit ``write`` of one stream."""
    config_path = tmp_path / f"{command}-config.json"
    config_path.write_text(json.dumps(config))
    argv = [str(Path(sys.executable).with_name(command)), "--config", str(config_path)]
    if command in ("source-ossit", "destination-ossit"):
        catalog = tmp_path / "catalog.json"
        catalog.write_text(json.dumps(_catalog()))
        verb = "read" if command == "source-ossit" else "write"
        argv[1:1] = [verb]
        argv += ["--catalog", str(catalog)]
    environment = {k: v for k, v in os.environ.items() if k != BUDGET_URL_ENV}
    done = subprocess.run(
        argv,
        input=_one_record(command),
        capture_output=True,
        timeout=120,
        env={**environment, **(env or {})},
        check=False,
    )
    stdout, stderr = done.stdout.decode(), done.stderr.decode()
    messages = []
    if command in ("source-ossit", "destination-ossit"):
        messages = [json.loads(line) for line in stdout.splitlines()]
    return Outcome(done.returncode, messages, stdout + stderr)


def _one_record(command: str) -> bytes:
    """Input holding one group (the loaders build their client for it), none for readers."""
    singer = Path(__file__).parent / "target" / "resources" / "ossit_all_kinds.singer"
    schema, record = singer.read_text().splitlines()[:2]
    if command == "target-ossit":
        return f"{schema}\n{record}\n".encode()
    if command == "destination-ossit":
        data = json.loads(record)["record"]
        message = {"stream": "statistic_groups", "data": data, "emitted_at": 0}
        return json.dumps({"type": "RECORD", "record": message}).encode() + b"\n"
    return b""


def _catalog() -> dict[str, Any]:
    from source_ossit.source import catalog

    (stream,) = [s for s in catalog().streams if s.name == "statistic_groups"]
    return {
        "streams": [
            {
                "stream": {
                    "name": stream.name,
                    "json_schema": stream.json_schema,
                    "supported_sync_modes": ["full_refresh", "incremental"],
                },
                "sync_mode": "full_refresh",
                "destination_sync_mode": "append",
            }
        ]
    }


def assert_never_printed(outcome: Outcome, *secrets: str) -> None:
    for secret in secrets:
        for form in escaped_forms(secret):
            assert form not in outcome.printed, f"{secret!r} was printed"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A throw-away redis-server (16 databases, a password) on a free loopback port."""
    with RedisServer(tmp_path / "redis") as server:
        yield server


# -- a secret pasted into another setting --------------------------------------------------


@pytest.mark.parametrize(
    ("command", "setting"),
    [
        ("tap-ossit", "start_date"),
        ("tap-ossit", "page_size"),
        ("source-ossit", "start_date"),
        ("source-ossit", "page_size"),
        ("target-ossit", "batch_size"),
        ("destination-ossit", "batch_size"),
    ],
)
def test_a_key_pasted_into_another_setting_is_masked_in_its_error(
    command: str, setting: str, tmp_path: Path
) -> None:
    base_url = f"http://127.0.0.1:{free_port()}"  # never asked: settings fail first
    outcome = run(command, {"domain_key": KEY, "base_url": base_url, setting: KEY}, tmp_path)
    assert outcome.returncode == 1
    assert setting in outcome.error() and "***" in outcome.error()
    assert_never_printed(outcome, KEY)


def test_a_budget_password_pasted_into_another_setting_is_masked(tmp_path: Path) -> None:
    secret = "budget-pw-0c9d7e"
    config = {
        "domain_key": KEY,
        "base_url": f"http://127.0.0.1:{free_port()}",
        "budget_url": f"redis://:{secret}@127.0.0.1:{free_port()}/0",
        "start_date": secret,
    }
    for command in ("tap-ossit", "source-ossit"):
        outcome = run(command, config, tmp_path)
        assert outcome.returncode == 1 and "start_date" in outcome.error()
        assert_never_printed(outcome, secret, KEY)


# -- a budget_url whose password is not percent-encoded -------------------------------------


@pytest.mark.parametrize(
    "command", ["tap-ossit", "target-ossit", "source-ossit", "destination-ossit"]
)
def test_a_budget_url_with_a_raw_password_is_refused_showing_no_part_of_it(
    command: str, tmp_path: Path
) -> None:
    url = f"redis://:{RAW_PASSWORD}@127.0.0.1:{free_port()}/0"
    config = {"domain_key": KEY, "base_url": f"http://127.0.0.1:{free_port()}", "budget_url": url}
    outcome = run(command, config, tmp_path)
    assert outcome.returncode == 1
    error = outcome.error()
    assert "budget_url" in error and "urllib.parse.quote(password, safe='')" in error
    assert error.count("budget_url:") == 1
    assert_never_printed(outcome, RAW_PASSWORD, *PIECES, KEY)
    if outcome.messages:
        assert outcome.failure_type() == "config_error"


@pytest.mark.parametrize("command", ["tap-ossit", "source-ossit"])
def test_the_same_url_in_the_environment_is_refused_before_any_request(
    command: str, tmp_path: Path, sandbox: SandboxServer, domain_key: str
) -> None:
    url = f"redis://:{RAW_PASSWORD}@127.0.0.1:{free_port()}/0"
    config = {"domain_key": domain_key, "base_url": sandbox.base_url}
    outcome = run(command, config, tmp_path, env={BUDGET_URL_ENV: url})
    assert outcome.returncode == 1
    assert "urllib.parse.quote(password, safe='')" in outcome.error()
    assert_never_printed(outcome, RAW_PASSWORD, *PIECES, domain_key)
    assert sandbox.stats(domain_key)["requests"] == 0


def test_the_encoded_password_works(
    tmp_path: Path, sandbox: SandboxServer, domain_key: str
) -> None:
    from urllib.parse import quote

    with RedisServer(tmp_path / "redis", password=RAW_PASSWORD) as server:
        url = f"redis://:{quote(RAW_PASSWORD, safe='')}@127.0.0.1:{server.port}/0"
        config = {"domain_key": domain_key, "base_url": sandbox.base_url, "budget_url": url}
        outcome = run("source-ossit", config, tmp_path)
        assert outcome.returncode == 0, outcome.printed
        assert_never_printed(outcome, RAW_PASSWORD, quote(RAW_PASSWORD, safe=""), domain_key)
        assert server.client().keys("ossit-client:*")  # the budget lived in that Redis


# -- a Redis that refuses what budget_url says -----------------------------------------------


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ("wrong password", "its Redis refused the user name or password"),
        ("no such database", "its Redis has no such database"),
        ("unknown option", "option redis-py does not take"),
    ],
)
@pytest.mark.parametrize(
    "command", ["tap-ossit", "target-ossit", "source-ossit", "destination-ossit"]
)
def test_a_budget_url_redis_refuses_is_a_settings_error_naming_it(
    command: str,
    fault: str,
    said: str,
    tmp_path: Path,
    sandbox: SandboxServer,
    domain_key: str,
    redis_server: RedisServer,
) -> None:
    wrong = "not-the-password-3e1f"
    url = {
        "wrong password": f"redis://:{wrong}@127.0.0.1:{redis_server.port}/0",
        "no such database": f"redis://:{PASSWORD}@127.0.0.1:{redis_server.port}/99",
        "unknown option": f"redis://:{PASSWORD}@127.0.0.1:{redis_server.port}/0?bad_option=1",
    }[fault]
    config = {"domain_key": domain_key, "base_url": sandbox.base_url, "budget_url": url}
    outcome = run(command, config, tmp_path)
    assert outcome.returncode == 1
    error = outcome.error()
    assert error.count("budget_url") >= 1 and said in error, error
    assert "cannot be reached" not in outcome.printed  # neither said nor retried
    assert_never_printed(outcome, PASSWORD, wrong, domain_key)
    if outcome.messages:
        assert outcome.failure_type() == "config_error"
    assert sandbox.stats(domain_key)["requests"] == 0


def test_a_redis_that_is_not_there_stays_transient(
    tmp_path: Path, sandbox: SandboxServer, domain_key: str
) -> None:
    url = f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0"
    config = {"domain_key": domain_key, "base_url": sandbox.base_url, "budget_url": url}
    outcome = run("source-ossit", config, tmp_path)
    assert outcome.returncode == 1
    assert "cannot be reached" in outcome.error()
    assert outcome.failure_type() == "transient_error"
    assert_never_printed(outcome, PASSWORD, domain_key)
