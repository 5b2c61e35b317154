"""Fixtures of the Airbyte connector tests: files in the test's folder, a generated domain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from airbyte_runs import Files
from ossit_sandbox.launcher import SandboxServer


@pytest.fixture
def files(tmp_path: Path) -> Files:
    """Config, catalog and state files for this test's runs."""
    return Files(tmp_path)


@pytest.fixture
def config(sandbox: SandboxServer, domain_key: str) -> dict[str, Any]:
    """Settings of the test's own (empty) domain on the session sandbox."""
    return {"domain_key": domain_key, "base_url": sandbox.base_url}
