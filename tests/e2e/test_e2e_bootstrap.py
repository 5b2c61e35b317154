"""scripts/lib/bootstrap.sh on the machines new users have: uv missing, the system Python
externally managed (PEP 668), sometimes without the venv module (Debian without python3-venv).

The "system" is a PATH whose `python3` is a wrapper around the real interpreter that behaves
like those machines' Pythons; `uv` is nowhere on it. The bootstrap runs for real (a real
virtualenv, a real `pip install uv` into it).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP = REPO / "scripts" / "lib" / "bootstrap.sh"
REAL_PYTHON = Path(sys.base_prefix) / "bin" / "python3"
SYSTEM_DIRS = "/usr/bin:/bin"
UV_HELP = "https://docs.astral.sh/uv/"

# pip's own refusal (PEP 668), word for word, when asked to install outside a virtualenv.
EXTERNALLY_MANAGED = """#!/bin/sh
# python3 of an externally managed system (PEP 668): pip refuses to install outside a venv.
if [ "$1" = "-m" ] && [ "$2" = "pip" ] && [ -z "$VIRTUAL_ENV" ]; then
    for arg in "$@"; do
        if [ "$arg" = "install" ]; then
            echo "error: externally-managed-environment" >&2
            echo "This environment is externally managed" >&2
            exit 1
        fi
    done
fi
exec {real} "$@"
"""

# Debian's python3 without python3-venv: `-m venv` makes a half venv (no pip), then fails.
NO_VENV_MODULE = """#!/bin/sh
# python3 of Debian without the python3-venv package.
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
    shift 2
    {real} -m venv --without-pip "$@"
    echo "The virtual environment was not created successfully because ensurepip is not"
    echo "available.  On Debian/Ubuntu systems, you need to install the python3-venv"
    echo "package using the following command."
    echo
    echo "    apt install python3.11-venv"
    exit 1
fi
exec {real} "$@"
"""


def fake_system(tmp_path: Path, wrapper: str) -> dict[str, str]:
    """The environment of a machine whose only python3 is `wrapper` and that has no uv."""
    assert REAL_PYTHON.exists(), REAL_PYTHON
    bin_dir = tmp_path / "system-bin"
    bin_dir.mkdir()
    python3 = bin_dir / "python3"
    python3.write_text(wrapper.format(real=REAL_PYTHON))
    python3.chmod(0o755)
    path = f"{bin_dir}{os.pathsep}{SYSTEM_DIRS}"
    assert shutil.which("uv", path=path) is None, "uv is on the system PATH: cannot test"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("UV_", "VIRTUAL_ENV", "TAP_", "TARGET_", "MELTANO_", "OSSIT_"))
    }
    env.update(PATH=path, OSSIT_TOOLS_DIR=str(tmp_path / "tools"), NO_COLOR="1")
    return env


def run(args: list[str], env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_externally_managed_python_gets_uv_in_a_private_venv(tmp_path: Path) -> None:
    env = fake_system(tmp_path, EXTERNALLY_MANAGED)
    # The simulation holds: installing uv with the system pip, the old way, is refused.
    refused = run(["python3", "-m", "pip", "install", "uv"], env)
    assert refused.returncode != 0 and "externally-managed-environment" in refused.stderr

    first = run(["bash", str(BOOTSTRAP)], env)

    assert first.returncode == 0, first.stderr
    venv = tmp_path / "tools" / "uv-venv"
    uv = first.stdout.strip().splitlines()[-1]
    assert uv == str(venv / "bin" / "uv")
    version = run([uv, "--version"], env)
    assert version.returncode == 0 and version.stdout.startswith("uv "), version.stderr
    assert "private virtualenv" in first.stderr
    assert (tmp_path / "tools" / ".gitignore").read_text().strip() == "*"

    # A second run finds the private uv and installs nothing.
    second = run(["bash", str(BOOTSTRAP)], env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == uv
    assert "installing" not in second.stderr


def test_uv_on_path_is_used_as_it_is(tmp_path: Path) -> None:
    env = fake_system(tmp_path, EXTERNALLY_MANAGED)
    uv_on_path = shutil.which("uv")
    assert uv_on_path is not None, "the test machine has no uv"
    env["PATH"] = f"{Path(uv_on_path).parent}{os.pathsep}{env['PATH']}"

    done = run(["bash", str(BOOTSTRAP)], env)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == uv_on_path
    assert not (tmp_path / "tools").exists()


def test_missing_venv_module_says_what_to_install(tmp_path: Path) -> None:
    env = fake_system(tmp_path, NO_VENV_MODULE)

    done = run(["bash", str(BOOTSTRAP)], env)

    assert done.returncode != 0
    assert done.stdout == ""
    verdict = [ln for ln in done.stderr.splitlines() if "python3-venv" in ln]
    assert len(verdict) == 1, done.stderr
    assert "apt-get install python3-venv" in verdict[0] and UV_HELP in verdict[0]
    assert "ensurepip" not in done.stderr  # venv's own noise goes to the log, not the user
    # The half-made virtualenv is gone, so the next run does not take it for a working one.
    assert not (tmp_path / "tools" / "uv-venv").exists()


def test_quickstart_stops_with_the_same_line_when_venv_is_missing(tmp_path: Path) -> None:
    env = fake_system(tmp_path, NO_VENV_MODULE)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env.update(OSSIT_QUICKSTART_PORT=str(port), OSSIT_QUICKSTART_DIR=str(tmp_path / "qs"))

    done = run(["bash", str(REPO / "scripts" / "quickstart")], env)

    assert done.returncode != 0
    assert "apt-get install python3-venv" in done.stderr and UV_HELP in done.stderr
    assert "quickstart failed" in done.stderr


def test_scripts_test_stops_with_the_same_line_when_venv_is_missing(tmp_path: Path) -> None:
    env = fake_system(tmp_path, NO_VENV_MODULE)

    # The bootstrap is scripts/test's first step: it stops there, before PostgreSQL or pytest.
    done = run(["bash", str(REPO / "scripts" / "test"), "--collect-only"], env, timeout=120)

    assert done.returncode != 0
    assert "apt-get install python3-venv" in done.stderr and UV_HELP in done.stderr
    assert "PostgreSQL" not in done.stderr
