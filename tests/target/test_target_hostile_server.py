"""target-ossit against a misbehaving server: every load ends, bounded, and passes no state on
for what the server did not acknowledge.

The real `target-ossit` executable loads valid Singer input into a `HostileServer`
(tests/hostile_server.py) that misbehaves on one of the two kinds of call a load makes:

- the list the target reads the destination with (`GET /v1/api/statistic-groups`, for a
  statistic group record): nonsense 200s, a drip, a gzip bomb, waits of days, 500s forever,
  a connection cut mid-answer, a cursor that repeats, pages that do not advance;
- the batch write (`POST /v1/api/points/batch`): the first batch is acknowledged, the next
  one is answered with the same kinds of misbehaviour.

Each run must exit 1 well within its bound and with its peak resident size bounded, its last
log line one readable `target-ossit failed: ...` naming the endpoint, the stream and the input
lines (no traceback), no spelling of the domain key in its output, and on stdout only the
STATE messages whose records the server acknowledged.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import ossit_schemas
import pytest
from hostile_server import (
    DEFAULT_CAP,
    SMALL_RSS,
    BoundedRun,
    Exchange,
    Finished,
    Handler,
    HostileServer,
    Misbehaviour,
    answer_with,
    assert_bounded_and_quiet,
    assert_ended_in_one_line,
    bomb,
    finished_runs,
    misbehaviours,
    not_advancing,
    repeating_cursor,
    run_connector,
    selected_cases,
)

pytestmark = pytest.mark.timeout(300)  # the module's runs are made by its first test

TARGET_EXECUTABLE = Path(sys.executable).with_name("target-ossit")

GROUPS = "/v1/api/statistic-groups"
POINTS_BATCH = "/v1/api/points/batch"
STAMP = "2026-01-01T00:00:00.000000Z"


# -- the input ------------------------------------------------------------------------------


def point(day: int, value: float) -> dict[str, Any]:
    """A points record as tap-ossit emits it."""
    return {
        "id": f"pt_{day}",
        "statistic_id": "stat_1",
        "group": "g",
        "statistic": "s",
        "reference_date": f"2025-01-{day:02d}",
        "value": value,
        "created_at": STAMP,
        "updated_at": STAMP,
        "deleted_at": None,
    }


def schema(stream: str) -> dict[str, Any]:
    return {
        "type": "SCHEMA",
        "stream": stream,
        "schema": ossit_schemas.record_schema(stream),
        "key_properties": ["id"],
    }


def record(stream: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"type": "RECORD", "stream": stream, "record": value}


def state(value: dict[str, Any]) -> dict[str, Any]:
    return {"type": "STATE", "value": value}


GROUP = {
    "id": "grp_1",
    "name": "g",
    "description": "a group",
    "created_at": STAMP,
    "updated_at": STAMP,
    "deleted_at": None,
}

#: A group record (line 2), whose load reads the destination's groups first.
GROUP_INPUT = [schema("statistic_groups"), record("statistic_groups", GROUP), state({"n": 1})]
GROUP_LINE = 2

#: Points in two batches: lines 2 (acknowledged, then STATE 1) and 4 to 5 (then STATE 2).
POINTS_INPUT = [
    schema("points"),
    record("points", point(1, 1.0)),
    state({"n": 1}),
    record("points", point(2, 2.0)),
    record("points", point(3, 3.0)),
    state({"n": 2}),
]
ACKNOWLEDGED_STATE = {"n": 1}


# -- the server: good answers, and the misbehaviours ------------------------------------------


def stored_point(item: dict[str, Any]) -> dict[str, Any]:
    """The point a batch item results in, as the API answers it."""
    return {
        "id": f"pt_{item['reference_date']}",
        "statistic_id": "stat_1",
        "group": item["group"],
        "statistic": item["statistic"],
        "reference_date": item["reference_date"],
        "value": item.get("value"),
        "created_at": STAMP,
        "updated_at": STAMP,
        "deleted_at": None,
    }


def acknowledge(exchange: Exchange) -> None:
    """A correct answer to a batch write."""
    items = json.loads(exchange.request.body)["points"]
    exchange.answer(200, {"data": [stored_point(item) for item in items]})


def on_group_list(bad: Handler) -> Handler:
    """``bad`` answers the groups list; a group create (never reached) would succeed."""

    def handler(exchange: Exchange) -> bool | None:
        request = exchange.request
        if request.method == "GET" and request.path == GROUPS:
            return bad(exchange)
        if request.method == "POST" and request.path == GROUPS:
            exchange.answer(201, GROUP)
            return None
        exchange.answer(404, {"error": {"code": "not_found", "message": "no such endpoint"}})
        return None

    return handler


def on_second_batch(bad: Handler) -> Handler:
    """The first points batch is acknowledged; ``bad`` answers every later one."""
    batches = 0

    def handler(exchange: Exchange) -> bool | None:
        nonlocal batches
        request = exchange.request
        if request.method == "POST" and request.path == POINTS_BATCH:
            batches += 1
            if batches == 1:
                acknowledge(exchange)
                return None
            return bad(exchange)
        exchange.answer(404, {"error": {"code": "not_found", "message": "no such endpoint"}})
        return None

    return handler


GOOD_BODY = json.dumps({"data": [], "next_cursor": None}).encode()
OTHER = {**GROUP, "id": "grp_2", "name": "other"}


#: Misbehaviours only a list can show.
LIST_ONLY: dict[str, Misbehaviour] = {
    "repeating-cursor": (
        repeating_cursor(OTHER, {**OTHER, "updated_at": "2026-01-01T00:00:01.000000Z"}),
        ["repeats"],
    ),
    "not-advancing": (not_advancing([OTHER]), ["does not advance"]),
    "record-without-updated_at": (
        answer_with(200, {"data": [{"id": "grp_2", "name": "other"}], "next_cursor": None}),
        ["updated_at"],
    ),
    "gzip-bomb-default-cap": (bomb(2 * DEFAULT_CAP), ["max_answer_bytes", str(DEFAULT_CAP)]),
}

BOTH_CALLS = misbehaviours(GOOD_BODY)
LIST_CASES = {f"list-{name}": case for name, case in {**BOTH_CALLS, **LIST_ONLY}.items()}
BATCH_CASES = {f"batch-{name}": case for name, case in BOTH_CALLS.items()}

#: The settings over ``FAST_SETTINGS`` of the cases that need their own.
SETTINGS = {"list-gzip-bomb-default-cap": {"max_answer_bytes": None, "answer_timeout": 20}}


# -- every run of this module, made at once ---------------------------------------------------

#: Runs that wait the longest (drips, a bomb at the default cap).
LONG_RUNS = {"list-drip", "batch-drip", "list-gzip-bomb-default-cap"}


def run_target(
    server: HostileServer, workdir: Path, messages: list[dict[str, Any]], settings: dict[str, Any]
) -> BoundedRun:
    """One real `target-ossit` load of ``messages`` into ``server``; its own config and budget."""
    source = workdir / "input.singer"
    source.write_text("".join(json.dumps(message) + "\n" for message in messages))
    return run_connector(TARGET_EXECUTABLE, server, workdir, settings, stdin=source)


def _job(case: str, workdir: Path) -> tuple[HostileServer, Callable[[], BoundedRun]]:
    settings = SETTINGS.get(case, {})
    if case in LIST_CASES:
        server = HostileServer(on_group_list(LIST_CASES[case][0]))
        return server, partial(run_target, server, workdir, GROUP_INPUT, settings)
    server = HostileServer(on_second_batch(BATCH_CASES[case][0]))
    return server, partial(run_target, server, workdir, POINTS_INPUT, settings)


@pytest.fixture(scope="module")
def finished(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Finished]:
    """The selected runs of this module, made in parallel: (the run, its server) by case."""
    jobs = {case: _job(case, tmp_path_factory.mktemp(case)) for case in selected_cases(request)}
    with finished_runs(jobs, first=LONG_RUNS) as runs:
        yield runs


# -- what every run must show -----------------------------------------------------------------


def states(run: BoundedRun) -> list[dict[str, Any]]:
    """The states the run passed on: its stdout, one state value per line."""
    return [json.loads(line) for line in run.stdout.splitlines() if line.strip()]


def assert_failed_cleanly(
    run: BoundedRun, server: HostileServer, max_rss: int, *words: str
) -> None:
    """Bounded, the key sent and never printed; exit 1, one readable last line naming ``words``."""
    assert_bounded_and_quiet(run, server, max_rss)
    assert_ended_in_one_line(run, "target-ossit failed", *words)


def rss_bound(case: str) -> int:
    """The peak resident size a run may reach: the interpreter, plus the answer cap if large."""
    return SMALL_RSS + (DEFAULT_CAP if "max_answer_bytes" in SETTINGS.get(case, {}) else 0)


# -- the cases ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(LIST_CASES))
def test_a_misbehaving_destination_list_fails_the_load_in_one_line(
    case: str, finished: Finished
) -> None:
    run, server = finished[case]
    _, words = LIST_CASES[case]

    assert_failed_cleanly(
        run,
        server,
        rss_bound(case),
        GROUPS,
        "stream 'statistic_groups'",
        f"input line {GROUP_LINE}",
        *words,
    )
    assert states(run) == []  # the group was not written: its STATE is not passed on
    assert all(request.method == "GET" for request in server.seen())  # nothing written


@pytest.mark.parametrize("case", sorted(BATCH_CASES))
def test_a_misbehaving_batch_write_fails_the_load_in_one_line(
    case: str, finished: Finished
) -> None:
    run, server = finished[case]
    _, words = BATCH_CASES[case]

    assert_failed_cleanly(
        run,
        server,
        rss_bound(case),
        POINTS_BATCH,
        "stream 'points'",
        "input lines 4 to 5",
        *words,
    )
    # the first batch was acknowledged, the second was not: only the first STATE passes
    assert states(run) == [ACKNOWLEDGED_STATE]
