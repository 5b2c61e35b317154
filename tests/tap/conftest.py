"""Fixtures of the tap tests: tap-ossit run through its real CLI against a real sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ossit_client import OssitClient
from ossit_sandbox.launcher import SandboxServer
from tap_ossit.tap import TapOssit
from tap_runs import STREAM_NAMES, TapOutput, _captured, run_in_process

TAP_EXECUTABLE = Path(sys.executable).with_name("tap-ossit")


class TapCLI:
    """Runs `tap-ossit` as a subprocess with config, state and catalog files."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._files = 0
        # Settings come from the files only, never from the developer's TAP_OSSIT_* variables.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_OSSIT_")}

    def _write(self, kind: str, content: dict[str, Any]) -> str:
        self._files += 1
        path = self.workdir / f"{kind}-{self._files}.json"
        path.write_text(json.dumps(content))
        return str(path)

    def command(
        self,
        config: dict[str, Any] | None = None,
        state: dict[str, Any] | None = None,
        catalog: dict[str, Any] | None = None,
        *args: str,
    ) -> list[str]:
        """The command line of one tap run."""
        cmd = [str(TAP_EXECUTABLE), *args]
        if config is not None:
            cmd += ["--config", self._write("config", config)]
        if state is not None:
            cmd += ["--state", self._write("state", state)]
        if catalog is not None:
            cmd += ["--catalog", self._write("catalog", catalog)]
        return cmd

    def run(
        self,
        config: dict[str, Any] | None,
        state: dict[str, Any] | None = None,
        catalog: dict[str, Any] | None = None,
        *args: str,
        expect_success: bool = True,
    ) -> TapOutput:
        """Run the tap to the end; its stdout parsed as Singer messages."""
        proc = subprocess.run(
            self.command(config, state, catalog, *args),
            capture_output=True,
            text=True,
            timeout=300,
            env=self.env,
            check=False,
        )
        if expect_success:
            assert proc.returncode == 0, proc.stderr[-3000:]
        messages = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
        return TapOutput(messages, proc.returncode, proc.stderr)

    def text(self, *args: str, config: dict[str, Any] | None = None) -> subprocess.CompletedProcess:
        """Run a non-sync command (--about, --discover) and return its output."""
        return subprocess.run(
            self.command(config, None, None, *args),
            capture_output=True,
            text=True,
            timeout=120,
            env=self.env,
            check=False,
        )

    def start(
        self, config: dict[str, Any], state: dict[str, Any] | None = None
    ) -> subprocess.Popen[str]:
        """Start a sync whose stdout the test reads line by line (to kill it mid-stream)."""
        return subprocess.Popen(
            self.command(config, state),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=self.env,
        )


@pytest.fixture
def tap() -> Any:
    """Runs a sync in this process (scenario tests); end-to-end tests use `tap_cli`."""
    return run_in_process


@pytest.fixture
def tap_stopped_after() -> Any:
    """`tap_stopped_after(config, n)`: a sync that stops each stream after n records."""

    def run(config: dict[str, Any], records: int) -> TapOutput:
        tap = TapOssit(config=dict(config))
        try:
            return _captured(lambda: tap.run_sync_dry_run(dry_run_record_limit=records))
        finally:
            tap.close()

    return run


@pytest.fixture
def tap_cli(tmp_path: Path) -> TapCLI:
    """Runs the tap CLI with files in this test's temporary directory."""
    return TapCLI(tmp_path)


@pytest.fixture
def tap_config(sandbox: SandboxServer, domain_key: str) -> dict[str, Any]:
    """Minimal settings reading this test's fresh domain."""
    return {"domain_key": domain_key, "base_url": sandbox.base_url}


@pytest.fixture
def api(sandbox: SandboxServer, domain_key: str) -> Iterator[OssitClient]:
    """A client on this test's domain, to change it between tap runs and to read it back."""
    with OssitClient(domain_key, base_url=sandbox.base_url) as client:
        yield client


@pytest.fixture
def read_domain(api: OssitClient) -> Any:
    """Reads every record of the domain (tombstones included) through the API, per stream."""

    def read(**filters: Any) -> dict[str, dict[str, dict[str, Any]]]:
        result = {}
        for stream in STREAM_NAMES:
            options = filters if stream != "statistic_groups" else {}
            lister = getattr(api, stream).list
            result[stream] = {r["id"]: r for r in lister(include_deleted=True, **options)}
        return result

    return read


@pytest.fixture(scope="class")
def standard_suite_domain(sandbox: SandboxServer) -> Iterator[None]:
    """A small domain with every field non-null somewhere, for singer-sdk's standard suite.

    The suite's tap is built when the test module is collected, before any sandbox runs;
    it reads its settings from TAP_OSSIT_* variables (as any SDK tap can), set here.
    """
    key = sandbox.create_domain("standard-suite")
    sandbox.generate(key, groups=2, statistics=2, days=5, intervals=4, seed=7)
    with OssitClient(key, base_url=sandbox.base_url) as client:
        client.statistic_groups.create("doomed", description="deleted below")
        client.statistics.create("doomed", "s", value=1, reference_date="2026-01-01", unit="u")
        client.intervals.create(
            group="doomed",
            statistic="s",
            type="batch",
            name="b",
            external_id="x1",
            start="2026-01-01T00:00:00Z",
            end="2026-01-01T02:00:00Z",
            metadata={"lot": 7},
        )
        client.statistic_groups.delete("doomed")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TAP_OSSIT_DOMAIN_KEY", key)
        patch.setenv("TAP_OSSIT_BASE_URL", sandbox.base_url)
        yield
