"""The connectors as Meltano plugins, installed the ways users install them.

- hub/ holds Meltano Hub definitions generated from the connectors by
  scripts/gen_hub_definitions.py: a stale file fails here, and each must be a valid Meltano
  plugin definition (sensitive key, structured logging, docs, a git pip_url per folder).
- hub/ also holds target-duckdb as meltano.yml pins it (Meltano Hub's, with a current duckdb,
  drops one row per batch and exits 0), generated from meltano.yml.
- A new Meltano project outside the repository adds both connectors and that target-duckdb
  with `meltano add --from-ref` under each venv backend (uv, virtualenv), migrates a domain
  with `meltano run tap-ossit target-ossit` and loads it into DuckDB with `meltano run
  tap-ossit target-duckdb`, every row of every stream. Our definitions are used as published
  except for the repository URL, which points at a one-commit git copy of this working tree:
  the install takes the same path as a user's (git clone, `#subdirectory=`, siblings on one
  pip_url) and builds the code under test, uncommitted changes included.
- This repository's meltano.yml: a second `meltano run` reinstalls nothing.

Only the package registry is reached over the network; Meltano Hub is an unreachable URL.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import pytest
import yaml
from meltano_command import UNREACHABLE_HUB, run_meltano

REPO = Path(__file__).resolve().parents[2]
HUB = REPO / "hub"
GENERATOR = REPO / "scripts" / "gen_hub_definitions.py"
VENV_BIN = Path(sys.executable).parent
MELTANO_SCHEMA = importlib.resources.files("meltano.schemas") / "meltano.schema.json"
# Hub metadata that Meltano itself ignores (and its meltano.yml schema does not list).
HUB_ONLY = {"domain_url", "maintenance_status", "keywords", "quality"}
PLUGINS = (("extractor", "tap-ossit"), ("loader", "target-ossit"))
TARGET_DUCKDB = HUB / "loaders" / "target-duckdb" / "jwills.yml"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_hub_definitions", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def definition_path(plugin_type: str, name: str) -> Path:
    return HUB / f"{plugin_type}s" / name / "ossit.yml"


def meltano_env(project: Path | None) -> dict[str, str]:
    """A meltano command's environment: nothing inherited that could point elsewhere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "TARGET_", "MELTANO_"))}
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
        MELTANO_DISABLE_TRACKING="true",
        MELTANO_HUB_URL=UNREACHABLE_HUB,
        MELTANO_HUB_API_ROOT=UNREACHABLE_HUB,
        NO_COLOR="1",
    )
    if project is not None:
        env["MELTANO_PROJECT_ROOT"] = str(project)
    return env


def meltano(env: dict[str, str], cwd: Path, *args: str, timeout: float = 900) -> str:
    """Run `meltano ARGS`; fail the test with the tail of its output if it fails."""
    return run_meltano([str(VENV_BIN / "meltano"), *args], env=env, cwd=cwd, timeout=timeout)


def working_tree_repo(dest: Path) -> str:
    """A one-commit git repository of the working tree (uncommitted work included); its URL.

    The files are the ones git would see (tracked or untracked, not ignored); this checkout's
    own git state is only read.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (REPO / name).is_file():  # a tracked file deleted in the working tree is skipped
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dest / name)
    git = ["git", "-c", "user.name=tests", "-c", "user.email=tests@localhost"]
    git += ["-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "working tree"]):
        subprocess.run([*git, *args], cwd=dest, capture_output=True, check=True)
    return f"git+{dest.as_uri()}"


def local_definition(plugin_type: str, name: str, repo_url: str, dest: Path) -> Path:
    """The published definition with its repository URL replaced by `repo_url`."""
    published = f"git+{load_generator().REPO_URL}.git"
    text = definition_path(plugin_type, name).read_text()
    assert published in text
    path = dest / f"{name}.yml"
    path.write_text(text.replace(published, repo_url))
    return path


# -- the definition files ------------------------------------------------------------------


def test_hub_definitions_are_generated(tmp_path: Path) -> None:
    check = [sys.executable, str(GENERATOR), "--check"]
    proc = subprocess.run(check, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr

    # The check sees a hand edit.
    shutil.copytree(HUB, tmp_path / "hub")
    edited = tmp_path / "hub" / "extractors" / "tap-ossit" / "ossit.yml"
    edited.write_text(edited.read_text().replace("kind: string", "kind: password", 1))
    proc = subprocess.run(
        [*check, "--dir", str(tmp_path / "hub")], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1
    assert "extractors/tap-ossit/ossit.yml" in proc.stderr


def validate_plugin(plugin_type: str, body: dict[str, Any]) -> None:
    """Fails unless ``body`` is a valid Meltano plugin definition (Meltano's own schema)."""
    import jsonschema

    schema = json.loads(MELTANO_SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(
        {"$ref": f"#/$defs/plugins/{plugin_type}s", "$defs": schema["$defs"]}
    )
    validator.validate({k: v for k, v in body.items() if k not in HUB_ONLY})


@pytest.mark.parametrize(("plugin_type", "name"), PLUGINS)
def test_hub_definition_is_a_meltano_plugin(plugin_type: str, name: str) -> None:
    gen = load_generator()
    body = yaml.safe_load(definition_path(plugin_type, name).read_text())
    validate_plugin(plugin_type, body)

    assert body["name"] == name and body["executable"] == name
    assert "structured-logging" in body["capabilities"]
    settings = {s["name"]: s for s in body["settings"]}
    assert settings["domain_key"].get("sensitive") is True
    assert all(s["description"] for s in settings.values())
    assert not [s for s in settings.values() if s["kind"] in {"password", "hidden"}]
    assert body["docs"].startswith(gen.REPO_URL) and body["repo"] == gen.REPO_URL

    # One git requirement per folder; every folder is a package; the connector's comes last.
    prefix = f"git+{gen.REPO_URL}.git#subdirectory="
    requirements = body["pip_url"].split()
    assert all(r.startswith(prefix) for r in requirements), requirements
    folders = [r.removeprefix(prefix) for r in requirements]
    assert all((REPO / f / "pyproject.toml").is_file() for f in folders), folders
    assert folders[-1] == name and {"schemas", "ossit-client", "ossit-sync"} <= set(folders)


def test_target_duckdb_definition_pins_what_meltano_yml_tests() -> None:
    body = yaml.safe_load(TARGET_DUCKDB.read_text())
    validate_plugin("loader", body)
    loaders = yaml.safe_load((REPO / "meltano.yml").read_text())["plugins"]["loaders"]
    tested = next(p for p in loaders if p["name"] == "target-duckdb")
    assert body["pip_url"] == tested["pip_url"]
    assert all("==" in requirement for requirement in body["pip_url"].split()), body["pip_url"]
    assert {s["name"] for s in body["settings"]} == {s["name"] for s in tested["settings"]}
    # Where users add loaders beside ours, README points them at it.
    assert "hub/loaders/target-duckdb/jwills.yml" in (REPO / "README.md").read_text()


# -- a user's project ----------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["uv", "virtualenv"])
def test_added_from_ref_they_migrate_a_domain_and_load_duckdb(
    backend: str,
    tmp_path: Path,
    sandbox: Any,
    domain_key: str,
    domain_view: Any,
    snapshot: Any,
) -> None:
    repo_url = working_tree_repo(tmp_path / "repo")
    meltano(meltano_env(None), tmp_path, "init", "project", "--no_usage_stats")
    project = tmp_path / "project"
    env = meltano_env(project)
    meltano(env, project, "config", "set", "meltano", "venv.backend", backend)
    for plugin_type, name in PLUGINS:
        ref = local_definition(plugin_type, name, repo_url, tmp_path)
        meltano(env, project, "add", "--plugin-type", plugin_type, name, "--from-ref", str(ref))
    add_duckdb = ("add", "--plugin-type", "loader", "target-duckdb", "--from-ref")
    meltano(env, project, *add_duckdb, str(TARGET_DUCKDB))

    added = yaml.safe_load((project / "meltano.yml").read_text())
    assert added["venv"] == {"backend": backend}
    assert {kind: [p["name"] for p in plugins] for kind, plugins in added["plugins"].items()} == {
        "extractors": ["tap-ossit"],
        "loaders": ["target-ossit", "target-duckdb"],
    }
    for plugin_type, name in (*PLUGINS, ("loader", "target-duckdb")):
        # uv writes `uv = <version>` in pyvenv.cfg, virtualenv `virtualenv = <version>`.
        cfg = (project / ".meltano" / f"{plugin_type}s" / name / "venv" / "pyvenv.cfg").read_text()
        assert f"\n{backend} = " in f"\n{cfg}", cfg

    sandbox.generate(domain_key, groups=2, statistics=3, days=10, intervals=5, seed=11)
    destination = sandbox.create_domain(f"hub-{backend}-{uuid.uuid4().hex[:8]}")
    env.update(
        TAP_OSSIT_BASE_URL=sandbox.base_url,
        TAP_OSSIT_DOMAIN_KEY=domain_key,
        TARGET_OSSIT_BASE_URL=sandbox.base_url,
        TARGET_OSSIT_DOMAIN_KEY=destination,
    )
    meltano(env, project, "run", "tap-ossit", "target-ossit")

    source = domain_view(sandbox.base_url, domain_key)
    copied = domain_view(sandbox.base_url, destination)
    counts = {kind: len(records) for kind, records in source.items()}
    assert all(counts.values()), counts
    assert {kind: len(records) for kind, records in copied.items()} == counts
    assert copied == source

    # The pinned target-duckdb loads every record of every stream, tombstones included.
    warehouse = tmp_path / "warehouse.duckdb"
    meltano(env, project, "config", "set", "target-duckdb", "path", str(warehouse))
    meltano(env, project, "run", "tap-ossit", "target-duckdb")
    everything = snapshot(sandbox.base_url, domain_key)
    emitted = {kind: len(records) for kind, records in everything.items()}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        loaded = {
            kind: con.execute(f"select count(*) from ossit.{kind}").fetchone()[0]
            for kind in emitted
        }
    assert loaded == emitted


# -- this repository's meltano.yml ---------------------------------------------------------


def test_a_second_meltano_run_reinstalls_nothing(
    tmp_path: Path, sandbox: Any, domain_key: str
) -> None:
    system_dir = tmp_path / "meltano-sys"  # its own plugin venvs: the shared ones stay untouched
    env = meltano_env(REPO)
    env.update(
        MELTANO_ENVIRONMENT="dev",
        MELTANO_SYS_DIR_ROOT=str(system_dir),
        MELTANO_DATABASE_URI=f"sqlite:///{tmp_path}/meltano.db",
        TAP_OSSIT_BASE_URL=sandbox.base_url,
        TAP_OSSIT_DOMAIN_KEY=domain_key,
        TARGET_OSSIT_BASE_URL=sandbox.base_url,
        TARGET_OSSIT_DOMAIN_KEY=sandbox.create_domain(f"reinstall-{uuid.uuid4().hex[:8]}"),
    )
    sandbox.generate(domain_key, groups=1, statistics=1, days=2, intervals=1, seed=5)
    venvs = [system_dir / "extractors" / "tap-ossit", system_dir / "loaders" / "target-ossit"]

    def installed() -> list[tuple[int, int]]:
        # A reinstall rewrites the fingerprint; a clean one also recreates the interpreter.
        return [
            (
                (v / "venv" / ".meltano_plugin_fingerprint").stat().st_mtime_ns,
                (v / "venv" / "bin" / "python").lstat().st_ino,
            )
            for v in venvs
        ]

    first = meltano(env, tmp_path, "run", "tap-ossit", "target-ossit")
    # A fresh Meltano directory installs, so the log shows what an install looks like.
    assert "Installing extractor 'tap-ossit'" in first
    assert "Installing loader 'target-ossit'" in first
    before = installed()

    second = meltano(env, tmp_path, "run", "tap-ossit", "target-ossit")
    assert "Installing" not in second, second[-3000:]
    assert installed() == before
