"""The shared budget file without a server: naming, sharing between handles, tightening."""

from __future__ import annotations

from pathlib import Path

from ossit_client._origin import Origin
from ossit_client._state_file import StateFile, state_file_path
from ossit_client._throttle import Throttle, safety_margin_ms
from pyrate_limiter import RateItem

KEY = "dk_live_0123456789abcdef"
URL = "http://127.0.0.1:9"


def open_state(state_dir: Path, limit: int = 5, window: float = 60.0) -> StateFile:
    return StateFile(state_file_path(Origin.of(URL, KEY), state_dir), Throttle.rate(limit, window))


def test_file_is_named_by_a_hash_and_never_holds_the_key(state_dir: Path) -> None:
    state = open_state(state_dir)
    state.mark_gone("GET /v1/api/points")
    state.extend_pause(state.now_ms() + 1000)
    state.close()
    assert state_file_path(Origin.of(URL, KEY), state_dir) != state_file_path(
        Origin.of(URL + "0", KEY), state_dir
    )
    assert state_file_path(Origin.of(URL, KEY), state_dir) != state_file_path(
        Origin.of(URL, KEY + "x"), state_dir
    )
    files = list(state_dir.iterdir())
    assert files
    for path in files:
        assert KEY not in path.name
        assert KEY.encode() not in path.read_bytes()


def test_default_dir_comes_from_the_environment(state_dir: Path) -> None:
    assert state_file_path(Origin.of(URL, KEY)).parent == state_dir


def test_pause_and_gone_are_shared_between_handles(state_dir: Path) -> None:
    first, second = open_state(state_dir), open_state(state_dir)
    try:
        now = first.now_ms()
        first.extend_pause(now + 5000)
        second.extend_pause(now + 1000)  # a shorter pause never shortens the longer one
        assert second.pause_until_ms() == now + 5000
        assert not second.is_gone("GET /v1/api/points")
        first.mark_gone("GET /v1/api/points")
        assert second.is_gone("GET /v1/api/points")
        assert not second.is_gone("POST /v1/api/points/batch")
    finally:
        first.close()
        second.close()


def test_budget_admits_a_burst_of_limit_then_refuses(state_dir: Path) -> None:
    state = open_state(state_dir, limit=5, window=60.0)
    throttle = Throttle(state, 5)
    try:
        for _ in range(5):
            throttle.wait_turn()
        assert state.count_since(state.now_ms() - 60_000) == 5
        decision = state.bucket.put_decision(RateItem("request", state.now_ms()))
        assert not decision.allowed
        assert decision.retry_after_ms is not None
        assert decision.retry_after_ms > 59_000  # the burst frees only after a whole window
    finally:
        state.close()


def test_window_carries_a_safety_margin() -> None:
    assert Throttle.rate(30, 3.0).interval == 3000 + safety_margin_ms(3.0) == 3030
    assert Throttle.rate(1000, 3600.0).interval == 3_600_000 + 36_000


def test_server_counting_more_tightens_the_log(state_dir: Path) -> None:
    state = open_state(state_dir, limit=10, window=60.0)
    throttle = Throttle(state, 10)
    try:
        throttle.wait_turn()
        throttle.wait_turn()
        # the server saw 6 (another machine used the key): 4 left, next frees in 20 s
        throttle.observe({"X-RateLimit-Remaining": "4", "X-RateLimit-Reset": "20"})
        now = state.now_ms()
        assert state.count_since(now - 60_100) == 6
        # the placeholders age out when the server frees a request, not a whole window later
        assert state.count_since(now + 21_000 - 60_100) == 2
        # agreeing or less strict headers change nothing
        throttle.observe({"X-RateLimit-Remaining": "4", "X-RateLimit-Reset": "20"})
        throttle.observe({"X-RateLimit-Remaining": "9", "X-RateLimit-Reset": "0"})
        throttle.observe({})
        assert state.count_since(now - 60_100) == 6
    finally:
        state.close()


def test_a_more_generous_server_adds_nothing_to_the_log(state_dir: Path) -> None:
    # a client configured for more than the server allows (or a second client of the same key
    # with another setting) must not read the server's larger headroom as requests it missed
    state = open_state(state_dir, limit=1_000_000, window=60.0)
    throttle = Throttle(state, 1_000_000)
    try:
        throttle.wait_turn()
        throttle.observe(
            {"X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "999", "X-RateLimit-Reset": "9"}
        )
        assert state.count_since(state.now_ms() - 60_100) == 1
    finally:
        state.close()


def test_nothing_remaining_pauses_until_the_server_frees_a_request(state_dir: Path) -> None:
    state = open_state(state_dir, limit=1_000_000, window=60.0)
    throttle = Throttle(state, 1_000_000)
    try:
        throttle.observe(
            {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "7"}
        )
        paused_for = state.pause_until_ms() - state.now_ms()
        assert 6_000 < paused_for <= 7_000
    finally:
        state.close()


def test_a_settled_turn_counts_from_its_answer(state_dir: Path) -> None:
    state = open_state(state_dir, limit=5, window=60.0)
    throttle = Throttle(state, 5)
    try:
        token, _ = throttle.wait_turn()
        sent = state.now_ms()
        state.restamp(token, sent + 5000)  # as if the answer had taken 5 s
        assert state.count_since(sent + 4000) == 1
        throttle.settle(token)  # settled now: back within a few ms of "now"
        assert state.count_since(sent + 4000) == 0
        assert state.count_since(sent) == 1
    finally:
        state.close()


def test_pause_is_written_to_the_shared_file(state_dir: Path) -> None:
    state = open_state(state_dir)
    other = open_state(state_dir)
    try:
        before = state.now_ms()
        Throttle(state, 5).pause(2.5)
        assert other.pause_until_ms() >= before + 2500
    finally:
        state.close()
        other.close()
