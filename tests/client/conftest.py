"""Fixtures local to the client tests: a private budget directory per test."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh budget directory; the env override points there too, so nothing leaks to ~."""
    directory = tmp_path / "ossit-state"
    monkeypatch.setenv("OSSIT_CLIENT_STATE_DIR", str(directory))
    return directory
