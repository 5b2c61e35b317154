"""tap-ossit stopped mid-read: by SIGTERM or SIGINT while it writes a page, by a closed stdout.

The rule (README "Exit statuses"): the page being written is finished and its STATE
written after it, so every line is whole and the last STATE is safe to resume from; the
log ends with one readable line, no traceback; the exit status is 1.
"""

from __future__ import annotations

import json
import signal
from typing import Any

import pytest
from ossit_sandbox.launcher import SandboxServer
from stopped_runs import close_output, stop_while_writing

BIG = {"groups": 3, "statistics": 10, "days": 200, "intervals": 5}
"""6,000 points: pages of 1,000 (about 400 kB each) cannot all sit in a pipe."""


@pytest.fixture
def big_config(sandbox: SandboxServer, domain_key: str, tap_config: dict[str, Any]) -> Any:
    sandbox.generate(domain_key, **BIG, seed=71)
    return {**tap_config, "page_size": 1000}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_mid_page_finishes_the_page_and_its_state_then_exits_1(
    signum: signal.Signals, big_config: dict[str, Any], tap_cli: Any, read_domain: Any
) -> None:
    stopped = stop_while_writing(
        tap_cli.command(big_config), signum, after=300_000, env=tap_cli.env
    )

    assert stopped.returncode == 1, stopped.stderr[-3000:]
    assert stopped.complete, stopped.lines[-1][-200:]
    messages = [json.loads(line) for line in stopped.lines[:-1]]  # each line whole
    assert messages[-1]["type"] == "STATE"
    records = [m for m in messages if m["type"] == "RECORD"]
    assert records[-1]["stream"] == "points"
    points = messages[-1]["value"]["bookmarks"]["points"]
    assert points["replication_key_value"] == records[-1]["record"]["updated_at"]
    last_line = stopped.stderr.splitlines()[-1]
    assert f"tap-ossit stopped: {signum.name} received; the last STATE" in last_line
    assert "Traceback" not in stopped.stderr

    # The last STATE is safe: a run resumed from it reads everything not yet written.
    resumed = tap_cli.run(big_config, messages[-1]["value"])
    domain = read_domain()
    for stream, by_id in domain.items():
        written = {m["record"]["id"] for m in records if m["stream"] == stream}
        assert written | resumed.ids(stream) == set(by_id), stream
    assert len(resumed.ids("points")) < len(domain["points"])


def test_a_reader_that_goes_away_ends_the_run_with_one_line(
    big_config: dict[str, Any], tap_cli: Any
) -> None:
    stopped = close_output(tap_cli.command(big_config), after=100_000, env=tap_cli.env)

    assert stopped.returncode == 1, stopped.stderr[-3000:]
    last_line = stopped.stderr.splitlines()[-1]
    assert "tap-ossit stopped: its standard output was closed" in last_line
    assert "(broken pipe)" in last_line
    assert "Traceback" not in stopped.stderr
    assert "Exception ignored" not in stopped.stderr
