"""Fixtures of the target tests: target-ossit run through its real CLI against a real sandbox.

Inputs are Singer files written by ``SingerFile``; the destination is read back through the
API (``Domain``) and compared record by record.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ossit_schemas
import pytest
from ossit_client import OssitClient
from ossit_sandbox.launcher import SandboxServer
from target_records import _point

TARGET_EXECUTABLE = Path(sys.executable).with_name("target-ossit")
TAP_EXECUTABLE = Path(sys.executable).with_name("tap-ossit")
RESOURCES = Path(__file__).parent / "resources"
KINDS = ossit_schemas.RECORD_TYPES


class SingerFile:
    """Builds a file of Singer messages and remembers the line number of each."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[str] = []

    def add(self, message: dict[str, Any] | str) -> int:
        """Append a message (or a raw line); returns its 1-based line number."""
        self.lines.append(message if isinstance(message, str) else json.dumps(message))
        return len(self.lines)

    def schema(
        self, stream: str, schema: dict[str, Any] | None = None, keys: list[str] | None = None
    ) -> int:
        """A SCHEMA message: by default the schema tap-ossit sends for the stream's own kind."""
        schema = schema if schema is not None else ossit_schemas.stream_schema(stream)
        message = {"type": "SCHEMA", "stream": stream, "schema": schema}
        return self.add({**message, "key_properties": keys if keys is not None else ["id"]})

    def record(self, stream: str, record: dict[str, Any]) -> int:
        """A RECORD message."""
        return self.add({"type": "RECORD", "stream": stream, "record": record})

    def state(self, value: dict[str, Any]) -> int:
        """A STATE message."""
        return self.add({"type": "STATE", "value": value})

    def write(self) -> Path:
        """The file, written."""
        self.path.write_text("\n".join(self.lines) + "\n")
        return self.path


@dataclass
class TargetRun:
    """The outcome of one target run: exit code, STATE values it emitted, its log."""

    returncode: int
    states: list[dict[str, Any]]
    stderr: str


class TargetCLI:
    """Runs `target-ossit` as a subprocess with a config file, as Meltano would."""

    def __init__(self, workdir: Path, config: dict[str, Any]) -> None:
        self.workdir = workdir
        self.config = config
        self._configs = 0
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("TARGET_OSSIT_")}
        self.env["OSSIT_CLIENT_STATE_DIR"] = str(workdir / "ossit-state")

    def command(self, **overrides: Any) -> list[str]:
        """The command line of one run, with settings ``overrides`` on top of the base config."""
        self._configs += 1
        path = self.workdir / f"target-config-{self._configs}.json"
        path.write_text(json.dumps({**self.config, **overrides}))
        return [str(TARGET_EXECUTABLE), "--config", str(path)]

    def run(self, source: Path, **overrides: Any) -> TargetRun:
        """Load a Singer file to the end (or the first error)."""
        with source.open("rb") as stdin:
            proc = subprocess.run(
                self.command(**overrides),
                stdin=stdin,
                capture_output=True,
                text=True,
                timeout=300,
                env=self.env,
                check=False,
            )
        states = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
        return TargetRun(proc.returncode, states, proc.stderr)

    def start(self, **overrides: Any) -> subprocess.Popen[str]:
        """Start a run fed through a pipe, to stop it mid-stream."""
        return subprocess.Popen(
            self.command(**overrides),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=self.env,
        )


class Domain:
    """Reads a domain back through the API."""

    def __init__(self, client: OssitClient) -> None:
        self.client = client

    def records(self, kind: str) -> list[dict[str, Any]]:
        """Every live record of one kind."""
        return list(getattr(self.client, kind).list())

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Every live record of every kind, exactly as listed (stamps and ids included)."""
        return {kind: sorted(self.records(kind), key=lambda r: r["id"]) for kind in KINDS}

    def contents(self) -> dict[str, list[dict[str, Any]]]:
        """Every live record, minus what differs between domains holding the same data.

        Ids and stamps are the destination's own; an interval copied without an external_id
        carries its source's id as one, so external ids are left out too.
        """
        drop = {"id", "group_id", "statistic_id", "created_at", "updated_at", "external_id"}
        return {
            kind: sorted(
                ({k: v for k, v in record.items() if k not in drop} for record in records),
                key=lambda r: json.dumps(r, sort_keys=True),
            )
            for kind, records in self.snapshot().items()
        }

    def points(self) -> dict[tuple[str, str, str], float]:
        """Live points as {(group, statistic, reference_date): value}."""
        return {
            (p["group"], p["statistic"], p["reference_date"]): p["value"]
            for p in self.records("points")
        }


@pytest.fixture(autouse=True)
def _private_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Clients made in the test process keep their request budget in the test's directory."""
    monkeypatch.setenv("OSSIT_CLIENT_STATE_DIR", str(tmp_path / "ossit-state"))


@pytest.fixture
def singer(tmp_path: Path) -> SingerFile:
    """An empty Singer input file of this test."""
    return SingerFile(tmp_path / "input.singer")


@pytest.fixture
def make_singer(tmp_path: Path) -> Callable[[str], SingerFile]:
    """More Singer input files of this test, by name."""
    return lambda name: SingerFile(tmp_path / f"{name}.singer")


@pytest.fixture
def point() -> Callable[..., dict[str, Any]]:
    """``point(group, statistic, day, value, deleted=False)``: a points record as tap-ossit
    emits it, ``day`` counting from 2025-01-01."""
    return _point


@pytest.fixture
def target_cli(tmp_path: Path, sandbox: SandboxServer, domain_key: str) -> TargetCLI:
    """The target CLI loading into this test's fresh domain."""
    return TargetCLI(tmp_path, {"domain_key": domain_key, "base_url": sandbox.base_url})


@pytest.fixture
def extract(tmp_path: Path) -> Callable[[str, str], Path]:
    """``extract(base_url, key)``: a full tap-ossit run of that domain, saved as a Singer file."""
    runs = iter(range(1, 1000))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_OSSIT_")}
    env["OSSIT_CLIENT_STATE_DIR"] = str(tmp_path / "ossit-state")

    def run(base_url: str, key: str) -> Path:
        number = next(runs)
        config = tmp_path / f"tap-config-{number}.json"
        config.write_text(json.dumps({"domain_key": key, "base_url": base_url}))
        output = tmp_path / f"tap-output-{number}.singer"
        with output.open("w") as stdout:
            proc = subprocess.run(
                [str(TAP_EXECUTABLE), "--config", str(config)],
                stdout=stdout,
                stderr=subprocess.PIPE,
                text=True,
                timeout=300,
                env=env,
                check=False,
            )
        assert proc.returncode == 0, proc.stderr[-3000:]
        return output

    return run


@pytest.fixture
def open_domain(open_client: Callable[[str, str], OssitClient]) -> Callable[[str, str], Domain]:
    """``open_domain(base_url, key)``: any domain, read back through the API."""
    return lambda base_url, key: Domain(open_client(base_url, key))


@pytest.fixture
def destination(
    sandbox: SandboxServer, domain_key: str, open_domain: Callable[[str, str], Domain]
) -> Domain:
    """This test's fresh domain, read back through the API."""
    return open_domain(sandbox.base_url, domain_key)
