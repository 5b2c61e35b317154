"""README's first command, run as a user would: it must work, and clean up when it can't."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MARKER = ".ossit-quickstart"
# The units scripts/demo_changes.py gives the demo's statistics.
DEMO_UNITS = {"views", "visitors", "signups", "emails", "jobs", "units", "minutes"}


def user_env() -> dict[str, str]:
    """A user's shell: nothing that points Meltano or the connectors elsewhere, and no uv on
    PATH (the quick start then uses its private .tools/uv-venv, which the user's shell lacks,
    so the commands it prints must work without `uv` on PATH)."""
    ours = ("TAP_", "TARGET_", "MELTANO_", "OSSIT_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours) and k != "UV"}
    path = env.get("PATH", "").split(os.pathsep)
    env["PATH"] = os.pathsep.join(p for p in path if p and not shutil.which("uv", path=p))
    return env


def quickstart(port: int, workdir: Path) -> subprocess.CompletedProcess[str]:
    env = user_env()
    env.update(OSSIT_QUICKSTART_PORT=str(port), OSSIT_QUICKSTART_DIR=str(workdir), NO_COLOR="1")
    return subprocess.run(
        ["bash", str(REPO / "scripts" / "quickstart")],
        env=env, capture_output=True, text=True, timeout=900, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def section(out: str, heading: str) -> list[str]:
    """The lines after the line starting with `heading`, up to the next blank line."""
    rest = out.split("\n" + heading, 1)[1].splitlines()[1:]
    return rest[: rest.index("")] if "" in rest else rest


def printed_command(out: str, after: str) -> str:
    """The command the quick start prints on the line after the one starting with `after`."""
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(after))
    return lines[at + 1].strip()


def run_as_user(command: str) -> subprocess.CompletedProcess[str]:
    """A printed command, pasted into a shell in the repository."""
    return subprocess.run(
        ["bash", "-c", command], cwd=REPO, env=user_env(), capture_output=True, text=True,
        timeout=300, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def nothing_listens(port: int) -> bool:
    """Connection refused: no server left on the port (TIME_WAIT leftovers don't count)."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_quickstart_runs_end_to_end(meltano_installed, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    # What a previous quick start left there is replaced.
    workdir = tmp_path / "qs"
    workdir.mkdir()
    (workdir / MARKER).write_text("made by an earlier run")
    (workdir / "stale.log").write_text("from an earlier run")

    proc = quickstart(port, workdir)

    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert not (workdir / "stale.log").exists()
    assert (workdir / MARKER).exists()
    assert f"ossit-sandbox ready on http://127.0.0.1:{port} (database " in out
    for heading in (
        "rows",
        "Latest values",
        "last",
        "Intervals by type",
        "Rows the incremental run loaded",
        "Stopped the sandbox",
    ):
        assert heading in out, heading
    # The incremental run moved only the few records the demo changed.
    loaded = out.split("Rows the incremental run loaded", 1)[1]
    points_line = next(ln for ln in loaded.splitlines() if ln.strip().startswith("points"))
    loaded_now, total = (int(v.replace(",", "")) for v in points_line.split()[1:3])
    assert 1 <= loaded_now <= 3 < total
    assert nothing_listens(port), "the sandbox was left running"

    # Every statistic in the summary shows its unit (the last column).
    latest = section(out, "Latest values")
    assert latest[0].split() == ["group", "statistic", "value", "on", "unit"]
    assert len(latest) > 1
    for row in latest[1:]:
        assert row.split()[-1] in DEMO_UNITS, row

    # The commands it prints at the end work as printed.
    explore = run_as_user(printed_command(out, "The warehouse is"))
    assert explore.returncode == 0, explore.stderr[-3000:]
    assert "page_views" in explore.stdout
    assert re.search(r"│ views +│$", explore.stdout, re.MULTILINE), explore.stdout  # its unit
    state = run_as_user(printed_command(out, "Bookmarks Meltano keeps"))
    assert state.returncode == 0, state.stderr[-3000:]
    assert '"bookmarks"' in state.stdout

    # The sandbox starts again as printed, and the printed call (its key read from the file
    # the quick start kept, never printed) reaches the demo domain.
    key_file = workdir / "domain-key"
    assert key_file.stat().st_mode & 0o077 == 0
    assert key_file.read_text().strip() not in proc.stdout + proc.stderr
    serve = printed_command(out, "The sandbox keeps its data in")
    with (workdir / "restart.log").open("wb") as log:
        restarted = subprocess.Popen(
            ["bash", "-c", f"exec {serve}"], cwd=REPO, env=user_env(), stdout=log, stderr=log,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while "ossit-sandbox ready on" not in (workdir / "restart.log").read_text():
            assert restarted.poll() is None, (workdir / "restart.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the restarted sandbox never got ready"
            time.sleep(0.2)
        call = run_as_user(printed_command(out, "and while it runs, call it"))
        assert call.returncode == 0, call.stderr[-3000:]
        groups = {group["name"] for group in json.loads(call.stdout)["data"]}
        assert "Website Traffic" in groups, call.stdout[-3000:]
    finally:
        restarted.terminate()
        restarted.wait(timeout=30)


def test_quickstart_never_deletes_a_directory_it_did_not_make(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    mine = tmp_path / "my-project"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")

    proc = quickstart(port, mine)

    assert proc.returncode != 0
    assert (mine / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    assert "refusing to delete it" in proc.stderr and "OSSIT_QUICKSTART_DIR" in proc.stderr
    assert "Logs are in" not in proc.stderr


def test_quickstart_says_when_the_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        proc = quickstart(sock.getsockname()[1], tmp_path / "qs")

    assert proc.returncode != 0
    assert "is taken" in proc.stderr
    assert "OSSIT_QUICKSTART_PORT" in proc.stderr
