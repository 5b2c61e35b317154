"""tap-ossit against a misbehaving server: every run ends, in bounded time and memory.

The real `tap-ossit` executable reads a `HostileServer` (tests/hostile_server.py) that
misbehaves on the first stream's list, `GET /v1/api/statistic-groups`, usually on its second
page (the first is a good page of two groups): cursors that repeat, pages that do not move
forward, a drip, a gzip bomb, waits of days, nonsense 200s, 500s forever, a connection cut
mid-answer. Each run must stop with exit 1 well within its bound, its peak resident size
bounded, its last log line one readable `tap-ossit stopped: ...` naming the endpoint (no
traceback), no spelling of the domain key anywhere in its output, and no record twice.

The connection settings keep each case to a few seconds: a 1 s socket timeout, 2 s per
attempt, one retry, 5 s of retry waits, and (unless the case is about the default) a 1 MiB
answer cap.
"""

from __future__ import annotations

import collections
import json
import sys
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hostile_server import (
    DEFAULT_CAP,
    ERROR_BODY,
    SMALL_RSS,
    BoundedRun,
    Exchange,
    Finished,
    Handler,
    HostileServer,
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

TAP_EXECUTABLE = Path(sys.executable).with_name("tap-ossit")

GROUPS = "/v1/api/statistic-groups"
ENDPOINTS = (GROUPS, "/v1/api/statistics", "/v1/api/points", "/v1/api/intervals")


def group(number: int) -> dict[str, Any]:
    """A statistic group as the API lists it."""
    stamp = f"2026-01-01T00:00:{number:02d}.000000Z"
    return {
        "id": f"grp_{number}",
        "name": f"group {number}",
        "description": None,
        "created_at": stamp,
        "updated_at": stamp,
        "deleted_at": None,
    }


EMPTY_PAGE: dict[str, Any] = {"data": [], "next_cursor": None}
FIRST_PAGE: dict[str, Any] = {"data": [group(1), group(2)], "next_cursor": "page-2"}
SERVED_IDS = {"grp_1", "grp_2"}


def after_a_good_page(bad: Handler) -> Handler:
    """The groups list's first page is good (two groups, a next page); then ``bad`` answers.

    Every other list is empty, so only the groups list can fail the run.
    """

    def handler(exchange: Exchange) -> bool | None:
        request = exchange.request
        if request.path != GROUPS:
            exchange.answer(200, EMPTY_PAGE)
            return None
        if "cursor" not in request.query:
            exchange.answer(200, FIRST_PAGE)
            return None
        return bad(exchange)

    return handler


# -- the misbehaviours ----------------------------------------------------------------------


GOOD_ANSWER = json.dumps({"data": [group(3)], "next_cursor": None}).encode()


#: The second page's misbehaviours: (handler, words the last line must say), by case.
SECOND_PAGE_CASES: dict[str, tuple[Handler, list[str]]] = {
    **misbehaviours(GOOD_ANSWER),
    "no-next-cursor": (answer_with(200, {"data": [group(3)]}), ["no `next_cursor`"]),
    "record-without-updated_at": (
        answer_with(
            200,
            {
                "data": [{k: v for k, v in group(3).items() if k != "updated_at"}],
                "next_cursor": None,
            },
        ),
        ["updated_at"],
    ),
}


# -- every run of this module, made at once ---------------------------------------------------


def on_groups(handler: Handler) -> Handler:
    """``handler`` for the groups list; every other list is empty."""

    def answer(exchange: Exchange) -> bool | None:
        if exchange.request.path != GROUPS:
            exchange.answer(200, EMPTY_PAGE)
            return None
        return handler(exchange)

    return answer


def rate_headers(reset: str) -> dict[str, str]:
    """Nothing remaining, a request free again in ``reset`` seconds."""
    return {"X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}


HUGE_RESETS = ["999999"]
UNUSABLE_RESETS = ["inf", "soon"]


def refused_429_then_good(exchange: Exchange) -> None:
    """The first request: a 429 asking for days, with nothing remaining for days; then good."""
    if exchange.number == 1:
        headers = {"Retry-After": "999999", **rate_headers("999999")}
        exchange.answer(429, ERROR_BODY, headers)
    else:
        exchange.answer(200, EMPTY_PAGE)


#: Cases of two runs on one server and one budget directory (the second run is checked).
TWICE = {"refused-429-then-a-second-run": refused_429_then_good}

#: Every run of the module: its server's handler and its settings over ``FAST_SETTINGS``.
RUNS: dict[str, tuple[Handler, dict[str, Any]]] = {
    **{name: (after_a_good_page(bad), {}) for name, (bad, _) in SECOND_PAGE_CASES.items()},
    "gzip-bomb-default-cap": (
        after_a_good_page(bomb(2 * DEFAULT_CAP)),
        {"max_answer_bytes": None, "answer_timeout": 20},
    ),
    "repeating-cursor": (on_groups(repeating_cursor(group(1), group(2))), {}),
    "not-advancing": (on_groups(not_advancing([group(1), group(2)])), {}),
    "500-on-the-first-answer": (answer_with(500, ERROR_BODY), {}),
    **{
        f"reset-{reset}": (answer_with(200, EMPTY_PAGE, rate_headers(reset)), {})
        for reset in HUGE_RESETS
    },
    **{
        f"reset-{reset}": (answer_with(200, EMPTY_PAGE, rate_headers(reset)), {})
        for reset in UNUSABLE_RESETS
    },
    **{case: (handler, {}) for case, handler in TWICE.items()},
}


#: Runs that wait the longest (a drip, a bomb at the default cap, a wait on the budget).
LONG_RUNS = {
    "drip",
    "gzip-bomb-default-cap",
    *(f"reset-{reset}" for reset in HUGE_RESETS),
    *TWICE,
}


def _job(case: str, workdir: Path) -> tuple[HostileServer, Callable[[], BoundedRun]]:
    handler, settings = RUNS[case]
    server = HostileServer(handler)
    return server, partial(run_tap_twice if case in TWICE else run_tap, server, workdir, settings)


@pytest.fixture(scope="module")
def finished(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Finished]:
    """The selected runs of this module, made in parallel: (the run, its server) by case."""
    cases = selected_cases(request)
    jobs = {case: _job(case, tmp_path_factory.mktemp(f"tap-{case}")) for case in cases}
    with finished_runs(jobs, first=LONG_RUNS) as runs:
        yield runs


def run_tap(server: HostileServer, workdir: Path, settings: dict[str, Any]) -> BoundedRun:
    """One real `tap-ossit` sync of ``server``, with its own config and budget directory."""
    return run_connector(TAP_EXECUTABLE, server, workdir, settings)


def run_tap_twice(server: HostileServer, workdir: Path, settings: dict[str, Any]) -> BoundedRun:
    """Two runs with one budget directory (as on one machine); the second run."""
    run_tap(server, workdir, settings)
    return run_tap(server, workdir, settings)


def records(run: BoundedRun) -> list[dict[str, Any]]:
    """The RECORD messages of a run's stdout."""
    messages = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    return [m for m in messages if m["type"] == "RECORD"]


def assert_stopped_on(run: BoundedRun, path: str, *words: str) -> None:
    """Exit 1; the last line is one readable `tap-ossit stopped:` naming ``path`` and ``words``."""
    assert_ended_in_one_line(run, "tap-ossit stopped", path, *words)


def assert_each_record_once(run: BoundedRun, served: set[str]) -> list[str]:
    """No record emitted twice, and none the server did not serve; the ids emitted."""
    ids = [message["record"]["id"] for message in records(run)]
    repeated = [i for i, n in collections.Counter(ids).items() if n > 1]
    assert not repeated, f"records emitted twice: {repeated}"
    assert set(ids) <= served
    return ids


# -- the cases ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(SECOND_PAGE_CASES))
def test_a_misbehaving_second_page_stops_the_tap_in_one_line(case: str, finished: Finished) -> None:
    run, server = finished[case]
    words = SECOND_PAGE_CASES[case][1]

    assert_bounded_and_quiet(run, server, SMALL_RSS)
    assert_stopped_on(run, GROUPS, *words)
    # the good first page was emitted once; nothing of the bad one
    assert sorted(assert_each_record_once(run, SERVED_IDS)) == sorted(SERVED_IDS)


@pytest.mark.parametrize("case", ["gzip-bomb-default-cap"])
def test_a_gzip_bomb_at_the_default_cap_stays_bounded_in_memory(
    case: str, finished: Finished
) -> None:
    """512 MiB inflated from 0.5 MB: reading stops at the default cap (256 MiB decoded)."""
    run, server = finished[case]

    # at most the cap held at once, plus the interpreter and a chunk or two
    assert_bounded_and_quiet(run, server, DEFAULT_CAP + SMALL_RSS)
    assert_stopped_on(run, GROUPS, "max_answer_bytes", str(DEFAULT_CAP))
    assert sorted(assert_each_record_once(run, SERVED_IDS)) == sorted(SERVED_IDS)


@pytest.mark.parametrize("case", ["repeating-cursor"])
def test_a_next_cursor_that_repeats_forever_stops_the_tap(case: str, finished: Finished) -> None:
    run, server = finished[case]

    assert_bounded_and_quiet(run, server, SMALL_RSS)
    assert_stopped_on(run, GROUPS, "repeats")
    assert assert_each_record_once(run, SERVED_IDS) == ["grp_1"]
    assert server.count == 2


@pytest.mark.parametrize("case", ["not-advancing"])
def test_pages_that_do_not_advance_stop_the_tap(case: str, finished: Finished) -> None:
    """Every page the same two records under a new cursor: the second page is refused."""
    run, server = finished[case]

    assert_bounded_and_quiet(run, server, SMALL_RSS)
    assert_stopped_on(run, GROUPS, "does not advance")
    assert sorted(assert_each_record_once(run, SERVED_IDS)) == ["grp_1", "grp_2"]
    assert server.count == 2


@pytest.mark.parametrize("case", ["500-on-the-first-answer"])
def test_a_first_answer_that_fails_stops_the_tap_before_any_record(
    case: str, finished: Finished
) -> None:
    run, server = finished[case]

    assert_bounded_and_quiet(run, server, SMALL_RSS)
    assert_stopped_on(run, GROUPS, "500")
    assert records(run) == []
    assert server.count == 2  # one retry


@pytest.mark.parametrize("case", [f"reset-{reset}" for reset in HUGE_RESETS])
def test_nothing_remaining_with_a_huge_reset_does_not_stall_the_tap(
    case: str, finished: Finished
) -> None:
    """Every answer says no request is left until days from now.

    Waiting for it would stall the run for a whole rate window (an hour); a wait longer than
    ``max_retry_wait`` must fail the call instead, as a 429's ``Retry-After`` does.
    """
    run, server = finished[case]

    assert_bounded_and_quiet(run, server, SMALL_RSS)
    assert_stopped_on(run, "/v1/api/", "max_retry_wait")


@pytest.mark.parametrize("case", [f"reset-{reset}" for reset in UNUSABLE_RESETS])
def test_nothing_remaining_with_a_reset_that_is_no_number_is_ignored(
    case: str, finished: Finished
) -> None:
    run, server = finished[case]

    assert_bounded_and_quiet(run, server, SMALL_RSS)
    assert run.returncode == 0, run.describe()
    assert [request.path for request in server.seen()] == list(ENDPOINTS)


@pytest.mark.parametrize("case", sorted(TWICE))
def test_a_wait_a_run_refused_is_not_left_for_the_next_run(case: str, finished: Finished) -> None:
    """A 429 asking for days is refused at once (``max_retry_wait``); the answer also says
    nothing remains for days. The next run on the same key, the server well again, must not
    inherit a pause of a whole rate window from the first run's shared budget file."""
    run, server = finished[case]

    assert_bounded_and_quiet(run, server, SMALL_RSS)
    assert run.returncode == 0, run.describe()
    assert server.count == 1 + len(ENDPOINTS)
