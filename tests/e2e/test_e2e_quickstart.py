"""README's first command, run as a user would: it must work, and clean up when it can't."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def quickstart(port: int, workdir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "TARGET_", "MELTANO_"))}
    env.update(OSSIT_QUICKSTART_PORT=str(port), OSSIT_QUICKSTART_DIR=str(workdir), NO_COLOR="1")
    return subprocess.run(
        ["bash", str(REPO / "scripts" / "quickstart")],
        env=env, capture_output=True, text=True, timeout=900, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def nothing_listens(port: int) -> bool:
    """Connection refused: no server left on the port (TIME_WAIT leftovers don't count)."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_quickstart_runs_end_to_end(meltano_installed, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    proc = quickstart(port, tmp_path / "qs")

    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
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


def test_quickstart_says_when_the_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        proc = quickstart(sock.getsockname()[1], tmp_path / "qs")

    assert proc.returncode != 0
    assert "is taken" in proc.stderr
    assert "OSSIT_QUICKSTART_PORT" in proc.stderr
