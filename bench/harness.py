"""Running the programs under test as real subprocesses and measuring them.

Wall time is the whole process, start-up included, as a user sees it. Peak RSS
is the kernel's high-water mark of the process (`VmHWM`), sampled until it
exits: `wait4`'s `ru_maxrss` would not do, since Linux carries the parent's
high-water mark across fork and exec, so every child would look as big as this one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson
import psutil

from bench import REPO_ROOT

RUN_TIMEOUT_S = 900.0


class BenchError(RuntimeError):
    """A benchmark could not be measured (a program failed or gave a wrong result)."""


def say(message: str) -> None:
    """Progress on stderr, so that a 15-minute run shows where it is."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Run:
    """One measured process: wall time and the kernel's peak RSS of it."""

    wall_s: float
    max_rss_mb: float


@dataclass
class Alternation:
    """Subjects run alternately on the same work: each one's best run, requests and peak RSS.

    Alternating, rather than running one subject's repeats and then the other's, gives both
    the same share of a shared machine's good and bad moments; the best time of each is its
    speed. Requests and peak RSS keep the worst attempt, since a goal on them is a bound.
    """

    best: dict[str, Run] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)

    def add(self, subject: str, run: Run, requests: int) -> None:
        """Count one attempt of `subject`."""
        if subject not in self.best or run.wall_s < self.best[subject].wall_s:
            self.best[subject] = run
        self.requests[subject] = max(self.requests.get(subject, 0), requests)
        self.peak_rss_mb[subject] = max(self.peak_rss_mb.get(subject, 0.0), run.max_rss_mb)

    def rates(self, work: int) -> dict[str, float]:
        """Units of `work` (records, points) per second of each subject's best run."""
        return {subject: work / run.wall_s for subject, run in self.best.items()}


def run_measured(
    argv: list[str],
    *,
    log: Path,
    stdin: Path | None = None,
    stdout: Path | None = None,
    timeout_s: float = RUN_TIMEOUT_S,
) -> Run:
    """Run `argv` to completion (stdout to a file or /dev/null, stderr to `log`)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with (
        open(stdin or os.devnull, "rb") as source,
        open(stdout or os.devnull, "wb") as sink,
        open(log, "wb") as errors,
    ):
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdin=source, stdout=sink, stderr=errors, cwd=REPO_ROOT)
        with PeakRss(process.pid) as memory:
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        wall_s = time.perf_counter() - start
    if process.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-15:]
        raise BenchError(
            f"{Path(argv[0]).name} {' '.join(argv[1:3])} exited with {process.returncode}; "
            f"last lines of {log}:\n" + "\n".join(tail)
        )
    return Run(wall_s=wall_s, max_rss_mb=memory.peak_mb)


def warm_up(argv: list[str], log: Path) -> None:
    """Run `argv --help` once, so timed runs start from cached bytecode as installed tools do."""
    run_measured([*argv, "--help"], log=log)


def console_script(name: str) -> str:
    """The installed console script `name` of this environment (tap-ossit, target-ossit)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise BenchError(f"console script {name!r} is not installed here (run `uv sync`)")
    return found


def python_module(module: str) -> list[str]:
    """The argv that runs one of this package's scripts with this interpreter."""
    return [sys.executable, "-m", module]


def write_json_file(path: Path, value: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(value))
    return path


def _high_water_mb(process: psutil.Process) -> float:
    """The process's peak RSS so far (`VmHWM` in /proc/PID/status), in MiB."""
    with open(f"/proc/{process.pid}/status", "rb") as status:
        for line in status:
            if line.startswith(b"VmHWM:"):
                return int(line.split()[1]) / 1024  # the kernel writes it in kB
    return process.memory_info().rss / 2**20


class PeakRss:
    """Samples the peak RSS of a running process (and its children) in a thread; keeps the max."""

    def __init__(self, pid: int, interval_s: float = 0.05) -> None:
        self._process = psutil.Process(pid)
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self.peak_mb = 0.0

    def _sample(self) -> None:
        try:
            tree = [self._process, *self._process.children(recursive=True)]
            total_mb = sum(_high_water_mb(process) for process in tree)
        except (psutil.Error, OSError):
            return  # the process has just exited: the previous sample is its last
        self.peak_mb = max(self.peak_mb, total_mb)

    def _poll(self) -> None:
        while not self._stop.wait(self._interval_s):
            self._sample()

    def __enter__(self) -> PeakRss:
        self._sample()
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
