"""Running `meltano` in the end-to-end tests: one way to fail a test on a failed command.

A module of its own (not conftest.py) so test modules can import it, by a name no other
test folder uses.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

#: Any request to Meltano Hub would go here and fail: proof that a project never needs it.
UNREACHABLE_HUB = "http://127.0.0.1:9"


def run_meltano(argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, timeout: float) -> str:
    """Run a meltano command line; its output, or the test fails with the tail of stderr."""
    proc = subprocess.run(
        list(argv), env=dict(env), cwd=cwd, capture_output=True, text=True, timeout=timeout,
        check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        pytest.fail(
            f"meltano {' '.join(argv[1:])} exited {proc.returncode}:\n{proc.stderr[-6000:]}",
            pytrace=False,
        )
    return proc.stdout + proc.stderr
