"""scripts/test's exit trap (scripts/lib/cleanup.sh), run for real with fake servers.

The trap once died half-way: the suite passed, `rm -rf` of Redis's folder failed because
Redis, just sent SIGTERM, was still writing its log, `set -e` ended the trap, PostgreSQL was
left running and the run exited 1. Here a script in scripts/test's shell mode (`set -euo
pipefail`) starts two daemons like Redis (not its children, writing files into their folders):
one that writes on for a moment after SIGTERM, one that ignores SIGTERM. It registers a stop
for each with a failing step between them, then ends the way scripts/test can. Every way,
both daemons are gone, both folders removed, and the script's status is kept.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

DAEMON = textwrap.dedent("""
    import os, signal, sys, time
    folder, mode = sys.argv[1], sys.argv[2]
    stopping = []
    # "slow" writes on for 0.5 s after SIGTERM, as a server flushing its log; "stubborn"
    # ignores SIGTERM altogether.
    signal.signal(signal.SIGTERM, lambda *_: mode == "slow" and stopping.append(time.monotonic()))
    with open(os.path.join(folder, "server.pid.tmp"), "w") as pid:
        pid.write(str(os.getpid()))
    os.rename(os.path.join(folder, "server.pid.tmp"), os.path.join(folder, "server.pid"))
    written = 0
    while not stopping or time.monotonic() - stopping[0] < 0.5:
        with open(os.path.join(folder, f"log.{written % 100}"), "a") as log:
            log.write("still writing\\n")
        written += 1
        time.sleep(0.001)
""")

SCRIPT = textwrap.dedent("""
    set -euo pipefail
    source "$REPO/scripts/lib/cleanup.sh"
    trap ossit_cleanup EXIT

    start() {  # folder, mode: a daemon (setsid -f: not this shell's child), as Redis's
        mkdir -p "$1"
        setsid -f python3 "$DAEMON" "$1" "$2" </dev/null >/dev/null 2>&1
        for _ in $(seq 1 100); do [[ -s "$1/server.pid" ]] && return 0; sleep 0.05; done
        return 1
    }
    stop_slow() { ossit_stop_pidfile "$WORK/slow/server.pid"; ossit_remove_dir "$WORK/slow"; }
    broken() { echo "a cleanup step failing" >&2; false; }
    stop_stubborn() {
        ossit_stop_pidfile "$WORK/stubborn/server.pid" 1
        ossit_remove_dir "$WORK/stubborn"
    }
    ossit_at_exit stop_slow
    ossit_at_exit broken
    ossit_at_exit stop_stubborn
    start "$WORK/slow" slow
    start "$WORK/stubborn" stubborn
    echo "$(<"$WORK/slow/server.pid") $(<"$WORK/stubborn/server.pid")"
    sleep 0.2
""")

# How scripts/test ends: tests passed, tests failed (`exit "$status"`), or a command failing
# under `set -e` before the suite; and the status each must leave.
ENDINGS = {"passed": ("exit 0", 0), "failed": ("exit 3", 3), "set -e": ("false", 1)}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return stat[0] != "Z"  # exited and not yet reaped by its (new) parent is gone too


@pytest.mark.parametrize("ending", ENDINGS)
def test_the_trap_stops_every_server_and_keeps_the_status(ending: str, tmp_path: Path) -> None:
    daemon = tmp_path / "daemon.py"
    daemon.write_text(DAEMON)
    script = tmp_path / "script.sh"
    script.write_text(SCRIPT + ENDINGS[ending][0] + "\n")
    env = {**os.environ, "REPO": str(REPO), "DAEMON": str(daemon), "WORK": str(tmp_path / "w")}
    proc = subprocess.run(
        ["bash", str(script)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    pids = [int(pid) for pid in proc.stdout.split()]
    try:
        assert len(pids) == 2, proc.stdout + proc.stderr
        assert proc.returncode == ENDINGS[ending][1], proc.stderr
        assert not [pid for pid in pids if _alive(pid)], proc.stderr
        assert not (tmp_path / "w" / "slow").exists(), proc.stderr
        assert not (tmp_path / "w" / "stubborn").exists(), proc.stderr
        assert "cleanup: broken failed (status 1); carrying on" in proc.stderr
        assert "ignored SIGTERM for 1 s: SIGKILL" in proc.stderr
    finally:
        for pid in pids:
            if _alive(pid):
                os.kill(pid, 9)


def test_scripts_test_registers_both_servers_with_the_trap() -> None:
    text = (REPO / "scripts" / "test").read_text()
    assert "trap ossit_cleanup EXIT" in text
    assert "trap '" not in text  # no other trap to replace it
    for server in ("stop_pg", "stop_redis"):
        assert f"ossit_at_exit {server}\n" in text, server
