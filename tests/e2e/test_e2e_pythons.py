"""Every Python the packages declare, tested: installed from the built wheels, run for real.

SUPPORTED is what every package's metadata declares (trove classifiers; `--about` shows them),
and each of these versions is tested: this interpreter runs the whole suite, and for each
other one a fresh venv gets every package from the built wheels with `uv pip install` (their
dependencies from uv's cache, or the registry the first time). In that venv its own sandbox
serves, its `tap-ossit | target-ossit` and its `source-ossit | destination-ossit` each copy a
domain into an empty one, and the copies equal the source, count for count.

A supported Python missing from the machine is a skip that says so; in CI (CI=true) a
failure, since CI's machine has them (pyenv's 3.12 and 3.13 beside the system's 3.11).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from installed import airbyte_migration, clean_env, find_python, singer_migration
from ossit_sandbox.launcher import SandboxServer
from packaging.specifiers import SpecifierSet

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
SUPPORTED = ("3.11", "3.12", "3.13")
THIS = f"{sys.version_info.major}.{sys.version_info.minor}"
KINDS = ("statistic_groups", "statistics", "points", "intervals")


def _members() -> list[str]:
    root = tomllib.loads((REPO / "pyproject.toml").read_text())
    return list(root["tool"]["uv"]["workspace"]["members"])


def _project(folder: str) -> dict[str, Any]:
    return tomllib.loads((REPO / folder / "pyproject.toml").read_text())["project"]


@pytest.mark.parametrize("folder", _members())
def test_every_package_declares_the_tested_pythons(folder: str) -> None:
    project = _project(folder)
    prefix = "Programming Language :: Python :: 3."
    declared = [c.removeprefix("Programming Language :: Python :: ") for c in
                project["classifiers"] if c.startswith(prefix)]  # fmt: skip
    assert declared == list(SUPPORTED), folder
    requires = SpecifierSet(project["requires-python"])
    assert [v for v in ("3.10", *SUPPORTED) if v in requires] == list(SUPPORTED)


@pytest.mark.parametrize("command", ["tap-ossit", "target-ossit"])
def test_about_names_the_supported_pythons(command: str) -> None:
    about = subprocess.run(
        [str(VENV_BIN / command), "--about", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(about.stdout)["supported_python_versions"] == list(SUPPORTED)


def _interpreter(version: str) -> Path:
    python = find_python(version)
    if python is None:
        message = f"Python {version} not found (python{version} on PATH, or pyenv's versions)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return python


def _uv(*args: str, cwd: Path) -> None:
    uv = os.environ.get("UV", "uv")  # `uv run` names its own binary in $UV
    proc = subprocess.run(
        [uv, *args, "--no-config", "--no-progress"],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]


@pytest.mark.parametrize("version", [v for v in SUPPORTED if v != THIS])
def test_on_each_supported_python_the_packages_install_and_migrate_a_domain(
    version: str, dist: Path, tmp_path: Path, domain_view: Any
) -> None:
    python = _interpreter(version)
    venv = tmp_path / "venv"
    _uv("venv", "--python", str(python), str(venv), cwd=tmp_path)
    wheels = sorted(str(wheel) for wheel in dist.glob("*.whl"))
    assert len(wheels) == len(_members()), wheels
    _uv("pip", "install", "--python", str(venv / "bin" / "python"), *wheels, cwd=tmp_path)
    bin_dir = venv / "bin"
    about = subprocess.run(
        [str(bin_dir / "tap-ossit"), "--about", "--format", "json"],
        env=clean_env(), capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert version in json.loads(about.stdout)["supported_python_versions"]

    with SandboxServer(tmp_path / "sandbox.db", python=str(bin_dir / "python")) as server:
        source = server.create_domain("source")
        server.generate(source, groups=2, statistics=3, days=10, intervals=6, seed=7)
        view = domain_view(server.base_url, source)
        counts = {kind: len(view[kind]) for kind in KINDS}
        assert all(counts.values()), counts
        for pair, migrate in (("singer", singer_migration), ("airbyte", airbyte_migration)):
            workdir = tmp_path / pair
            workdir.mkdir()
            copy = server.create_domain(f"{pair} copy")
            migrate(bin_dir, server.base_url, source, copy, workdir)
            copied = domain_view(server.base_url, copy)
            assert {kind: len(copied[kind]) for kind in KINDS} == counts, pair
            assert copied == view, pair
