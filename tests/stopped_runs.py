"""Connector processes stopped mid-run: by a signal while they write, or by a closed stdout.

Shared by the tap, target and Airbyte signal tests. A module of its own (not conftest.py),
imported by a name no test folder uses. Whether a process is inside a write is read from
the kernel (Linux: /proc/PID/syscall), so no sleep stands in for "it is surely writing".
"""

from __future__ import annotations

import platform
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

_WRITE_SYSCALL = {"x86_64": "1", "aarch64": "64", "riscv64": "64"}
TIMEOUT = 120.0


@dataclass
class Stopped:
    """What a stopped process printed, and how it ended."""

    returncode: int
    lines: list[bytes]
    """Standard output, split at line ends (a last element without one: a cut line)."""
    stderr: str

    @property
    def complete(self) -> bool:
        """Whether standard output ends with a line end (nothing printed counts as complete)."""
        return not self.lines or self.lines[-1] == b""


def start(command: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start ``command`` with unbuffered pipes (a read returns only what was asked for)."""
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,
        env=env,
    )


def read_at_least(process: subprocess.Popen[bytes], size: int) -> bytes:
    """The first ``size`` bytes (or more) of the process's standard output."""
    assert process.stdout is not None
    head = b""
    while len(head) < size:
        chunk = process.stdout.read(size - len(head))
        assert chunk, f"the process ended ({process.wait()}) before printing {size} bytes"
        head += chunk
    return head


def wait_until_blocked_writing(process: subprocess.Popen[bytes]) -> None:
    """Return once the process's main thread is blocked writing to its full stdout pipe."""
    write = _WRITE_SYSCALL.get(platform.machine())
    assert write is not None, f"no write syscall number known for {platform.machine()}"
    syscall = Path(f"/proc/{process.pid}/syscall")
    deadline = time.monotonic() + TIMEOUT
    while True:
        assert process.poll() is None, f"the process ended ({process.returncode}) first"
        if syscall.read_text().split()[:2] == [write, "0x1"]:
            return
        assert time.monotonic() < deadline, "the process never blocked writing its output"
        time.sleep(0.01)  # a poll interval, not a wait for the condition


def stop_while_writing(
    command: list[str], signum: int, *, after: int, env: dict[str, str] | None = None
) -> Stopped:
    """Read ``after`` bytes, let the pipe fill, send ``signum`` mid-write, read the rest."""
    process = start(command, env)
    try:
        head = read_at_least(process, after)
        wait_until_blocked_writing(process)
        process.send_signal(signum)
        rest, stderr = process.communicate(timeout=TIMEOUT)
    finally:
        _end(process)
    return Stopped(process.returncode, (head + rest).split(b"\n"), stderr.decode())


def close_output(command: list[str], *, after: int, env: dict[str, str] | None = None) -> Stopped:
    """Read ``after`` bytes of standard output, then close it (the reader goes away)."""
    process = start(command, env)
    assert process.stdout is not None and process.stderr is not None
    try:
        head = read_at_least(process, after)
        process.stdout.close()
        stderr = process.stderr.read()
        process.wait(timeout=TIMEOUT)
    finally:
        _end(process)
    return Stopped(process.returncode, head.split(b"\n"), stderr.decode())


def answer_then_terminate(command: list[str], env: dict[str, str] | None = None) -> Stopped:
    """What PyAirbyte does: read the first line, close stdout, send SIGTERM at once."""
    process = start(command, env)
    assert process.stdout is not None and process.stderr is not None
    try:
        first = process.stdout.readline()
        process.stdout.close()
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        stderr = process.stderr.read()
        process.wait(timeout=TIMEOUT)
    finally:
        _end(process)
    return Stopped(process.returncode, [first], stderr.decode())


def _end(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()
