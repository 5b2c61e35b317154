"""A misbehaving HTTP server for the hostile-input tests, and how to run a connector against it.

``HostileServer`` is a raw-socket HTTP/1.1 server on 127.0.0.1 whose every answer the test
scripts (a drip, a gzip bomb, garbage, a connection cut mid-answer), for the cases no real
server produces. The ``hostile`` fixture (root ``conftest.py``) starts them.

``run_bounded`` runs a connector executable as a real process, bounded in wall time (killed
past its timeout) and in memory (an address-space limit as a safety net, and the child's
peak resident size measured by ``wait4``), so a hang or a blow-up is a failing assertion
rather than a stuck or swapping test run. ``wait_until_input_handled`` tells when a connector
fed through a pipe has handled every line written to it (so a test stops it then, not after
a guessed sleep).

A module of its own (not conftest.py) so the client, tap and target tests can all import it.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import gzip
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

import pytest
from ossit_client.settings import DEFAULT_MAX_ANSWER_BYTES

#: The key of every hostile test: its characters escape differently in a repr, JSON, a URL.
HOSTILE_KEY = "dk_test/a+b c%d\\e\"f'g~0123456789"


@dataclass(frozen=True)
class SeenRequest:
    """One request as the hostile server read it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass(frozen=True)
class Exchange:
    """One request and the means to answer it, however badly."""

    request: SeenRequest
    sock: socket.socket
    stopping: threading.Event
    number: int  # 1 for the server's first request

    def send(self, data: bytes) -> None:
        """Raw bytes to the client."""
        self.sock.sendall(data)

    def answer(
        self, status: int = 200, body: Any = b"", headers: Mapping[str, str] | None = None
    ) -> None:
        """A complete answer (``body`` other than bytes goes as JSON)."""
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        lines = [f"HTTP/1.1 {status} Whatever", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def pause(self, seconds: float) -> bool:
        """Sleep; False once the server is stopping (a dripping handler should then return)."""
        return not self.stopping.wait(seconds)


#: Answers one exchange; returns False to close the connection afterwards.
Handler = Callable[[Exchange], bool | None]


class HostileServer:
    """A raw-socket HTTP/1.1 server on 127.0.0.1 whose every answer the test scripts.

    The handler writes whatever it likes (a drip, a gzip bomb, garbage) to the socket, so
    cases no well-behaved framework produces are easy to make. Each connection is served by
    its own daemon thread; ``stop`` closes every socket, which also ends any drip.
    """

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[SeenRequest] = []
        self.stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self.base_url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def count(self) -> int:
        """Requests read so far."""
        with self._lock:
            return len(self.requests)

    def seen(self) -> list[SeenRequest]:
        """A copy of the requests read so far."""
        with self._lock:
            return list(self.requests)

    def stop(self) -> None:
        self.stopping.set()
        self._listener.close()
        with self._lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        reader = connection.makefile("rb")
        with contextlib.suppress(OSError, ValueError):
            while not self.stopping.is_set():
                request = self._read_request(reader)
                if request is None:
                    break
                with self._lock:
                    self.requests.append(request)
                    number = len(self.requests)
                if self.handler(Exchange(request, connection, self.stopping, number)) is False:
                    break
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)
        connection.close()

    @staticmethod
    def _read_request(reader: Any) -> SeenRequest | None:
        line = reader.readline()
        if not line:
            return None
        method, target, _ = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (header := reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = reader.read(int(headers.get("content-length", "0")))
        parts = urlsplit(target)
        return SeenRequest(method, parts.path, dict(parse_qsl(parts.query)), headers, body)


# -- the domain key must never be printed ---------------------------------------------------


def key_spellings(key: str) -> list[str]:
    """How a key may be spelled in a text that quotes it (raw, repr, JSON, URL-quoted).

    The one list of the client, tap and target tests alike.
    """
    return [
        key,
        repr(key)[1:-1],
        json.dumps(key)[1:-1],
        quote(key, safe=""),
        quote(key),  # as in a URL's path: "/" left as it is
        quote_plus(key, safe=""),
        json.dumps(repr(key))[1:-1],
        repr(json.dumps(key))[1:-1],
    ]


def assert_key_not_in(text: str, key: str = HOSTILE_KEY) -> None:
    """No spelling of ``key`` in ``text``."""
    for form in key_spellings(key):
        assert form not in text, f"the domain key leaked as {form!r}"


# -- a connector process, bounded in time and memory -----------------------------------------

MiB = 1024 * 1024

#: The address space a connector process may map: a safety net so that a run that inflates
#: without bound fails (MemoryError) instead of swapping the machine. Peaks are asserted on
#: the measured resident size (``BoundedRun.max_rss``), far below this.
ADDRESS_SPACE_LIMIT = 2048 * MiB

_LIMITED_EXEC = """
import ctypes, os, resource, signal, sys
limit, report, command = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
pid = os.fork()
if pid == 0:
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: dies with this process
    os.execv(command[0], command)
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as file:
    file.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
if code < 0:
    signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
sys.exit(code)
"""
"""Sets the limit, then runs the connector as its own child and writes the child's peak
resident size to a file, then ends as the child did.

A child's peak resident size counts what its process held before ``exec``: forked from the
test process (hundreds of MiB once dlt and Dagster are imported), it would start at the test
process's size. Forked from this small launcher, it starts at the launcher's. The limit is
set here rather than with ``preexec_fn``, which is unsafe while the test process runs
threads (the hostile server's).
"""


@dataclass(frozen=True)
class BoundedRun:
    """How one connector process ended."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    max_rss: int  # bytes: the peak resident size of the process
    timed_out: bool

    @property
    def last_line(self) -> str:
        """The last non-blank line of stderr ('' if none)."""
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else ""

    def describe(self) -> str:
        """A summary for assertion messages (never printed by a passing test)."""
        return (
            f"exit {self.returncode} after {self.seconds:.1f} s"
            f"{' (killed at the timeout)' if self.timed_out else ''}, "
            f"peak RSS {self.max_rss // MiB} MiB; stderr tail:\n{self.stderr[-3000:]}"
        )


def run_bounded(
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    stdin: Path | None = None,
    timeout: float = 60.0,
    address_space: int = ADDRESS_SPACE_LIMIT,
) -> BoundedRun:
    """Run ``command`` (an executable and its arguments) to its end, or kill it at ``timeout``."""
    with tempfile.NamedTemporaryFile(prefix="peak-rss-", delete=False) as report:
        report_path = Path(report.name)
    wrapped = [sys.executable, "-c", _LIMITED_EXEC, str(address_space), str(report_path), *command]
    with contextlib.ExitStack() as stack:
        source: IO[bytes] | int = (
            stack.enter_context(stdin.open("rb")) if stdin is not None else subprocess.DEVNULL
        )
        started = time.monotonic()
        process = subprocess.Popen(
            wrapped, stdin=source, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(env)
        )
    outputs: dict[str, bytes] = {}

    def drain(name: str, stream: IO[bytes]) -> None:
        outputs[name] = stream.read()
        stream.close()

    assert process.stdout is not None and process.stderr is not None
    readers = [
        threading.Thread(target=drain, args=("stdout", process.stdout), daemon=True),
        threading.Thread(target=drain, args=("stderr", process.stderr), daemon=True),
    ]
    for reader in readers:
        reader.start()
    killed = threading.Event()

    def kill() -> None:
        killed.set()
        with contextlib.suppress(ProcessLookupError):
            process.kill()

    watchdog = threading.Timer(timeout, kill)
    watchdog.start()
    try:
        _, status, _usage = os.wait4(process.pid, 0)
    finally:
        watchdog.cancel()
    seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    for reader in readers:
        reader.join(timeout=10)
    report_path_text = report_path.read_text() if report_path.exists() else ""
    report_path.unlink(missing_ok=True)
    return BoundedRun(
        returncode=process.returncode,
        stdout=outputs.get("stdout", b"").decode("utf-8", "replace"),
        stderr=outputs.get("stderr", b"").decode("utf-8", "replace"),
        seconds=seconds,
        max_rss=int(report_path_text or 0) * 1024,  # Linux reports KiB
        timed_out=killed.is_set(),
    )


#: The number of ``read`` in /proc/PID/syscall, by machine.
_READ_SYSCALL = {"x86_64": "0", "aarch64": "63", "riscv64": "63"}


def wait_until_input_handled(process: subprocess.Popen[Any], timeout: float = 120.0) -> None:
    """Return once ``process`` has handled every line written (and flushed) to its stdin pipe.

    That is the moment its stdin pipe is empty and its main thread is blocked reading fd 0: a
    line-by-line reader asks for more input only once it has handled every complete line it
    holds, and nothing more is coming. Both read from the kernel (Linux: FIONREAD and
    /proc/PID/syscall), so no sleep stands in for "it has surely read it by now". A bounded
    poll: fails if the process ends first or ``timeout`` passes (a stuck process).
    """
    assert process.stdin is not None
    read = _READ_SYSCALL.get(platform.machine())
    assert read is not None, f"no read syscall number known for {platform.machine()}"
    syscall = Path(f"/proc/{process.pid}/syscall")
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, f"the process ended ({process.returncode}) first"
        queued = bytearray(4)
        fcntl.ioctl(process.stdin.fileno(), termios.FIONREAD, queued)
        if int.from_bytes(queued, sys.byteorder) == 0:
            # "<number> <arg1: the fd> ...", or "running" while not in a system call
            fields = syscall.read_text().split()
            if fields[:2] == [read, "0x0"]:
                return
        assert time.monotonic() < deadline, f"stdin not all handled within {timeout:g} s"
        time.sleep(0.01)  # a poll interval, not a wait for the condition


def connector_env(state_dir: Path, *prefixes: str) -> dict[str, str]:
    """This process's environment for a connector: its own budget directory, and none of the
    developer's ``<PREFIX>_*`` settings variables (settings come from the config file only)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env["OSSIT_CLIENT_STATE_DIR"] = str(state_dir)
    return env


def run_in_parallel(
    jobs: Mapping[str, Callable[[], BoundedRun]], workers: int, first: Collection[str] = ()
) -> dict[str, BoundedRun]:
    """Run every job (one connector process each) on ``workers`` threads; results by name.

    Connector runs spend most of their time starting up or waiting on a misbehaving server,
    so running several at once keeps a module of such cases short; the jobs named in
    ``first`` (the long waits) start first. Each run keeps its own bounds: its timeout, and
    its peak resident size measured by ``wait4`` for it alone.
    """
    order = sorted(jobs, key=lambda name: name not in first)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bounded-run") as pool:
        futures = {name: pool.submit(jobs[name]) for name in order}
        return {name: future.result() for name, future in futures.items()}


def selected_cases(request: pytest.FixtureRequest, parameter: str = "case") -> list[str]:
    """The values of ``parameter`` of the tests of ``request``'s module selected in this session.

    A module-scoped fixture runs only the cases the session will check (``-k`` respected).
    """
    return sorted(
        {
            str(item.callspec.params[parameter])
            for item in request.session.items
            if isinstance(item, pytest.Function)
            and item.module is request.module
            and hasattr(item, "callspec")
            and parameter in item.callspec.params
        }
    )


@functools.cache
def gzip_bomb(size: int) -> bytes:
    """``size`` bytes of zeros as concatenated gzip members (16 MiB each, ~16 KB packed)."""
    return gzip.compress(bytes(16 * MiB), 9) * (size // (16 * MiB))


def bomb(size: int) -> Handler:
    """A handler answering 200 with a small gzip body that inflates to ``size`` bytes."""

    def handler(exchange: Exchange) -> None:
        exchange.answer(200, gzip_bomb(size), {"Content-Encoding": "gzip"})

    return handler


# -- misbehaviours the connector-level hostile tests share ------------------------------------

ERROR_BODY = {"error": {"code": "nope", "message": "not now"}}
IN_2099 = formatdate(4_070_908_800, usegmt=True)
"""A ``Retry-After`` date in 2099."""


def answer_with(status: int, body: Any, headers: dict[str, str] | None = None) -> Handler:
    """Always the same answer."""

    def handler(exchange: Exchange) -> None:
        exchange.answer(status, body, headers)

    return handler


def drip(body: bytes, every: float = 0.5) -> Handler:
    """A good answer with ``body``, one byte every ``every`` seconds: each read is well
    within any read timeout, the whole answer never is."""

    def handler(exchange: Exchange) -> bool:
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        for byte in head + body:
            exchange.send(bytes([byte]))
            if not exchange.pause(every):
                break
        return False

    return handler


def closed_mid_answer(body: bytes) -> Handler:
    """Headers promising ``body``, half of it, then the connection closes."""

    def handler(exchange: Exchange) -> bool:
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        exchange.send(head + body[: len(body) // 2])
        return False

    return handler


def repeating_cursor(first: dict[str, Any], then: dict[str, Any]) -> Handler:
    """A list whose every page names the same next cursor (``first``, then ``then``)."""

    def handler(exchange: Exchange) -> None:
        record = then if "cursor" in exchange.request.query else first
        exchange.answer(200, {"data": [record], "next_cursor": "again"})

    return handler


def not_advancing(records: list[dict[str, Any]]) -> Handler:
    """A list whose every page is the same ``records``, under a new cursor each time."""

    def handler(exchange: Exchange) -> None:
        exchange.answer(200, {"data": records, "next_cursor": f"page-{exchange.number}"})

    return handler


# -- what the connector-level hostile tests share ---------------------------------------------

#: Wall-time bound of one connector run (its kill): generous; each case ends within seconds.
BOUND_SECONDS = 60.0
GiB = 1024 * MiB
#: Peak resident size of a run whose answers are capped at 1 MiB (the interpreter, the SDK:
#: 200-330 MiB depending on the machine). The small-cap bomb inflates to 1 GiB: read without
#: the cap, it would pass this bound (or the 2 GiB address space) long before its end.
SMALL_RSS = 400 * MiB
DEFAULT_CAP = DEFAULT_MAX_ANSWER_BYTES
#: Connector runs made at once: most of a run is start-up (CPU) or waiting on the server.
PARALLEL_RUNS = 6
#: Connection settings that keep each case to a few seconds: 1 s per read, 2 s per attempt,
#: one retry, 5 s of retry waits, answers capped at 1 MiB.
FAST_SETTINGS: dict[str, Any] = {
    "timeout": 1,
    "answer_timeout": 2,
    "max_retries": 1,
    "max_retry_wait": 5,
    "max_answer_bytes": MiB,
}

#: A misbehaviour: its handler, and the words the connector's last line must say.
Misbehaviour = tuple[Handler, list[str]]


def misbehaviours(good: bytes) -> dict[str, Misbehaviour]:
    """What any call a connector makes may meet, by case; ``good``: a good answer's body."""
    waits = {
        f"retry-after-{name}-on-{status}": (
            answer_with(status, ERROR_BODY, {"Retry-After": after}),
            [str(status)],
        )
        for name, after in (("999999", "999999"), ("2099", IN_2099))
        for status in (429, 503)
    }
    return {
        "empty-body": (answer_with(200, b""), ["empty"]),
        "not-json": (answer_with(200, b"<html>oops</html>"), ["not JSON"]),
        "not-an-object": (answer_with(200, b"[1, 2, 3]"), ["not a JSON object"]),
        "no-data": (answer_with(200, {"next_cursor": None}), ["no `data`"]),
        "data-not-a-list": (
            answer_with(200, {"data": {}, "next_cursor": None}),
            ["`data` is an object"],
        ),
        "drip": (drip(good), ["answer_timeout"]),
        "gzip-bomb-small-cap": (bomb(GiB), ["max_answer_bytes"]),
        **waits,
        "500-forever": (answer_with(500, ERROR_BODY), ["500"]),
        "closed-mid-answer": (closed_mid_answer(good), ["connection"]),
    }


#: Each case's run, and the server it ran against.
Finished = dict[str, tuple[BoundedRun, HostileServer]]


def run_connector(
    executable: Path,
    server: HostileServer,
    workdir: Path,
    settings: Mapping[str, Any],
    stdin: Path | None = None,
) -> BoundedRun:
    """One real run of ``executable`` against ``server``, with its own config file and budget
    directory: the hostile key, ``FAST_SETTINGS``, then ``settings`` (None: left unset)."""
    config = {"domain_key": HOSTILE_KEY, "base_url": server.base_url, **FAST_SETTINGS, **settings}
    own_variables = executable.name.upper().replace("-", "_") + "_"  # TAP_OSSIT_...
    path = workdir / "config.json"
    path.write_text(json.dumps({k: v for k, v in config.items() if v is not None}))
    return run_bounded(
        [str(executable), "--config", str(path)],
        env=connector_env(workdir / "ossit-state", own_variables),
        stdin=stdin,
        timeout=BOUND_SECONDS,
    )


@contextlib.contextmanager
def finished_runs(
    jobs: Mapping[str, tuple[HostileServer, Callable[[], BoundedRun]]], first: Collection[str]
) -> Iterator[Finished]:
    """Every job run in parallel (``run_in_parallel``), by case with its server; every server
    stopped at the end."""
    try:
        runs = run_in_parallel(
            {case: job for case, (_, job) in jobs.items()}, PARALLEL_RUNS, first=first
        )
        yield {case: (runs[case], server) for case, (server, _) in jobs.items()}
    finally:
        for server, _ in jobs.values():
            server.stop()


def assert_bounded_and_quiet(run: BoundedRun, server: HostileServer, max_rss: int) -> None:
    """Ended within its bounds; the key was sent to the server and never printed."""
    assert not run.timed_out, run.describe()  # killed at BOUND_SECONDS otherwise
    assert run.max_rss < max_rss, run.describe()
    seen = server.seen()
    assert seen, f"the connector made no request: {run.describe()}"
    assert seen[0].headers.get("authorization") == f"Bearer {HOSTILE_KEY}"
    assert_key_not_in(run.stdout + run.stderr)


def assert_ended_in_one_line(run: BoundedRun, headline: str, *words: str) -> None:
    """Exit 1, no traceback; the last line is one readable ``headline: ...`` naming ``words``."""
    assert run.returncode == 1, run.describe()
    assert "Traceback" not in run.stderr, run.describe()
    line = run.last_line
    assert f"{headline}:" in line, run.describe()
    for word in words:
        assert word in line, line
