"""A STATE is passed on only once the records before it are acknowledged by the API.

The target is fed through a pipe that stays open: 1,600 points with a STATE after every
250.  Batches are cut at every STATE, so the first 1,500 go out in six batches and their
states are passed on as each is acknowledged; the last 100 wait for more input.
"""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import threading
from typing import Any

import ossit_schemas
from hostile_server import wait_until_input_handled

FED = 1600
LAST_STATE = 1500
STATE_EVERY = 250


def _start_fed(target_cli: Any, point: Any) -> tuple[subprocess.Popen[str], queue.Queue]:
    """Start the target, feed it, and return it with a queue of the states it prints."""
    proc = target_cli.start()
    assert proc.stdin is not None and proc.stdout is not None
    schema = ossit_schemas.record_schema("points")
    proc.stdin.write(json.dumps({"type": "SCHEMA", "stream": "points", "schema": schema}) + "\n")
    for n in range(1, FED + 1):
        record = point("g", "s", n, float(n))
        proc.stdin.write(json.dumps({"type": "RECORD", "stream": "points", "record": record}))
        proc.stdin.write("\n")
        if n % STATE_EVERY == 0 and n <= LAST_STATE:
            proc.stdin.write(json.dumps({"type": "STATE", "value": {"points": n}}) + "\n")
    proc.stdin.flush()
    states: queue.Queue = queue.Queue()
    stdout = proc.stdout

    def read() -> None:
        for line in stdout:
            states.put(json.loads(line))
        states.put(None)

    threading.Thread(target=read, daemon=True).start()
    return proc, states


def _states_until(states: queue.Queue, wanted: dict[str, int]) -> list[dict[str, int]]:
    seen: list[dict[str, int]] = []
    while wanted not in seen:
        state = states.get(timeout=60)
        assert state is not None, f"the target ended before passing on {wanted}: {seen}"
        seen.append(state)
    return seen


def _rest(proc: subprocess.Popen[str], states: queue.Queue) -> list[dict[str, int]]:
    """The states printed until the process ended; its pipes closed."""
    rest = []
    while (state := states.get(timeout=60)) is not None:
        rest.append(state)
    for pipe in (proc.stdin, proc.stdout):
        assert pipe is not None
        pipe.close()
    return rest


def test_a_killed_run_passed_on_no_state_past_its_acknowledged_records(
    target_cli: Any, point: Any, destination: Any
) -> None:
    proc, states = _start_fed(target_cli, point)
    seen = _states_until(states, {"points": LAST_STATE})
    wait_until_input_handled(proc)  # every line read: 100 points are pending
    proc.kill()
    proc.wait(timeout=30)
    seen += _rest(proc, states)

    assert seen == [{"points": n} for n in range(STATE_EVERY, LAST_STATE + 1, STATE_EVERY)]
    assert len(destination.points()) == LAST_STATE  # what the last state covers, all written


def test_a_terminated_run_sends_what_it_holds_then_passes_on_the_last_state(
    target_cli: Any, point: Any, destination: Any
) -> None:
    proc, states = _start_fed(target_cli, point)
    seen = _states_until(states, {"points": LAST_STATE})
    wait_until_input_handled(proc)  # every line read: 100 points are pending
    proc.send_signal(signal.SIGTERM)
    # The input was not read to its end: the load is incomplete, so the exit says so.
    assert proc.wait(timeout=60) == 1
    seen += _rest(proc, states)

    assert seen[-1] == {"points": LAST_STATE}
    assert len(destination.points()) == FED
