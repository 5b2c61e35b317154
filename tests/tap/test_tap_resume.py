"""A run killed mid-stream and restarted from its last STATE misses no record."""

from __future__ import annotations

import json

from ossit_sandbox.launcher import SandboxServer


def test_killed_run_restarted_from_its_last_state_misses_nothing(
    sandbox: SandboxServer, domain_key: str, tap_config, tap_cli, read_domain
) -> None:
    # 1,500 points (~450 kB of RECORD lines) cannot all sit in the pipe while we read, so the
    # tap is still inside the points stream when it is killed.
    sandbox.generate(domain_key, groups=3, statistics=5, days=100, intervals=20, seed=21)
    config = {**tap_config, "page_size": 25}

    proc = tap_cli.start(config)
    assert proc.stdout is not None
    committed: dict[str, set[str]] = {}  # what a target would have committed: up to a STATE
    pending: list[dict] = []
    last_state, points_states = None, 0
    for line in proc.stdout:
        message = json.loads(line)
        if message["type"] == "RECORD":
            pending.append(message)
        elif message["type"] == "STATE":
            for record in pending:
                committed.setdefault(record["stream"], set()).add(record["record"]["id"])
            pending.clear()
            last_state = message["value"]
            points_states += "points" in committed
            if points_states == 6:
                break
    assert proc.poll() is None, "the tap finished before it could be killed"
    proc.kill()
    proc.wait()
    proc.stdout.close()

    resumed = tap_cli.run(config, last_state)

    domain = read_domain()
    for stream, records in domain.items():
        assert committed.get(stream, set()) | resumed.ids(stream) == set(records), stream
    # It resumed rather than started over: finished streams and read points are not re-read.
    assert resumed.ids("statistic_groups") == set()
    assert resumed.ids("statistics") == set()
    assert 0 < len(resumed.ids("points")) < len(domain["points"])
    assert not committed["points"] & resumed.ids("points")


def test_a_run_stopped_after_n_records_resumes_after_the_nth(
    sandbox: SandboxServer, domain_key: str, tap_config, tap, tap_stopped_after, read_domain
) -> None:
    sandbox.generate(domain_key, groups=2, statistics=3, days=30, intervals=40, seed=22)
    config = {**tap_config, "page_size": 16}
    stopped = tap_stopped_after(config, 25)

    resumed = tap(config, stopped.final_state)

    domain = read_domain()
    for stream, records in domain.items():
        emitted = stopped.records.get(stream, [])
        assert len(emitted) == min(25, len(records))
        assert (
            stopped.final_state["bookmarks"][stream]["replication_key_value"]
            == (emitted[-1]["updated_at"])
        )
        assert stopped.ids(stream) | resumed.ids(stream) == set(records)
        assert not stopped.ids(stream) & resumed.ids(stream)
