"""`ossit-sandbox serve` says on stderr when it accepts connections, and only then."""

from __future__ import annotations

import queue
import re
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

READY = re.compile(r"^ossit-sandbox ready on http://127\.0\.0\.1:(\d+) \(database (.+)\)$")


def serve(db: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ossit_sandbox", "serve", "--port", str(port), "--db", str(db)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def stderr_lines(proc: subprocess.Popen[str]) -> queue.Queue[str | None]:
    """The process's stderr, line by line (None at its end), read on a thread."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(timeout=30)
        assert proc.stderr is not None
        proc.stderr.close()


def test_ready_line_comes_once_the_socket_accepts(tmp_path: Path, processes: list) -> None:
    db = tmp_path / "sandbox.db"
    proc = serve(db, 0)  # port 0: the line names the port the server got
    processes.append(proc)
    lines = stderr_lines(proc)

    first = lines.get(timeout=120)

    assert first is not None, "serve exited without a ready line"
    match = READY.match(first)
    assert match, first
    port, database = int(match[1]), match[2]
    assert database == str(db.resolve())
    # Ready means ready: the very next request is answered, with no retry or wait.
    url = f"http://127.0.0.1:{port}/_sandbox/health"
    with urllib.request.urlopen(url, timeout=30) as answer:
        assert answer.status == 200


def test_no_ready_line_when_the_port_is_taken(tmp_path: Path, processes: list) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        proc = serve(tmp_path / "sandbox.db", taken.getsockname()[1])
        processes.append(proc)
        lines = stderr_lines(proc)
        returncode = proc.wait(timeout=120)
    output = []
    while (line := lines.get(timeout=30)) is not None:
        output.append(line)

    assert returncode != 0
    assert any("address already in use" in line for line in output), output
    assert not any(line.startswith("ossit-sandbox ready") for line in output), output
