"""target-ossit stopped by SIGTERM or SIGINT between two input lines, or by a closed stdout.

A signal ends the input between two lines, as if it ended there: what is held is sent,
the last state passed on, one readable line logged, exit 1 (the input was not all
loaded). A reader of standard output that goes away ends the run with one line too.
"""

from __future__ import annotations

import json
import signal
import subprocess
from typing import Any

import ossit_schemas
import pytest
from hostile_server import wait_until_input_handled

STATED = 100
"""Points before the one STATE of the input; 30 more follow it."""


def _input(point: Any) -> str:
    lines = [{"type": "SCHEMA", "stream": "points", "schema": ossit_schemas.record_schema("points"),
              "key_properties": ["id"]}]  # fmt: skip
    for n in range(1, STATED + 31):
        lines.append({"type": "RECORD", "stream": "points", "record": point("g", "s", n, float(n))})
        if n == STATED:
            lines.append({"type": "STATE", "value": {"points": n}})
    return "".join(json.dumps(line) + "\n" for line in lines)


def _start(target_cli: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        target_cli.command(batch_size=50),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=target_cli.env,
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_while_waiting_for_input_loads_what_it_holds_and_exits_1(
    signum: signal.Signals, target_cli: Any, point: Any, destination: Any
) -> None:
    proc = _start(target_cli)
    assert proc.stdin is not None
    proc.stdin.write(_input(point))
    proc.stdin.flush()
    wait_until_input_handled(proc)  # every line handled, the input still open
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=60)

    assert proc.returncode == 1, stderr[-3000:]
    assert stdout.endswith("\n")
    assert [json.loads(line) for line in stdout.splitlines()] == [{"points": STATED}]
    assert len(destination.points()) == STATED + 30  # `set` points: safe to send again
    last_line = stderr.splitlines()[-1]
    assert f"target-ossit failed: stopped by {signum.name} after input line 132" in last_line
    assert "resume from that state" in last_line
    assert "Traceback" not in stderr


def test_a_reader_that_goes_away_ends_the_run_with_one_line(target_cli: Any, point: Any) -> None:
    proc = _start(target_cli)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdout.close()  # before the first STATE is passed on
    _, stderr = proc.communicate(_input(point), timeout=60)

    assert proc.returncode == 1, stderr[-3000:]
    last_line = stderr.splitlines()[-1]
    assert "target-ossit failed: its standard output was closed" in last_line
    assert "(broken pipe)" in last_line
    assert "Traceback" not in stderr
    assert "Exception ignored" not in stderr
