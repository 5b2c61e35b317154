"""Crash harness: SIGKILL the tap, the target or the sandbox mid-migration, resume, compare.

A domain-to-domain migration (source domain A into an empty domain B) runs as Meltano runs
it: `tap-ossit --config tap.json [--state state.json] | target-ossit --config target.json`,
two processes joined by a pipe. At a random moment (seeded) one of them, or the sandbox
serving both, gets SIGKILL, as an OOM kill or a lost machine would. The moment is drawn
as "n states into the run, plus a fraction of the time between two states", not as seconds
from the start: the speed of a shared machine varies too much for a fixed delay to land
mid-stream. The run is then resumed
the way Meltano resumes it: the last state the target printed becomes the tap's `--state`
(no state if none was printed), and runs follow until one exits 0. B must then hold
exactly A's live content. Points are written with method `set` (a migration) or `add`
(stream maps add `method: add` to every point, as a KPI push that sums would): into an
empty B both must give A's values, so `add` shows every value applied more than once.

`tests/e2e/test_e2e_crash.py` runs a few scenarios of this harness in CI;
`python -m bench.crash --seeds 20` runs many (its own command, not one of `python -m bench`'s
performance benchmarks: its result is a count of mismatches, not a measurement).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal

from ossit_client import Origin, OssitClient
from ossit_sandbox.launcher import SandboxError, SandboxServer
from ossit_sync.loading.items import DERIVED_PREFIX

from bench.environment import UNBOUNDED_RATE, server_pid
from bench.harness import console_script, say, write_json_file

Method = Literal["set", "add"]
Victim = Literal["tap", "target", "sandbox"]
METHODS: tuple[Method, ...] = ("set", "add")
VICTIMS: tuple[Victim, ...] = ("tap", "target", "sandbox")
KINDS = ("statistic_groups", "statistics", "points", "intervals")

SOURCE_SHAPE = {"groups": 3, "statistics": 4, "days": 30, "intervals": 12}
"""Generated into A: 360 points, 12 statistics, 3 groups; extra writes follow (`fill_source`)."""
PAGE_SIZE = 20
BATCH_SIZE = 25
"""Small pages and batches: a run emits dozens of STATEs, so a kill lands between two."""
LATENCY_MS = 3.0
"""Per answer: a run lasts a few seconds, long enough to be killed at a random moment."""
ADD_MAP = {"points": {"method": "'add'"}}
"""The target's SDK stream map that makes every point an `add` (PointsSink reads `method`)."""

RETRIES = 3
"""Runs allowed after the killed ones: one resume normally completes."""
ATTEMPT_TIMEOUT_S = 120.0
"""Per run: a killed sandbox makes the clients back off for up to about a minute."""
SHOWN = 5
"""Differing keys shown per kind in a mismatch report."""
_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception)\b")
"""A traceback's last line, `module.SomeError: message`."""


class HarnessError(RuntimeError):
    """The harness could not run a scenario (not a mismatch: a mismatch is a result)."""


@dataclass(frozen=True)
class Scenario:
    """One migration: the seed (source data and kill moment), the method, what gets killed."""

    seed: int
    method: Method
    victim: Victim | None
    """None: an uninterrupted control run."""

    @property
    def name(self) -> str:
        """`seed3-add-target`: what a test id and a summary line call it."""
        return f"seed{self.seed}-{self.method}-{self.victim or 'none'}"


@dataclass(frozen=True)
class Attempt:
    """One `tap | target` run of a scenario."""

    number: int
    from_state: bool
    """Started with the state of an earlier run (False: from scratch)."""
    kill_plan: tuple[int, float] | None
    """(n, d): kill d seconds after the target's n-th state (None: no kill planned)."""
    kill_at_s: float | None
    """When the kill landed, from the start of the run (None: it did not)."""
    tap_rc: int | None
    target_rc: int | None
    states: int
    """States the target printed (each a line of its stdout)."""
    duration_s: float
    first_state_s: float | None = None
    """When the target printed its first state: records were flowing from then on."""
    last_state_s: float | None = None
    hung: bool = False
    """Still running after ATTEMPT_TIMEOUT_S; both were killed."""
    error: str | None = None
    """The last exception line of a process that failed on its own (not killed)."""

    @property
    def killed(self) -> bool:
        """The kill landed while the run was going on."""
        return self.kill_at_s is not None

    @property
    def succeeded(self) -> bool:
        """Both processes exited 0: the run Meltano would count as done."""
        return self.tap_rc == 0 and self.target_rc == 0

    def describe_kill(self, victim: Victim | None) -> str:
        """`target killed 0.08 s after state 7 (1.33 s)`, or why it was not."""
        if self.kill_plan is None:
            return ""
        after, delay = self.kill_plan
        planned = f"{delay:.2f} s after state {after}"
        if self.kill_at_s is None:
            return f"{victim} not killed ({planned}: the run had ended)"
        return f"{victim} killed {planned} ({self.kill_at_s:.2f} s)"

    def describe(self, victim: Victim | None = None) -> str:
        """`run 1 (from scratch): target killed ..., rc tap=1 target=-9, 7 states, 1.4 s`."""
        start = "from state" if self.from_state else "from scratch"
        kill = self.describe_kill(victim)
        kill = f"{kill}, " if kill else ""
        hung = "HUNG, " if self.hung else ""
        error = f"\n      {self.error}" if self.error else ""
        return (
            f"run {self.number} ({start}): {kill}{hung}rc tap={self.tap_rc} "
            f"target={self.target_rc}, {self.states} states, {self.duration_s:.1f} s{error}"
        )


@dataclass
class Outcome:
    """What a scenario did and whether B ended equal to A."""

    scenario: Scenario
    attempts: list[Attempt]
    mismatch: list[str]
    """Readable differences between A and B; empty when B is exactly A."""
    applied: Counter[int] = field(default_factory=Counter)
    """Points whose value in B is n times A's, by n (n >= 2: applied n times)."""
    logs: Path | None = None

    @property
    def ok(self) -> bool:
        """Whether B holds exactly A's live content."""
        return not self.mismatch

    @property
    def kills(self) -> int:
        return sum(attempt.killed for attempt in self.attempts)

    @property
    def resumes(self) -> int:
        return len(self.attempts) - 1

    def summary(self) -> str:
        """One line: the scenario, its kills and runs, and the verdict."""
        verdict = "ok" if self.ok else "MISMATCH"
        if self.applied:
            times = ", ".join(f"{n} applied {k}x" for k, n in sorted(self.applied.items()))
            verdict += f" ({times})"
        victim = self.scenario.victim
        kill = "; ".join(k for a in self.attempts if (k := a.describe_kill(victim)))
        return (
            f"{self.scenario.name:<22} {verdict:<8} {len(self.attempts)} runs, "
            f"{self.kills} kills{': ' + kill if kill else ''}"
        )

    def report(self) -> str:
        """Every run, then the differences: what a failed test or a bench line shows."""
        runs = [f"  {a.describe(self.scenario.victim)}" for a in self.attempts]
        lines = [self.summary(), *runs, *self.mismatch]
        if self.logs is not None:
            lines.append(f"  logs: {self.logs}")
        return "\n".join(lines)


# -- the domains ---------------------------------------------------------------------------


def _client(server: SandboxServer, key: str) -> OssitClient:
    """A client of the harness's own (never the connectors' budget: an unbounded one)."""
    return OssitClient(key, base_url=server.base_url, max_requests_per_hour=UNBOUNDED_RATE)


def fill_source(server: SandboxServer, key: str, seed: int) -> None:
    """Generated data, then writes the generator does not make: changes and every kind of delete.

    Point values changed after their creation, single days deleted, a statistic purged, a
    group deleted with its statistic, points and interval, and intervals without an
    external id (B keys them by A's id). The source stays as it is during the scenarios.
    """
    server.generate(key, seed=seed, **SOURCE_SHAPE)
    rng = random.Random(seed)
    with _client(server, key) as client:
        points = sorted(
            client.points.list(), key=lambda p: (p["group"], p["statistic"], p["reference_date"])
        )
        chosen = rng.sample(points, 12)
        for point in chosen[:6]:
            value = round(point["value"] + rng.uniform(1, 50), 2)
            client.statistics.set_value(
                point["group"], point["statistic"], value, reference_date=point["reference_date"]
            )
        for point in chosen[6:]:
            client.statistics.delete_point(
                point["group"], point["statistic"], point["reference_date"]
            )
        purged = rng.choice(sorted({(p["group"], p["statistic"]) for p in points}))
        client.statistics.purge(*purged)
        retired = [
            {
                "group": "retired",
                "statistic": "old",
                "reference_date": f"2025-06-0{day}",
                "value": day * 1.5,
            }
            for day in range(1, 6)
        ]
        client.points.batch(retired, create_missing=True)
        client.intervals.create(
            group="retired",
            type="run",
            name="last run",
            start="2025-06-01T00:00:00Z",
            end="2025-06-01T08:00:00Z",
            metadata={"reason": "retired"},
        )
        client.statistic_groups.delete("retired")
        client.intervals.create(
            group="group-001",
            type="batch",
            name="manual",
            start="2025-11-02T06:00:00Z",
            end="2025-11-02T09:30:00Z",
            metadata={"lot": seed, "by": "hand"},
        )
        client.intervals.create(
            group="group-002",
            type="state",
            name="still open",
            start="2025-12-30T22:00:00Z",
            metadata={},
        )


Content = dict[str, dict[Hashable, Any]]
"""Per kind, live records by what identifies them across domains, with what must match."""


def _identity(kind: str, record: dict[str, Any], origin: Origin) -> Hashable:
    """The key of a record (listed from ``origin``) in any domain: names and dates (ids
    differ between domains); an interval without an external id, the one a copy gives it
    (``ossit:<origin domain>:<id>``, see ``ossit_sync.loading.items.interval_identity``).
    """
    if kind == "statistic_groups":
        return record["name"]
    if kind == "statistics":
        return (record["group"], record["name"])
    if kind == "points":
        return (record["group"], record["statistic"], record["reference_date"])
    return record["external_id"] or f"{DERIVED_PREFIX}{origin.domain}:{record['id']}"


_COMPARED = {
    "statistic_groups": ("description",),
    "statistics": ("unit", "description", "value", "reference_date"),
    "intervals": ("group", "statistic", "type", "name", "start", "end", "metadata"),
}


def _compared(kind: str, record: dict[str, Any]) -> Any:
    """What must be equal: a point's value, the other kinds' own fields."""
    if kind == "points":
        return record["value"]
    return {name: record.get(name) for name in _COMPARED[kind]}


def read_content(server: SandboxServer, key: str) -> Content:
    """The domain's live records (tombstones left out), listed through ossit_client."""
    with _client(server, key) as client:
        return {
            kind: {
                _identity(kind, r, client.origin): _compared(kind, r)
                for r in getattr(client, kind).list()
            }
            for kind in KINDS
        }


def read_tombstones(server: SandboxServer, key: str) -> dict[str, set[Hashable]]:
    """Per kind, the keys that have only tombstones: records of B under them were resurrected."""
    with _client(server, key) as client:
        found: dict[str, set[Hashable]] = {}
        for kind in KINDS:
            listed = list(getattr(client, kind).list(include_deleted=True))
            live = {_identity(kind, r, client.origin) for r in listed if r["deleted_at"] is None}
            dead = {_identity(kind, r, client.origin) for r in listed if r["deleted_at"]}
            found[kind] = dead - live
        return found


def times_applied(expected: float, found: float) -> int | None:
    """n when `found` is `expected` added n times (n >= 2), else None."""
    if not expected or not found:
        return None
    ratio = found / expected
    n = round(ratio)
    return n if n >= 2 and math.isclose(ratio, n, rel_tol=1e-9) else None


def compare(
    expected: Content, actual: Content, tombstones: dict[str, set[Hashable]]
) -> tuple[list[str], Counter[int]]:
    """Readable differences (counts, then the first few keys of each kind), and multiplicities.

    A point whose value is a whole multiple of the expected one was applied that many times;
    an extra record under a key A only has a tombstone of was brought back after its delete.
    """
    lines: list[str] = []
    applied: Counter[int] = Counter()
    for kind in KINDS:
        want, got = expected[kind], actual[kind]
        missing = sorted(want.keys() - got.keys(), key=repr)
        extra = sorted(got.keys() - want.keys(), key=repr)
        differ = sorted((k for k in want.keys() & got.keys() if want[k] != got[k]), key=repr)
        if not (missing or extra or differ):
            continue
        times = {k: times_applied(want[k], got[k]) for k in differ} if kind == "points" else {}
        multiples = Counter(n for n in times.values() if n is not None)
        applied.update(multiples)
        resurrected = [k for k in extra if k in tombstones[kind]]
        head = (
            f"{kind}: A has {len(want)}, B has {len(got)}: {len(missing)} missing, "
            f"{len(extra)} extra ({len(resurrected)} deleted in A), {len(differ)} differ"
        )
        if multiples:
            head += (
                " (" + ", ".join(f"{c} applied {n}x" for n, c in sorted(multiples.items())) + ")"
            )
        lines.append(head)
        lines += [f"  missing {k!r}: {want[k]!r}" for k in missing[:SHOWN]]
        lines += [
            f"  extra {k!r}{' (deleted in A)' if k in tombstones[kind] else ''}: {got[k]!r}"
            for k in extra[:SHOWN]
        ]
        for k in differ[:SHOWN]:
            note = f" (applied {times[k]}x)" if times.get(k) else ""
            lines.append(f"  {k!r}: A {want[k]!r}, B {got[k]!r}{note}")
    return lines, applied


# -- one run -------------------------------------------------------------------------------


class Pipeline:
    """`tap | target` as two processes joined by a pipe; the target's states are collected."""

    def __init__(self, tap: list[str], target: list[str], logs: Path, env: dict[str, str]) -> None:
        self.logs = (logs.with_suffix(".tap.log"), logs.with_suffix(".target.log"))
        self._files: list[IO[bytes]] = [log.open("wb") for log in self.logs]
        self.started = time.monotonic()
        self.tap = subprocess.Popen(
            tap, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._files[0], env=env
        )
        assert self.tap.stdout is not None
        try:
            self.target = subprocess.Popen(
                target,
                stdin=self.tap.stdout,
                stdout=subprocess.PIPE,
                stderr=self._files[1],
                env=env,
            )
        except BaseException:
            self.tap.kill()
            self.tap.wait()
            for file in self._files:
                file.close()
            raise
        # Only the target holds the read end now: it sees EOF when the tap dies.
        self.tap.stdout.close()
        self.states: list[dict[str, Any]] = []
        self.state_times: list[float] = []
        self._printed = threading.Condition()
        self._output_ended = False
        self._reader = threading.Thread(target=self._read_states, daemon=True)
        self._reader.start()

    def _read_states(self) -> None:
        """Keep every state the target prints: a Singer target prints each as a bare JSON
        object, one a line, as Meltano reads them (a line cut by a kill is none)."""
        assert self.target.stdout is not None
        for line in self.target.stdout:
            with contextlib.suppress(ValueError):
                state = json.loads(line)
                if isinstance(state, dict):
                    with self._printed:
                        self.states.append(state)
                        self.state_times.append(self.elapsed())
                        self._printed.notify_all()
        with self._printed:
            self._output_ended = True
            self._printed.notify_all()

    def wait_states(self, count: int, until_s: float) -> bool:
        """Wait for the target's `count`-th state; False if its output ends or time is up."""
        with self._printed:
            return (
                self._printed.wait_for(
                    lambda: len(self.states) >= count or self._output_ended,
                    timeout=max(0.0, until_s - self.elapsed()),
                )
                and len(self.states) >= count
            )

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def wait(self, until_s: float) -> bool:
        """Wait until both have exited or `until_s` after the start; whether both exited."""
        for process in (self.tap, self.target):
            try:
                process.wait(timeout=max(0.0, until_s - self.elapsed()))
            except subprocess.TimeoutExpired:
                return False
        return True

    def error(self) -> str | None:
        """The last exception line of a process that failed on its own.

        The target's first; the tap's only when the target ended well, since a tap whose
        target died only follows it, with a broken pipe.
        """
        failed = (None, 0, -signal.SIGKILL)
        if self.target.returncode not in failed:
            return _last_exception(self.logs[1], self.target.returncode)
        if self.tap.returncode not in failed and self.target.returncode == 0:
            return _last_exception(self.logs[0], self.tap.returncode)
        return None

    def close(self) -> None:
        """Kill whatever still runs, and read the target's last lines."""
        for process in (self.tap, self.target):
            if process.poll() is None:
                process.kill()
            process.wait()
        self._reader.join(timeout=30)
        if self.target.stdout is not None:
            self.target.stdout.close()
        for file in self._files:
            file.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _last_exception(log: Path, returncode: int | None) -> str:
    found = [
        line for line in log.read_text(errors="replace").splitlines() if _EXCEPTION.match(line)
    ]
    return (found[-1] if found else f"exit {returncode}, no exception in {log.name}")[:400]


# -- the harness ---------------------------------------------------------------------------


class CrashHarness:
    """One sandbox on 127.0.0.1 and the scenarios run against it, one at a time.

    Sources are generated once per seed and shared by that seed's scenarios (they only read
    them); every scenario writes into a new empty domain. `calibrate()` must run first: its
    uninterrupted migrations check the harness itself and count the states a run prints and
    the time between two, which the kill moments are drawn from. Use as a context manager:
    the sandbox and every process started are stopped on leaving, also on failure.
    """

    def __init__(self, workdir: Path, *, kills: int = 1) -> None:
        self.workdir = workdir
        self.kills = kills
        self.states_per_run = 0
        """States an uninterrupted run prints (the fewest seen)."""
        self.state_gap_s = 0.0
        """Mean time between two states of an uninterrupted run."""
        self.controls: list[Outcome] = []
        """The uninterrupted migrations of `calibrate()`."""
        self._tap = console_script("tap-ossit")
        self._target = console_script("target-ossit")
        # Settings come from the config files only, never from the caller's environment.
        self._env = {
            k: v for k, v in os.environ.items() if not k.startswith(("TAP_OSSIT_", "TARGET_OSSIT_"))
        }
        self._sources: dict[int, tuple[str, Content, dict[str, set[Hashable]]]] = {}
        self.server = SandboxServer(
            workdir / "sandbox.sqlite", rate_limit=UNBOUNDED_RATE, latency_ms=LATENCY_MS
        )

    def __enter__(self) -> CrashHarness:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.server.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.server.stop()

    def source(self, seed: int) -> tuple[str, Content, dict[str, set[Hashable]]]:
        """Domain A of a seed: its key, its expected content and its tombstoned keys."""
        if seed not in self._sources:
            key = self.server.create_domain(f"crash-source-{seed}")
            fill_source(self.server, key, seed)
            content = read_content(self.server, key)
            self._sources[seed] = (key, content, read_tombstones(self.server, key))
        return self._sources[seed]

    def calibrate(self, seed: int) -> list[Outcome]:
        """Uninterrupted migrations, one per method: the states a run prints, to draw kills from.

        Without a kill nothing is resent, so B must equal A: if it does not, the harness (its
        data, its comparison, its pipeline) is what is wrong, and no scenario can be trusted.
        """
        outcomes = [self.run(Scenario(seed, method, None)) for method in METHODS]
        failed = [outcome for outcome in outcomes if not outcome.ok]
        if failed:
            raise HarnessError(
                "an uninterrupted migration does not match its source:\n"
                + "\n".join(outcome.report() for outcome in failed)
            )
        runs = [outcome.attempts[0] for outcome in outcomes]
        if min(run.states for run in runs) < 4:
            raise HarnessError(f"too few states for a kill to fall between two: {runs}")
        self.states_per_run = min(run.states for run in runs)
        self.state_gap_s = sum(
            (run.last_state_s or 0.0) - (run.first_state_s or 0.0) for run in runs
        ) / sum(run.states - 1 for run in runs)
        self.controls = outcomes
        return outcomes

    def _kill_plan(self, rng: random.Random, printed_before: int) -> tuple[int, float]:
        """After which state, and how long after it, to kill: somewhere mid-stream.

        A resumed run prints about as many states as the runs before it did not.
        """
        left = max(2, self.states_per_run - printed_before)
        return rng.randint(1, left - 1), rng.uniform(0.0, self.state_gap_s)

    def run(self, scenario: Scenario) -> Outcome:
        """Migrate A into a new empty B, killing and resuming as the scenario says; compare."""
        if scenario.victim is not None and not self.states_per_run:
            raise HarnessError("calibrate() first: kills are drawn from a run's states")
        source, expected, tombstones = self.source(scenario.seed)
        destination = self.server.create_domain(f"crash-{scenario.name}-{uuid.uuid4().hex[:6]}")
        folder = self.workdir / scenario.name
        folder.mkdir(parents=True, exist_ok=True)
        rng = random.Random(scenario.name)
        state: dict[str, Any] | None = None
        attempts: list[Attempt] = []
        for number in range(1, self.kills + RETRIES + 1):
            plan = None
            if scenario.victim is not None and number <= self.kills:
                plan = self._kill_plan(rng, sum(a.states for a in attempts))
            attempt, printed = self._attempt(
                scenario, folder / f"run{number}", source, destination, state, plan
            )
            attempts.append(attempt)
            # Meltano keeps the last state a target printed; a run that printed none keeps the
            # one from before (or none at all).
            state = printed or state
            if attempt.succeeded:
                break
        mismatch, applied = compare(expected, read_content(self.server, destination), tombstones)
        if not attempts[-1].succeeded:  # what B holds then is partial: still shown
            mismatch.insert(
                0, f"no run exited 0 in {len(attempts)} runs: the migration never completed"
            )
        return Outcome(scenario, attempts, mismatch, applied, folder)

    def _attempt(
        self,
        scenario: Scenario,
        files: Path,
        source: str,
        destination: str,
        state: dict[str, Any] | None,
        plan: tuple[int, float] | None,
    ) -> tuple[Attempt, dict[str, Any] | None]:
        """One run; returns it and the last state its target printed."""
        common = {"base_url": self.server.base_url, "max_requests_per_hour": UNBOUNDED_RATE}
        tap_config = {"domain_key": source, "page_size": PAGE_SIZE} | common
        tap = [
            self._tap,
            "--config",
            str(write_json_file(files.with_suffix(".tap.json"), tap_config)),
        ]
        if state is not None:
            tap += ["--state", str(write_json_file(files.with_suffix(".state.json"), state))]
        target_config = {"domain_key": destination, "batch_size": BATCH_SIZE} | common
        if scenario.method == "add":
            target_config["stream_maps"] = ADD_MAP
            # One load through every attempt: its resumes send the keys it sent before.
            target_config["load_id"] = f"crash-{scenario.name}"
        target_file = write_json_file(files.with_suffix(".target.json"), target_config)
        target = [self._target, "--config", str(target_file)]
        hung = False
        kill_at: float | None = None
        with Pipeline(tap, target, files, self._env) as pipeline:
            if plan is not None and pipeline.wait_states(plan[0], ATTEMPT_TIMEOUT_S):
                after = pipeline.state_times[plan[0] - 1] + plan[1]
                if not pipeline.wait(after) and self._kill(scenario.victim, pipeline):
                    kill_at = pipeline.elapsed()
            if not pipeline.wait(ATTEMPT_TIMEOUT_S):
                hung = True
                pipeline.close()
            duration = pipeline.elapsed()
        attempt = Attempt(
            number=int(files.name.removeprefix("run")),
            from_state=state is not None,
            kill_plan=plan,
            kill_at_s=kill_at,
            tap_rc=pipeline.tap.returncode,
            target_rc=pipeline.target.returncode,
            states=len(pipeline.states),
            duration_s=duration,
            first_state_s=pipeline.state_times[0] if pipeline.state_times else None,
            last_state_s=pipeline.state_times[-1] if pipeline.state_times else None,
            hung=hung,
            error=pipeline.error(),
        )
        return attempt, (pipeline.states[-1] if pipeline.states else None)

    def _kill(self, victim: Victim | None, pipeline: Pipeline) -> bool:
        """SIGKILL the victim (a killed sandbox restarts on its database and port at once)."""
        if victim == "sandbox":
            os.kill(server_pid(self.server), signal.SIGKILL)
            self.server.stop()  # reaps the killed process
            self.server.start()
            return True
        process = pipeline.tap if victim == "tap" else pipeline.target
        if process.poll() is not None:
            return False
        process.send_signal(signal.SIGKILL)
        return True


# -- python -m bench.crash -----------------------------------------------------------------


def scenarios(
    seeds: Iterable[int], methods: Iterable[Method], victims: Iterable[Victim]
) -> list[Scenario]:
    """Every combination, seed by seed."""
    methods, victims = list(methods), list(victims)
    return [Scenario(s, m, v) for s in seeds for m in methods for v in victims]


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.crash", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--seeds", type=_positive, default=10, help="how many seeds (default 10)")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--victims", nargs="+", choices=VICTIMS, default=list(VICTIMS))
    parser.add_argument("--kills", type=_positive, default=1, help="runs killed per scenario")
    parser.add_argument("--keep", action="store_true", help="keep the work folder and its logs")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run every scenario, a line each, then the totals; exit 1 on any mismatch or error."""
    arguments = _arguments(argv)
    workdir = Path(tempfile.mkdtemp(prefix="ossit-crash-"))
    # The connectors keep their request budget here, not in the user's cache.
    os.environ["OSSIT_CLIENT_STATE_DIR"] = str(workdir / "client-state")
    seeds = range(arguments.first_seed, arguments.first_seed + arguments.seeds)
    todo = scenarios(seeds, tuple(arguments.methods), tuple(arguments.victims))
    outcomes: list[Outcome] = []
    errors: list[str] = []
    start = time.perf_counter()
    try:
        with CrashHarness(workdir, kills=arguments.kills) as harness:
            for control in harness.calibrate(seeds[0]):
                print(control.report(), flush=True)
            say(
                f"a run prints {harness.states_per_run} states, one every "
                f"{harness.state_gap_s:.3f} s; {len(todo)} scenarios"
            )
            for scenario in todo:
                outcome = harness.run(scenario)
                outcomes.append(outcome)
                print(outcome.report() if not outcome.ok else outcome.summary(), flush=True)
    except (HarnessError, SandboxError) as error:
        # The harness cannot go on (the controls differ, the sandbox would not restart):
        # what ran so far is still summed up.
        errors.append(f"{type(error).__name__}: {error}")
        print(f"ERROR, stopped: {errors[-1]}", flush=True)
    runs = sum(len(o.attempts) for o in outcomes)
    mismatches = [o for o in outcomes if not o.ok]
    print(
        f"\n{len(outcomes)} scenarios, {runs} runs, {sum(o.kills for o in outcomes)} kills, "
        f"{sum(o.resumes for o in outcomes)} resumes, {len(mismatches)} mismatches, "
        f"{len(errors)} errors in {time.perf_counter() - start:.0f} s"
    )
    for method in arguments.methods:
        for victim in arguments.victims:
            some = [
                o for o in outcomes if (o.scenario.method, o.scenario.victim) == (method, victim)
            ]
            bad, kills = sum(not o.ok for o in some), sum(o.kills for o in some)
            print(f"  {method:<4} kill {victim:<8} {bad}/{len(some)} mismatched, {kills} kills")
    if mismatches or errors or arguments.keep:
        say(f"work folder and logs kept in {workdir}")
    else:
        shutil.rmtree(workdir)
    return 1 if mismatches or errors else 0


if __name__ == "__main__":
    sys.exit(main())
