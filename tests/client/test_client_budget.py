"""The budget's rules, one table of cases run against both stores (this machine's file, and
a Redis shared by machines), and what is particular to the file: its name and its place.

Each case drives ``Budget`` objects directly (no server): two of them on one store are two
processes sharing a budget.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ossit_client._budget import Budget, BudgetStore, Ledger, PauseRefused, safety_margin_ms
from ossit_client._budget_file import FileStore, state_file_path
from ossit_client._budget_redis import RedisStore
from ossit_client._origin import Origin
from redis_server import RedisServer

KEY = "dk_live_0123456789abcdef"
URL = "http://127.0.0.1:9"
LIMIT, WINDOW = 5, 60.0
INTERVAL = 60_000 + safety_margin_ms(WINDOW)
GONE = "GET /v1/api/points"
Open = Callable[..., Budget]


@pytest.fixture(params=["file", "redis"])
def open_budget(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Open]:
    """``open_budget(limit=..., max_pause=...)``: a budget on the case's store (each call
    another process on the same one)."""
    opened: list[Budget] = []
    server = RedisServer(tmp_path / "redis").start() if request.param == "redis" else None

    def build(limit: int = LIMIT, max_pause: float = 600.0) -> Budget:
        store: BudgetStore
        if server is None:
            store = FileStore(state_file_path(Origin.of(URL, KEY), tmp_path))
        else:
            store = RedisStore(server.url, Origin.of(URL, KEY).domain, ttl_ms=2 * INTERVAL)
        opened.append(Budget(store, limit, WINDOW, max_pause))
        return opened[-1]

    yield build
    for budget in opened:
        budget.close()
    if server is not None:
        server.stop()


def read(budget: Budget) -> tuple[Ledger, int]:
    return budget._store.update(lambda ledger, now: (ledger, now))


def count_since(budget: Budget, since: int) -> int:
    ledger, _ = read(budget)
    return sum(at >= since for at in ledger.log.values())


# -- the table -------------------------------------------------------------------------------


def burst_then_refuse(open_budget: Open) -> None:
    budget = open_budget()
    for _ in range(LIMIT):
        budget.take_turn(GONE)

    def over(ledger: Ledger, now: int) -> int:
        from ossit_client._budget import admit

        return admit(ledger, now, LIMIT, INTERVAL, "one more")

    assert budget._store.update(over) > INTERVAL - 1000  # frees only after a whole window


def two_processes_share_pause_and_gone(open_budget: Open) -> None:
    first, second = open_budget(), open_budget()
    _, now = read(first)
    first.pause(5.0)
    second.pause(1.0)  # a shorter pause never shortens the longer one
    assert read(second)[0].pause_until >= now + 5000
    first.mark_gone(GONE)
    assert GONE in read(second)[0].gone


def server_counting_more_tightens(open_budget: Open) -> None:
    budget = open_budget(limit=10)
    token, _ = budget.take_turn("GET /a")
    budget.settle(token, None)
    token, _ = budget.take_turn("GET /a")
    # the server saw 6 (another machine used the key): 4 left, the next frees in 20 s
    budget.settle(token, {"X-RateLimit-Remaining": "4", "X-RateLimit-Reset": "20"})
    _, now = read(budget)
    assert count_since(budget, now - INTERVAL) == 6
    # the placeholders age out when the server frees a request, not a whole window later
    assert count_since(budget, now + 21_000 - INTERVAL) == 2
    for headers in ({"X-RateLimit-Remaining": "9", "X-RateLimit-Reset": "0"}, {}):
        budget.settle("none", headers)  # agreeing or less strict headers change nothing
    assert count_since(budget, now - INTERVAL) == 6


def a_more_generous_server_adds_nothing(open_budget: Open) -> None:
    budget = open_budget(limit=1_000_000)
    token, _ = budget.take_turn("GET /a")
    limit = {"X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "999", "X-RateLimit-Reset": "9"}
    budget.settle(token, limit)
    assert count_since(budget, read(budget)[1] - INTERVAL) == 1


def nothing_remaining_pauses_until_reset(open_budget: Open) -> None:
    budget = open_budget(limit=1_000_000)
    headers = {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "7"}
    budget.settle("none", headers)
    ledger, now = read(budget)
    assert 6_000 < ledger.pause_until - now <= 7_000


def a_pause_beyond_max_pause_is_not_shared(open_budget: Open) -> None:
    hurried, other = open_budget(max_pause=5.0), open_budget()
    hurried.pause(40.0)
    assert read(other)[0].pause_until == 0  # the next run must not inherit it
    with pytest.raises(PauseRefused):
        hurried.take_turn("GET /a")  # but this process fails at once


def a_settled_turn_counts_from_its_answer(open_budget: Open) -> None:
    budget = open_budget()
    token, _ = budget.take_turn("GET /a")
    _, sent = read(budget)
    budget._store.update(lambda ledger, now: ledger.log.update({token: sent + 5000}))
    assert count_since(budget, sent + 4000) == 1  # as if the answer had taken 5 s
    budget.settle(token, None)  # settled now: back within a few ms of "now"
    assert count_since(budget, sent + 4000) == 0
    assert count_since(budget, sent) == 1


def far_instants_are_cut_to_one_window(open_budget: Open) -> None:
    budget = open_budget()
    days = 10 * 24 * 3600 * 1000

    def older_client(ledger: Ledger, now: int) -> None:
        ledger.pause_until = now + days
        ledger.log.update({f"old-{n}": now + days for n in range(3)})

    budget._store.update(older_client)
    with pytest.raises(PauseRefused) as caught:
        open_budget(max_pause=1.0).take_turn("GET /a")
    assert caught.value.seconds <= WINDOW  # a window, not ten days
    ledger, now = read(budget)
    assert ledger.pause_until <= now + 60_000


def a_lost_ledger_is_rebuilt_from_the_server_count(open_budget: Open) -> None:
    budget = open_budget(limit=10)
    token, _ = budget.take_turn("GET /a")
    budget.settle(token, {"X-RateLimit-Remaining": "6", "X-RateLimit-Reset": "30"})
    budget._store.update(lambda ledger, now: ledger.__init__())  # flushed, deleted
    budget.take_turn("GET /a")  # noticed: 4 the server counted, and this one
    assert count_since(budget, read(budget)[1] - INTERVAL) == 5


def a_lost_ledger_without_a_count_is_spent(open_budget: Open) -> None:
    budget = open_budget(limit=3, max_pause=0.0)
    budget._store.update(lambda ledger, now: ledger.__init__())
    with pytest.raises(AssertionError, match="sleep"):
        budget.take_turn("GET /a")


RULES: dict[str, Callable[[Open], None]] = {
    rule.__name__: rule
    for rule in (
        burst_then_refuse,
        two_processes_share_pause_and_gone,
        server_counting_more_tightens,
        a_more_generous_server_adds_nothing,
        nothing_remaining_pauses_until_reset,
        a_pause_beyond_max_pause_is_not_shared,
        a_settled_turn_counts_from_its_answer,
        far_instants_are_cut_to_one_window,
        a_lost_ledger_is_rebuilt_from_the_server_count,
        a_lost_ledger_without_a_count_is_spent,
    )
}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_rule(rule: str, open_budget: Open, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_sleep(seconds: float) -> Any:
        raise AssertionError(f"the budget was about to sleep {seconds} s")

    monkeypatch.setattr("time.sleep", no_sleep)
    RULES[rule](open_budget)


# -- the file -----------------------------------------------------------------------------------


def test_the_file_is_named_by_the_origin_and_never_holds_the_key(tmp_path: Path) -> None:
    budget = Budget(FileStore(state_file_path(Origin.of(URL, KEY), tmp_path)), 5, WINDOW, 600)
    budget.mark_gone(GONE)
    budget.pause(1.0)
    assert state_file_path(Origin.of(URL, KEY), tmp_path) != state_file_path(
        Origin.of(URL + "0", KEY), tmp_path
    )
    assert state_file_path(Origin.of(URL, KEY), tmp_path) != state_file_path(
        Origin.of(URL, KEY + "x"), tmp_path
    )
    files = list(tmp_path.iterdir())
    assert files
    for path in files:
        assert KEY not in path.name
        assert KEY.encode() not in path.read_bytes()


def test_the_default_dir_comes_from_the_environment(state_dir: Path) -> None:
    assert state_file_path(Origin.of(URL, KEY)).parent == state_dir


def test_the_window_carries_a_safety_margin() -> None:
    assert 3000 + safety_margin_ms(3.0) == 3030
    assert 3_600_000 + safety_margin_ms(3600.0) == 3_600_000 + 36_000
