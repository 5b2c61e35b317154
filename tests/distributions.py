"""Building the workspace's distributions as a release would, for the tests that install them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def build_all(out: Path, *options: str) -> Path:
    """Every package's distributions into ``out`` (``options``: e.g. ``--wheel``)."""
    uv = os.environ.get("UV", "uv")  # `uv run` names its own binary in $UV
    built = subprocess.run(
        [uv, "build", "--all-packages", *options, "--no-progress", "-o", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-4000:]
    return out
