"""Fixtures for the end-to-end pipeline tests: real `meltano`, a real sandbox, real warehouses.

Meltano runs against the repository's own `meltano.yml` (MELTANO_PROJECT_ROOT), with plugin
virtualenvs in the repository's git-ignored `.meltano/` so `meltano install` is paid once and
reused by later sessions. Each test gets its own Meltano directory (MELTANO_SYS_DIR_ROOT) that
links to those virtualenvs but keeps its own run files, logs, system database (the state) and
DuckDB file, so tests never share anything a run writes, even with a quick start running.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from distributions import build_all
from meltano_command import UNREACHABLE_HUB, run_meltano
from ossit_client import Origin, OssitClient
from ossit_sync.loading.items import DERIVED_PREFIX

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
RESOURCES = ("statistic_groups", "statistics", "points", "intervals")
PG_VARS = ("OSSIT_TEST_PG_HOST", "OSSIT_TEST_PG_PORT", "OSSIT_TEST_PG_USER")


SHARED_SYS_DIR = REPO / ".meltano"
PLUGIN_DIRS = ("extractors", "loaders")


def _base_env(system_dir: Path) -> dict[str, str]:
    """The environment of a meltano command: nothing inherited that could point elsewhere."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TAP_", "TARGET_", "MELTANO_", "OSSIT_"))
    }
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        MELTANO_PROJECT_ROOT=str(REPO),
        MELTANO_ENVIRONMENT="dev",
        MELTANO_SYS_DIR_ROOT=str(system_dir),
        MELTANO_DATABASE_URI=f"sqlite:///{system_dir}/meltano.db",
        MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
        MELTANO_DISABLE_TRACKING="true",
        MELTANO_HUB_URL=UNREACHABLE_HUB,
        MELTANO_HUB_API_ROOT=UNREACHABLE_HUB,
        NO_COLOR="1",
    )
    return env


def _argv(args: tuple[str, ...]) -> list[str]:
    """The meltano command line; `run` skips its per-run reinstall (the session installed)."""
    if args and args[0] == "run":
        args = ("run", "--no-install", *args[1:])
    return [str(VENV_BIN / "meltano"), *args]


class Meltano:
    """Runs meltano commands for one test, with that test's settings in the environment."""

    def __init__(self, workdir: Path, system_dir: Path) -> None:
        self.workdir = workdir
        self.system_db = system_dir / "meltano.db"
        self.env = _base_env(system_dir)
        self.warehouse = workdir / "warehouse.duckdb"
        self.env["TARGET_DUCKDB_PATH"] = str(self.warehouse)

    def set(self, **settings: str | int) -> None:
        """Set plugin settings the way users do, e.g. TAP_OSSIT_DOMAIN_KEY=..."""
        self.env.update({k: str(v) for k, v in settings.items()})

    def __call__(self, *args: str, timeout: float = 600) -> str:
        """Run `meltano ARGS`; fail the test with the tail of its output if it fails."""
        return run_meltano(_argv(args), env=self.env, cwd=self.workdir, timeout=timeout)

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        """Start `meltano ARGS` in its own process group (so the whole pipeline can be killed)."""
        with (self.workdir / f"meltano-{uuid.uuid4().hex[:8]}.log").open("wb") as log:
            return subprocess.Popen(
                _argv(args),
                env=self.env,
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @staticmethod
    def kill(proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL meltano, the tap and the target at once, as a crash or an OOM kill would."""
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def state(self, state_id: str) -> dict[str, Any]:
        """The state Meltano saved for a pipeline (`meltano state get`)."""
        out = self("state", "get", state_id, "--format", "json")
        line = next(ln for ln in reversed(out.splitlines()) if ln.startswith("{"))
        return json.loads(line)


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every package's sdist and wheel (uv builds each wheel from its sdist), built once for
    the tests that install them (test_e2e_wheels.py, test_e2e_pythons.py)."""
    return build_all(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def meltano_installed(tmp_path_factory: pytest.TempPathFactory) -> None:
    """`meltano install` once per session; venvs persist in .meltano/ between sessions."""
    workdir = tmp_path_factory.mktemp("meltano-install")
    Meltano(workdir, SHARED_SYS_DIR)("install", timeout=1800)


@pytest.fixture
def meltano(meltano_installed: None, tmp_path: Path) -> Meltano:
    """A meltano runner with its own Meltano directory, linked to the installed plugins."""
    system_dir = tmp_path / "meltano-sys"
    system_dir.mkdir()
    for name in PLUGIN_DIRS:
        (system_dir / name).symlink_to(SHARED_SYS_DIR / name, target_is_directory=True)
    return Meltano(tmp_path, system_dir)


def _snapshot(client: OssitClient) -> dict[str, list[dict]]:
    return {
        "statistic_groups": list(client.statistic_groups.list(include_deleted=True)),
        "statistics": list(client.statistics.list(include_deleted=True)),
        "points": list(client.points.list(include_deleted=True)),
        "intervals": list(client.intervals.list(include_deleted=True)),
    }


@pytest.fixture
def snapshot() -> Any:
    """snapshot(base_url, key) -> every record of the domain, tombstones included, per stream.

    `budget` must match the connectors' max_requests_per_hour when a test raises it: the
    budget file is shared per key and URL.
    """

    def take(base_url: str, key: str, budget: int = 1000) -> dict[str, list[dict]]:
        with OssitClient(
            key, base_url=base_url, max_retries=20, max_requests_per_hour=budget
        ) as client:
            return _snapshot(client)

    return take


def _live_view(records: dict[str, list[dict]], origin: Origin) -> dict[str, dict]:
    """Live records keyed by what identifies them across domains (ids differ), ids dropped;
    an interval without external_id by the name a copy gives it (``ossit:<domain>:<id>``)."""
    drop = {
        "id",
        "group_id",
        "statistic_id",
        "created_at",
        "updated_at",
        "deleted_at",
        "external_id",
    }

    def strip(record: dict) -> dict:
        return {k: v for k, v in record.items() if k not in drop}

    live = {name: [r for r in rows if r["deleted_at"] is None] for name, rows in records.items()}
    return {
        "statistic_groups": {r["name"]: strip(r) for r in live["statistic_groups"]},
        "statistics": {(r["group"], r["name"]): strip(r) for r in live["statistics"]},
        "points": {
            (r["group"], r["statistic"], r["reference_date"]): strip(r) for r in live["points"]
        },
        "intervals": {
            r["external_id"] or f"{DERIVED_PREFIX}{origin.domain}:{r['id']}": strip(r)
            for r in live["intervals"]
        },
    }


@pytest.fixture
def domain_view(snapshot: Any) -> Any:
    """domain_view(base_url, key) -> the domain's live content, comparable across domains."""
    return lambda base_url, key: _live_view(snapshot(base_url, key), Origin.of(base_url, key))


@pytest.fixture
def ossit(sandbox: Any) -> Iterator[Any]:
    """ossit(key) -> an OssitClient on the session sandbox, closed at test end."""
    clients: list[OssitClient] = []

    def make(key: str) -> OssitClient:
        client = OssitClient(key, base_url=sandbox.base_url)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture(scope="session")
def postgres_server() -> dict[str, str]:
    """The PostgreSQL that scripts/test starts (OSSIT_TEST_PG_*); missing fails, never skips."""
    missing = [name for name in PG_VARS if not os.environ.get(name)]
    if missing:
        pytest.fail(
            f"PostgreSQL tests need a server: {', '.join(missing)} not set. "
            "Run `bash scripts/test` (it starts one on 127.0.0.1), or point these variables at a "
            "PostgreSQL you own.",
            pytrace=False,
        )
    return {
        "host": os.environ["OSSIT_TEST_PG_HOST"],
        "port": os.environ["OSSIT_TEST_PG_PORT"],
        "user": os.environ["OSSIT_TEST_PG_USER"],
        "password": os.environ.get("OSSIT_TEST_PG_PASSWORD", ""),
        "dbname": os.environ.get("OSSIT_TEST_PG_DATABASE", "postgres"),
    }


@pytest.fixture
def postgres_db(postgres_server: dict[str, str]) -> Iterator[dict[str, str]]:
    """A fresh database on the test PostgreSQL, dropped at test end."""
    import psycopg

    name = f"e2e_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(**postgres_server, autocommit=True)
    admin.execute(f"create database \"{name}\" encoding 'UTF8' template template0")
    yield {**postgres_server, "dbname": name}
    admin.execute(f'drop database "{name}" with (force)')
    admin.close()
