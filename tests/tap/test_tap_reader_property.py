"""Nothing lost under concurrent writes: a run plus the next run from ANY of its states.

Writes are made between the tap's own requests (a hook on its client runs them just
before the n-th list request), so they land while pages are being read: changes to old
dates, new points and statistics, deletes, renames, intervals closed. Invariant, with
and without `groups` partitions and for page sizes from 1 to 1000: for every STATE the
run emitted, each record's final version was emitted by the run before that STATE or by
the next incremental run started from it.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import random
import tempfile
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ossit_client import APIStatusError, OssitClient
from ossit_sandbox.launcher import SandboxServer
from tap_ossit.tap import TapOssit
from tap_runs import STREAM_NAMES, TapOutput, _captured, run_in_process

GROUPS = ("north", "south", "east")
STATISTICS = ("visits", "sales")
Action = Callable[[OssitClient], Any]


def _seed(client: OssitClient, days: int) -> None:
    items = [
        {"group": g, "statistic": s, "reference_date": f"2026-01-{d + 1:02d}", "value": d}
        for g in GROUPS
        for s in STATISTICS
        for d in range(days)
    ]
    client.points.batch(items, create_missing=True)
    for n, group in enumerate(GROUPS):
        client.intervals.create(group=group, type="run", start=f"2026-01-0{n + 1}T00:00:00Z")


def _actions(rng: random.Random, client: OssitClient, renamable: list[str]) -> list[Action]:
    """Every kind of change the invariant must survive, on names drawn by `rng`."""
    group, statistic = rng.choice(GROUPS), rng.choice(STATISTICS)
    day = f"2026-01-{rng.randint(1, 28):02d}"

    def point(method: str = "set", **extra: Any) -> Action:
        item = {"group": group, "statistic": statistic, "reference_date": day, "method": method,
                "value": rng.randint(1, 99), **extra}  # fmt: skip
        return lambda c: c.points.batch([item], create_missing=True)

    def close_interval(c: OssitClient) -> Any:
        for interval in c.intervals.list(group=group):
            if interval["end"] is None:
                return c.intervals.update(interval["id"], end="2026-02-01T00:00:00Z")
        return None

    actions: list[Action] = [
        point(),
        point("add"),
        point(delete=True),
        point(statistic=f"new-{rng.randint(1, 5)}"),
        lambda c: c.statistics.purge(group, statistic),
        close_interval,
        lambda c: c.intervals.create(group=group, type="state", start="2026-01-05T00:00:00Z"),
    ]
    if group in renamable:
        actions.append(lambda c: c.statistic_groups.update(group, name=f"{group}-{rng.random()}"))
        actions.append(lambda c: c.statistic_groups.delete(group))
    return actions


def _writer(sandbox: SandboxServer, key: str) -> OssitClient:
    """The client that writes during the tap's run, with a request budget of its own.

    Its budget file is another than the tap's: two clients of one process locking one
    file would be two lock holders of one process (filelock refuses that), and this one
    stands for another machine writing into the domain anyway.
    """
    state_dir = tempfile.mkdtemp(prefix="ossit-writer-")
    return OssitClient(key, base_url=sandbox.base_url, state_dir=state_dir)


def _run_with_writes(
    config: dict[str, Any], writer: OssitClient, schedule: dict[int, list[Action]]
) -> TapOutput:
    """One tap run whose n-th list request is preceded by the actions scheduled for n."""
    tap = TapOssit(config=dict(config))
    request = tap.api.request
    calls = 0

    def hooked(method: str, template: str, **kwargs: Any) -> Any:
        nonlocal calls
        for action in schedule.get(calls, ()):
            # An action may fail (its group deleted by an earlier one): nothing changed then.
            with contextlib.suppress(APIStatusError):
                action(writer)
        calls += 1
        return request(method, template, **kwargs)

    tap.api.request = hooked  # type: ignore[method-assign]
    try:
        return _captured(tap.sync_all)
    finally:
        tap.close()


def _final_versions(client: OssitClient, groups: list[str]) -> set[tuple[str, str, str]]:
    """(stream, id, updated_at) of every record now, tombstones included, in the partitions."""
    versions = set()
    for stream in STREAM_NAMES:
        for record in getattr(client, stream).list(include_deleted=True):
            name = record["name"] if stream == "statistic_groups" else record["group"]
            if not groups or name in groups:
                versions.add((stream, record["id"], record["updated_at"]))
    return versions


def _emitted(messages: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {
        (m["stream"], m["record"]["id"], m["record"]["updated_at"])
        for m in messages
        if m["type"] == "RECORD"
    }


def check_every_change_is_read(
    sandbox: SandboxServer,
    *,
    page_size: int,
    groups: list[str],
    schedule_seed: int,
    writes: int,
    days: int = 4,
) -> None:
    """The invariant for one scenario (see the module docstring)."""
    key = sandbox.create_domain(f"reader-property-{schedule_seed}", time_zone="UTC")
    rng = random.Random(schedule_seed)
    config = {"domain_key": key, "base_url": sandbox.base_url, "page_size": page_size,
              **({"groups": groups} if groups else {})}  # fmt: skip
    with _writer(sandbox, key) as writer:
        _seed(writer, days)
        renamable = [g for g in GROUPS if g not in groups]
        schedule: dict[int, list[Action]] = {}
        for _ in range(writes):
            actions = _actions(rng, writer, renamable)
            schedule.setdefault(rng.randint(0, 12), []).append(rng.choice(actions))
        first = _run_with_writes(config, writer, schedule)
        final = _final_versions(writer, groups)

    positions = [i for i, m in enumerate(first.messages) if m["type"] == "STATE"]
    assert positions, "the run emitted no STATE"
    for position in sorted(
        {positions[0], positions[-1], *rng.sample(positions, min(3, len(positions)))}
    ):
        state = first.messages[position]["value"]
        before = _emitted(first.messages[:position])
        nxt = run_in_process(config, state)
        missing = final - before - _emitted(nxt.messages)
        assert not missing, f"lost from state #{positions.index(position)}: {sorted(missing)[:5]}"


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    page_size=st.one_of(st.integers(1, 4), st.integers(5, 1000)),
    groups=st.one_of(st.just([]), st.lists(st.sampled_from(GROUPS), min_size=1, max_size=3)),
    schedule_seed=st.integers(0, 2**32 - 1),
    writes=st.integers(1, 12),
)
def test_a_run_and_the_next_from_any_of_its_states_read_every_change(
    sandbox: SandboxServer, page_size: int, groups: list[str], schedule_seed: int, writes: int
) -> None:
    check_every_change_is_read(
        sandbox, page_size=page_size, groups=groups, schedule_seed=schedule_seed, writes=writes
    )


def test_a_change_to_a_partition_already_read_is_read_by_the_next_run(
    sandbox: SandboxServer, domain_key: str, tap_config: dict[str, Any], tap: Any
) -> None:
    """The defect this guards: a small group's sequence ended, then it changed, while a big
    group's sequence was still being read; a bookmark shared by both passed the change."""
    with _writer(sandbox, domain_key) as writer:
        items = [{"group": "big", "statistic": "s", "reference_date": f"2026-01-{d:02d}",
                  "value": d} for d in range(1, 21)]  # fmt: skip
        writer.points.batch([*items, {**items[0], "group": "small"}], create_missing=True)
        config = {**tap_config, "page_size": 3, "groups": ["small", "big"]}
        late = {"group": "small", "statistic": "s", "reference_date": "2026-02-01", "value": 7}
        tap_object = TapOssit(config=dict(config))
        request = tap_object.api.request

        def hooked(method: str, template: str, **kwargs: Any) -> Any:
            params = kwargs.get("params") or {}
            if template == "/points" and params.get("group") == "big" and params.get("cursor"):
                writer.points.batch([late])  # small's sequence has ended
            return request(method, template, **kwargs)

        tap_object.api.request = hooked  # type: ignore[method-assign]
        try:
            first = _captured(tap_object.sync_all)
        finally:
            tap_object.close()

    late_points = [p for p in first.records["points"] if p["reference_date"] == "2026-02-01"]
    for state in first.states:
        nxt = tap(config, state)
        read = late_points + [
            p for p in nxt.records["points"] if p["reference_date"] == "2026-02-01"
        ]
        assert [p["value"] for p in read][-1:] == [7], state


def test_batch_mode_states_never_run_ahead_of_the_batch_files(
    sandbox: SandboxServer, domain_key: str, tap_config: dict[str, Any], tmp_path: Any
) -> None:
    """In BATCH mode every STATE covers only records in batch files announced before it."""
    sandbox.generate(domain_key, groups=2, statistics=3, days=30, intervals=12, seed=5)
    config = {**tap_config, "page_size": 7, "batch_config": {
        "encoding": {"format": "jsonl", "compression": "gzip"},
        "storage": {"root": f"file://{tmp_path}", "prefix": "b-"}, "batch_size": 10}}  # fmt: skip
    run = run_in_process(config)

    in_files: dict[str, list[dict[str, Any]]] = {stream: [] for stream in STREAM_NAMES}
    checked = 0
    for message in run.messages:
        if message["type"] == "BATCH":
            for url in message["manifest"]:
                with gzip.open(urlparse(url).path, "rt") as lines:
                    in_files[message["stream"]].extend(json.loads(line) for line in lines)
        elif message["type"] == "STATE":
            for stream, state in message["value"].get("bookmarks", {}).items():
                bookmark = state.get("replication_key_value")
                if bookmark is None:
                    continue
                read = {r["updated_at"] for r in in_files[stream]}
                assert bookmark in read, f"{stream}: STATE at {bookmark} before its batch file"
                checked += 1
    assert checked > 10
    with OssitClient(domain_key, base_url=sandbox.base_url) as client:
        for stream in STREAM_NAMES:
            ids = {r["id"] for r in getattr(client, stream).list(include_deleted=True)}
            assert {r["id"] for r in in_files[stream]} == ids
