"""Connectors installed in a venv of their own, run as a user's shell runs them.

Shared by the tests of the built distributions (test_e2e_wheels.py: plain pip on this Python;
test_e2e_pythons.py: every other supported Python): one domain migrated into another through
the venv's `tap-ossit | target-ossit`, or its `source-ossit read | destination-ossit write`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: nothing pointing at this repository or its venv."""
    repo_bin = str(Path(sys.executable).parent)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TAP_OSSIT_", "TARGET_OSSIT_", "OSSIT_", "UV_", "MELTANO_"))
        and k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "UV"}
    }
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != repo_bin]
    env["PATH"] = os.pathsep.join(path)
    env.update(extra)
    return env


def _config(workdir: Path, name: str, base_url: str, key: str) -> str:
    path = workdir / f"{name}.json"
    path.write_text(json.dumps({"domain_key": key, "base_url": base_url}))
    return str(path)


def _own_state_dir(workdir: Path, name: str) -> dict[str, str]:
    """A process's environment with a client budget file of its own."""
    state_dir = workdir / f"{name}-client-state"
    state_dir.mkdir()
    return clean_env(OSSIT_CLIENT_STATE_DIR=str(state_dir))


def singer_migration(
    bin_dir: Path, base_url: str, source: str, destination: str, workdir: Path
) -> list[dict[str, Any]]:
    """`tap-ossit | target-ossit` from ``bin_dir``, domain ``source`` into ``destination``;
    the states the target confirmed (both must exit 0)."""
    with (workdir / "tap.log").open("wb") as tap_log:
        tap = subprocess.Popen(
            [str(bin_dir / "tap-ossit"), "--config", _config(workdir, "tap", base_url, source)],
            cwd=workdir,
            env=_own_state_dir(workdir, "tap"),
            stdout=subprocess.PIPE,
            stderr=tap_log,
        )
        target = subprocess.Popen(
            [
                str(bin_dir / "target-ossit"),
                "--config",
                _config(workdir, "target", base_url, destination),
            ],
            cwd=workdir,
            env=_own_state_dir(workdir, "target"),
            stdin=tap.stdout,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert tap.stdout is not None
        tap.stdout.close()  # the target owns the pipe: the tap sees a closed reader if it dies
        try:
            out, err = target.communicate(timeout=300)
            tap_code = tap.wait(timeout=60)
        finally:
            for proc in (tap, target):
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    tap_stderr = (workdir / "tap.log").read_text(errors="replace")
    assert tap_code == 0, tap_stderr[-3000:]
    assert target.returncode == 0, err.decode(errors="replace")[-3000:]
    # A Singer target writes each state it has made safe as a bare JSON line.
    return [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]


def airbyte_migration(
    bin_dir: Path, base_url: str, source: str, destination: str, workdir: Path
) -> tuple[bytes, bytes]:
    """`source-ossit` discover and read, then `destination-ossit write`, from ``bin_dir``;
    what the read and the write printed (each must exit 0)."""
    env = clean_env(OSSIT_CLIENT_STATE_DIR=str(workdir / "airbyte-client-state"))

    def run(command: str, *args: str, stdin: bytes | None = None) -> bytes:
        proc = subprocess.run(
            [str(bin_dir / command), *args],
            input=stdin,
            cwd=workdir,
            env=env,
            capture_output=True,
            timeout=300,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        return proc.stdout

    source_config = _config(workdir, "source", base_url, source)
    (discovered,) = run("source-ossit", "discover", "--config", source_config).splitlines()
    streams = json.loads(discovered)["catalog"]["streams"]
    configured = {
        "sync_mode": "incremental",
        "destination_sync_mode": "append_dedup",
        "cursor_field": ["updated_at"],
        "primary_key": [["id"]],
    }
    catalog = workdir / "catalog.json"
    catalog.write_text(json.dumps({"streams": [{"stream": s, **configured} for s in streams]}))
    read = run("source-ossit", "read", "--config", source_config, "--catalog", str(catalog))
    destination_config = _config(workdir, "destination", base_url, destination)
    written = run(
        "destination-ossit", "write", "--config", destination_config, "--catalog", str(catalog),
        stdin=read,
    )  # fmt: skip
    return read, written


def find_python(version: str) -> Path | None:
    """An interpreter of ``version`` (e.g. "3.12") on this machine, if any: `pythonX.Y` on
    PATH, else one under pyenv's versions folder (pyenv's shims answer only for the versions
    it has selected, so the folder is read directly)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = shutil.which(f"python{version}")
    candidates = [Path(found)] if found else []
    candidates += sorted(pyenv.glob(f"{version}.*/bin/python{version}"), reverse=True)
    for candidate in candidates:
        probe = subprocess.run(
            [str(candidate), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None
