"""The request budget in Redis (``budget_url``): one budget per key for processes on any machine.

Each test starts its own throw-away ``redis-server`` (``tests/redis_server.py``: a free
127.0.0.1 port, no persistence, a password) and stops it at the end. Processes that share only
the budget URL -- each its own ``OSSIT_CLIENT_STATE_DIR``, as on different machines -- get no
429; the same processes without it do. A Redis restart mid-run, a Redis lost for good and a
Redis down at start each end as the README says, and neither the domain key nor the Redis
password ever shows in Redis, a log or an error.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ledgers
import pytest
from ossit_client import BUDGET_URL_ENV, BudgetStoreError, GoneError, OssitClient, RateLimitError
from ossit_client import _budget_redis as redis_budget
from ossit_client._budget_file import FileStore
from ossit_client._budget_redis import RedisStore
from ossit_client._origin import Origin
from ossit_sandbox.launcher import SandboxServer
from redis_server import PASSWORD, RedisServer, free_port

WORKER = Path(__file__).with_name("budget_worker.py")  # 30 requests per 3 s, like the sandbox
LIMIT, WINDOW = 30, 3.0
PROCESSES, PER_PROCESS = 3, 30  # 90 requests: three windows' worth when shared, a burst if not

MakeClient = Callable[..., OssitClient]
GROUPS = "/v1/api/statistic-groups"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A throw-away redis-server on a free loopback port; stopped at test end."""
    with RedisServer(tmp_path / "redis") as server:
        yield server


@pytest.fixture
def budget_logs() -> Iterator[list[logging.LogRecord]]:
    """Every record of ``ossit_client`` (any thread), rendered by ``getMessage``."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    log = logging.getLogger("ossit_client")
    log.addHandler(handler)
    yield records
    log.removeHandler(handler)


def run_workers(
    server: SandboxServer, key: str, workdir: Path, budget_url: str | None
) -> list[subprocess.CompletedProcess[str]]:
    """``PROCESSES`` budget workers, each with its own state dir, started together."""
    env = {name: value for name, value in os.environ.items() if name != BUDGET_URL_ENV}
    env["OSSIT_TEST_KEY"] = key
    if budget_url is not None:
        env[BUDGET_URL_ENV] = budget_url  # the only thing the workers share
    workers = []
    for number in range(PROCESSES):
        state_dir = workdir / f"machine-{number}"
        workers.append(
            subprocess.Popen(
                [sys.executable, str(WORKER), server.base_url, str(state_dir), str(PER_PROCESS)],
                env={**env, "OSSIT_CLIENT_STATE_DIR": str(state_dir)},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready"
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outputs = [worker.communicate(timeout=180) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    return [
        subprocess.CompletedProcess(worker.args, worker.returncode, out, err)
        for worker, (out, err) in zip(workers, outputs, strict=True)
    ]


def redis_contents(server: RedisServer) -> list[bytes]:
    """Every key name and every stored value (members and scores too) of the server."""
    contents: list[bytes] = []
    probe = server.client()
    try:
        for name in probe.scan_iter():
            contents.append(name)
            kind = probe.type(name)
            if kind == b"string":
                contents.append(probe.get(name) or b"")
            elif kind == b"zset":
                contents += [member for member, _ in probe.zrange(name, 0, -1, withscores=True)]
            elif kind == b"set":
                contents += list(probe.smembers(name))
            else:
                raise AssertionError(f"unexpected Redis type {kind!r} at {name!r}")
    finally:
        probe.close()
    return contents


# -- several processes, one budget ---------------------------------------------------------


def test_processes_sharing_only_budget_url_get_no_429(
    sandbox_factory: Callable[..., SandboxServer], redis_server: RedisServer, tmp_path: Path
) -> None:
    server = sandbox_factory(rate_limit=LIMIT, rate_window=WINDOW)
    key = server.create_domain("redis budget")
    done = run_workers(server, key, tmp_path, redis_server.url)

    assert [worker.returncode for worker in done] == [0] * PROCESSES, [w.stderr for w in done]
    results = [json.loads(worker.stdout) for worker in done]
    stats = server.stats(key)
    assert stats["rate_limited"] == 0  # one budget in Redis, though no state dir is shared
    assert sum(result["rate_limited"] for result in results) == 0
    assert stats["requests"] == sum(result["requests"] for result in results) >= 90
    assert all(result["throttled_seconds"] > 0 for result in results)
    # each process kept its own (unused) state dir: the budget lived in Redis only
    assert not list(tmp_path.glob("machine-*/budget-*.json"))
    contents = redis_contents(redis_server)
    name = Origin.of(server.base_url, key).domain
    assert contents and all(key.encode() not in item for item in contents)
    assert {b"ossit-client:{%s}:log" % name.encode()} <= set(contents)
    for worker in done:
        assert PASSWORD not in worker.stderr and key not in worker.stderr


def test_the_same_processes_without_budget_url_run_into_429(
    sandbox_factory: Callable[..., SandboxServer], tmp_path: Path
) -> None:
    server = sandbox_factory(rate_limit=LIMIT, rate_window=WINDOW)
    key = server.create_domain("file budgets apart")
    done = run_workers(server, key, tmp_path, None)

    assert [worker.returncode for worker in done] == [0] * PROCESSES, [w.stderr for w in done]
    # three "machines", three budget files of 30 each: what the Redis budget prevents
    assert server.stats(key)["rate_limited"] > 0
    assert len(list(tmp_path.glob("machine-*/budget-*.json"))) == PROCESSES


# -- the same semantics as the file ----------------------------------------------------------


def test_a_429_pause_and_a_410_are_shared_through_redis(
    sandbox: SandboxServer,
    domain_key: str,
    make_client: MakeClient,
    redis_server: RedisServer,
    tmp_path: Path,
) -> None:
    # no retry: the call gives up at the 429, the pause it was asked for is shared all the same
    client = make_client(sandbox.base_url, domain_key, budget_url=redis_server.url, max_retries=0)
    # another machine: another state dir, the same Redis
    other = make_client(
        sandbox.base_url, domain_key, budget_url=redis_server.url, state_dir=tmp_path / "other"
    )
    assert isinstance(client._budget._store, RedisStore)
    assert isinstance(other._budget._store, RedisStore)
    sandbox.add_fault(domain_key, status=429, method="GET", path=GROUPS, retry_after="1")
    started_ms = ledgers.now_ms(other)
    with pytest.raises(RateLimitError):
        list(client.statistic_groups.list())
    assert ledgers.pause_until_ms(other) >= started_ms + 1000

    sandbox.add_fault(domain_key, status=410, method="GET", path="/v1/api/statistics/")
    with pytest.raises(GoneError):
        client.statistics.get("g", "s")
    seen = sandbox.stats(domain_key)["requests"]
    with pytest.raises(GoneError, match="not called again"):
        other.statistics.get("g", "s")
    assert sandbox.stats(domain_key)["requests"] == seen


def test_the_server_count_tightens_the_redis_budget(
    sandbox_factory: Callable[..., SandboxServer],
    make_client: MakeClient,
    redis_server: RedisServer,
) -> None:
    server = sandbox_factory(rate_limit=10, rate_window=60.0)
    key = server.create_domain("tightened")
    elsewhere = make_client(server.base_url, key, max_requests_per_hour=10, rate_window=60.0)
    for _ in range(6):  # a machine outside the Redis budget (its own file) spends 6
        list(elsewhere.statistic_groups.list(limit=1))
    client = make_client(
        server.base_url,
        key,
        max_requests_per_hour=10,
        rate_window=60.0,
        budget_url=redis_server.url,
    )
    list(client.statistic_groups.list(limit=1))
    # the server counted 7; Redis logged 1: six placeholders make it agree
    probe = redis_server.client()
    log = f"ossit-client:{{{Origin.of(server.base_url, key).domain}}}:log"
    assert probe.zcard(log) == 7
    probe.close()


# -- Redis down at start, restarted, lost ------------------------------------------------------


def test_redis_down_at_start_is_a_clear_error_with_the_password_masked(
    sandbox: SandboxServer,
    domain_key: str,
    make_client: MakeClient,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0"  # nothing listens there
    with pytest.raises(BudgetStoreError) as caught:
        make_client(sandbox.base_url, domain_key, budget_url=url)
    masked = url.replace(PASSWORD, "***")
    assert caught.value.url == masked
    assert f"the shared request budget at {masked} cannot be reached" in str(caught.value)
    assert "unset budget_url" in str(caught.value)
    assert PASSWORD not in str(caught.value) + repr(caught.value) + caplog.text
    assert sandbox.stats(domain_key)["requests"] == 0

    # a process (OSSIT_BUDGET_URL) stops with a non-zero status and the same masked message
    env = {**os.environ, "OSSIT_TEST_KEY": domain_key, BUDGET_URL_ENV: url}
    worker = subprocess.run(
        [sys.executable, str(WORKER), sandbox.base_url, str(tmp_path / "state"), "1"],
        env=env,
        input="go\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert worker.returncode != 0
    assert "BudgetStoreError" in worker.stderr and masked in worker.stderr
    assert PASSWORD not in worker.stderr + worker.stdout
    assert sandbox.stats(domain_key)["requests"] == 0


def test_a_redis_restart_mid_run_counts_the_window_as_spent(
    sandbox_factory: Callable[..., SandboxServer],
    make_client: MakeClient,
    redis_server: RedisServer,
    budget_logs: list[logging.LogRecord],
) -> None:
    server = sandbox_factory(rate_limit=10, rate_window=2.0)
    key = server.create_domain("restart")
    client = make_client(
        server.base_url, key, max_requests_per_hour=10, rate_window=2.0, budget_url=redis_server.url
    )
    for _ in range(10):  # the server's window is full
        list(client.statistic_groups.list(limit=1))
    redis_server.restart()  # no persistence: the log, the pause, all gone
    for _ in range(5):
        list(client.statistic_groups.list(limit=1))
    # the lost log was not taken for an empty one: the next request waited for the window
    assert server.stats(key)["rate_limited"] == 0
    assert server.stats(key)["requests"] == 15
    assert any("lost its data" in record.getMessage() for record in budget_logs)
    assert all(PASSWORD not in record.getMessage() for record in budget_logs)


@pytest.mark.parametrize("loss", ["flushed", "restarted"])
def test_a_budget_lost_mid_run_is_rebuilt_from_the_server_count_not_a_whole_window(
    loss: str,
    sandbox_factory: Callable[..., SandboxServer],
    redis_server: RedisServer,
    tmp_path: Path,
) -> None:
    # An hour's window, as on the hosted API: 3 workers x 2 rounds x 5 requests = 30 of 40.
    limit, window, per_round = 40, 3600.0, 5
    server = sandbox_factory(rate_limit=limit, rate_window=window)
    key = server.create_domain(f"redis {loss}")
    env = {name: value for name, value in os.environ.items() if name != BUDGET_URL_ENV}
    env.update({"OSSIT_TEST_KEY": key, BUDGET_URL_ENV: redis_server.url})
    argv = [str(per_round), str(limit), str(window), "2"]
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), server.base_url, str(tmp_path / f"m{n}"), *argv],
            env={**env, "OSSIT_CLIENT_STATE_DIR": str(tmp_path / f"m{n}")},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(PROCESSES)
    ]

    def go() -> None:
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()

    try:
        assert [w.stdout.readline().strip() for w in workers if w.stdout] == ["ready"] * 3
        go()
        first = [json.loads(w.stdout.readline()) for w in workers if w.stdout is not None]
        if loss == "flushed":
            probe = redis_server.client()
            probe.flushall()
            probe.close()
        else:
            redis_server.restart()  # no persistence: the log, the pause, all gone
        go()
        # a worker counting the window as spent would sleep for an hour: a timeout here
        outputs = [worker.communicate(timeout=60) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    errors = [error for _, error in outputs]
    second = [json.loads(output) for output, _ in outputs]
    assert [worker.returncode for worker in workers] == [0] * PROCESSES, errors
    stats = server.stats(key)
    assert stats["rate_limited"] == 0
    assert stats["requests"] == sum(result["requests"] for result in second) == 30
    # 25 requests were left: the lost log was rebuilt from that, no worker waited an hour
    waited = [
        after["throttled_seconds"] - before["throttled_seconds"]
        for before, after in zip(first, second, strict=True)
    ]
    assert max(waited) < 5.0, waited
    assert any("rebuilt from the API's last count" in error for error in errors)
    assert not any("waiting" in error and "3600" in error for error in errors)
    assert all(PASSWORD not in error and key not in error for error in errors)
    # the rebuilt log holds what the server had counted (at least one worker's 5) and the
    # 15 requests since, never the whole limit
    probe = redis_server.client()
    log = f"ossit-client:{{{Origin.of(server.base_url, key).domain}}}:log"
    assert 5 + 15 <= probe.zcard(log) < limit
    probe.close()


def test_redis_lost_briefly_is_retried_and_the_call_goes_on(
    sandbox: SandboxServer,
    domain_key: str,
    make_client: MakeClient,
    redis_server: RedisServer,
    budget_logs: list[logging.LogRecord],
) -> None:
    # a short window: after the restart, the lost window counts as spent (one window's wait)
    client = make_client(sandbox.base_url, domain_key, budget_url=redis_server.url, rate_window=2.0)
    list(client.statistic_groups.list())
    retrying = threading.Event()

    class Signal(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "cannot be reached" in record.getMessage():
                retrying.set()

    signal = Signal()
    logging.getLogger("ossit_client").addHandler(signal)
    redis_server.stop()
    outcome: dict[str, Any] = {}

    def call() -> None:
        try:
            outcome["groups"] = list(client.statistic_groups.list())
        except Exception as exc:
            outcome["error"] = exc

    caller = threading.Thread(target=call)
    caller.start()
    try:
        assert retrying.wait(timeout=30), "the client never noticed Redis was gone"
        assert sandbox.stats(domain_key)["requests"] == 1  # nothing sent without a turn
        redis_server.start()
    finally:
        caller.join(timeout=60)
        logging.getLogger("ossit_client").removeHandler(signal)
    assert outcome == {"groups": []}
    assert sandbox.stats(domain_key)["requests"] == 2
    assert all(PASSWORD not in record.getMessage() for record in budget_logs)


def test_redis_lost_for_good_stops_the_call_cleanly_without_sending(
    sandbox: SandboxServer,
    domain_key: str,
    make_client: MakeClient,
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(redis_budget, "RECONNECT_SECONDS", 0.3)  # the test's patience
    client = make_client(sandbox.base_url, domain_key, budget_url=redis_server.url)
    list(client.statistic_groups.list())
    redis_server.stop()
    with pytest.raises(BudgetStoreError) as caught:
        list(client.statistic_groups.list())
    masked = redis_server.url.replace(PASSWORD, "***")
    assert f"the shared request budget at {masked} was lost" in str(caught.value)
    assert "no request was sent without a turn" in str(caught.value)
    assert PASSWORD not in str(caught.value)
    assert sandbox.stats(domain_key)["requests"] == 1


# -- where the budget lives ---------------------------------------------------------------------


def test_budget_url_comes_from_the_environment_and_empty_means_the_file(
    sandbox: SandboxServer,
    domain_key: str,
    make_client: MakeClient,
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(BUDGET_URL_ENV, redis_server.url)
    assert isinstance(make_client(sandbox.base_url, domain_key)._budget._store, RedisStore)
    explicit_file = make_client(sandbox.base_url, domain_key, budget_url="")
    assert isinstance(explicit_file._budget._store, FileStore)
    monkeypatch.setenv(BUDGET_URL_ENV, "")
    assert isinstance(make_client(sandbox.base_url, domain_key)._budget._store, FileStore)


def test_from_config_takes_budget_url(
    sandbox: SandboxServer, domain_key: str, redis_server: RedisServer, state_dir: Path
) -> None:
    config = {
        "domain_key": domain_key,
        "base_url": sandbox.base_url,
        "budget_url": redis_server.url,
    }
    with OssitClient.from_config(config) as client:
        assert isinstance(client._budget._store, RedisStore)
        assert list(client.statistic_groups.list()) == []
    assert not list(state_dir.glob("budget-*.json"))
