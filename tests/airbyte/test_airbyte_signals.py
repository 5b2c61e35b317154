"""source-ossit and destination-ossit stopped by a signal, a closed stdout, or PyAirbyte.

The rule (README "Exit statuses"): a run stopped by SIGTERM or SIGINT finishes the line
it is writing, its last STATE is safe to resume from, it ends with one TRACE error and
exit 1; a reader that goes away gets one line on stderr and exit 1; no traceback either
way. PyAirbyte terminates ``spec``, ``check`` and ``discover`` once it has read their one
message and takes only 0 or -15 as success: those answers then stand, a failure does not.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from airbyte_runs import Files, configured_catalog, parse_message, run_connector
from hostile_server import wait_until_input_handled
from ossit_sandbox.launcher import SandboxServer
from stopped_runs import answer_then_terminate, close_output, stop_while_writing

SIGNALS = pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"]
)


def _executable(name: str) -> str:
    """A console script of the workspace: ``source-ossit`` or ``destination-ossit``."""
    return str(Path(sys.executable).with_name(name))


@pytest.fixture
def big_config(sandbox: SandboxServer, domain_key: str, config: dict[str, Any]) -> Any:
    """6,000 points in pages of 1,000 (about 400 kB each): more than a pipe holds."""
    sandbox.generate(domain_key, groups=3, statistics=10, days=200, intervals=5, seed=72)
    return {**config, "page_size": 1000}


def _read(files: Files, config: dict[str, Any], *state: str) -> list[str]:
    """The arguments of a ``source-ossit read`` of every stream."""
    return ["read", "--config", files.json(config, "config"),
            "--catalog", files.json(configured_catalog(), "catalog"), *state]  # fmt: skip


@SIGNALS
def test_a_read_stopped_mid_page_ends_with_a_trace_and_a_safe_last_state(
    signum: signal.Signals, files: Files, big_config: dict[str, Any]
) -> None:
    command = [_executable("source-ossit"), *_read(files, big_config)]
    stopped = stop_while_writing(command, signum, after=300_000)

    assert stopped.returncode == 1, stopped.lines[-3:]
    assert stopped.complete, stopped.lines[-1][-200:]
    messages = [parse_message(line.decode()) for line in stopped.lines[:-1]]
    error = messages[-1]["trace"]["error"]
    assert error["message"].startswith(f"source-ossit stopped by {signum.name}")
    assert error["failure_type"] == "transient_error"
    assert "Traceback" not in stopped.stderr
    # The page being written when the signal came was finished, its STATE after it.
    kinds = [m["type"] for m in messages if m["type"] != "LOG"]
    assert kinds[-3:] == ["RECORD", "STATE", "TRACE"]

    # The last STATE of each stream is safe: a read resumed from them reads the rest.
    last: dict[str, dict[str, Any]] = {}
    written: dict[str, set[str]] = {}
    for message in messages:
        if message["type"] == "STATE":
            last[message["state"]["stream"]["stream_descriptor"]["name"]] = message["state"]
        elif message["type"] == "RECORD":
            record = message["record"]
            written.setdefault(record["stream"], set()).add(record["data"]["id"])
    state = files.json(list(last.values()))
    resumed = run_connector("source-ossit", *_read(files, big_config, "--state", state))
    whole = run_connector("source-ossit", *_read(files, big_config))
    assert resumed.returncode == 0 and whole.returncode == 0
    for stream, records in whole.records.items():
        ids = {record["id"] for record in resumed.records.get(stream, [])}
        assert written.get(stream, set()) | ids == {record["id"] for record in records}, stream
    assert len(resumed.records["points"]) < len(whole.records["points"])


def test_a_reader_that_goes_away_ends_the_read_with_one_line_on_stderr(
    files: Files, big_config: dict[str, Any]
) -> None:
    stopped = close_output([_executable("source-ossit"), *_read(files, big_config)], after=100_000)

    assert stopped.returncode == 1
    assert stopped.stderr.splitlines() == [
        "source-ossit stopped: its standard output was closed before the end of its run "
        "(broken pipe); what it passed on before stands"
    ]


@SIGNALS
def test_a_write_stopped_while_waiting_for_input_ends_with_a_trace(
    signum: signal.Signals, files: Files, config: dict[str, Any]
) -> None:
    command = [_executable("destination-ossit"), "write", "--config", files.json(config),
               "--catalog", files.json(configured_catalog(("statistic_groups",)))]  # fmt: skip
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdin is not None
    process.stdin.write(b'{"type": "LOG", "log": {"level": "INFO", "message": "start"}}\n')
    process.stdin.flush()
    wait_until_input_handled(process)
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)

    assert process.returncode == 1
    messages = [parse_message(line) for line in stdout.decode().splitlines()]
    assert [m["type"] for m in messages if m["type"] != "LOG"] == ["TRACE"]
    assert messages[-1]["trace"]["error"]["message"].startswith(
        f"destination-ossit stopped by {signum.name}"
    )
    assert b"Traceback" not in stderr + stdout


@pytest.mark.parametrize(
    ("connector", "command", "answer"),
    [
        ("source-ossit", "spec", "SPEC"),
        ("source-ossit", "check", "CONNECTION_STATUS"),
        ("source-ossit", "discover", "CATALOG"),
        ("destination-ossit", "spec", "SPEC"),
        ("destination-ossit", "check", "CONNECTION_STATUS"),
    ],
)
def test_pyairbyte_s_sigterm_after_the_answer_is_no_failure(
    connector: str, command: str, answer: str, files: Files, config: dict[str, Any]
) -> None:
    arguments = [] if command == "spec" else ["--config", files.json(config)]
    stopped = answer_then_terminate([_executable(connector), command, *arguments])

    assert stopped.returncode in (0, -signal.SIGTERM), stopped.stderr
    message = parse_message(stopped.lines[0].decode())
    assert message["type"] == answer
    if answer == "CONNECTION_STATUS":
        assert message["connectionStatus"]["status"] == "SUCCEEDED"
    assert stopped.stderr == ""


def test_a_failed_discover_stays_a_failure_when_terminated(files: Files) -> None:
    bad = files.json({"domain_key": "k", "base_url": "not a url"})
    stopped = answer_then_terminate([_executable("source-ossit"), "discover", "--config", bad])

    assert stopped.returncode == 1, stopped.stderr
    error = parse_message(stopped.lines[0].decode())["trace"]["error"]
    assert error["failure_type"] == "config_error"
    assert stopped.stderr == ""
