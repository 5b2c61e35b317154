"""meltano.yml and README stay in step with the connectors' real settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "gen_settings_table.py"
KIND_OF_TYPE = {
    "string": "string",
    "integer": "integer",
    "boolean": "boolean",
    "array": "array",
    "object": "object",
    "number": "decimal",
}


def load_generator():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_settings_table", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def plugins() -> dict[str, dict]:
    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    return {p["name"]: p for kind in project["plugins"].values() for p in kind}


def test_readme_settings_tables_are_generated() -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr


def test_every_plugin_is_defined_inline() -> None:
    for name, plugin in plugins().items():
        if "inherit_from" in plugin:
            assert plugin["inherit_from"] in plugins(), name
            continue
        assert {"namespace", "pip_url", "executable"} <= set(plugin), name
        assert "variant" not in plugin, f"{name} would be looked up on Meltano Hub"


def test_meltano_settings_match_the_connectors() -> None:
    gen = load_generator()
    for script in gen.CONNECTORS:
        plugin_class = gen.connector_class(script)
        schema = gen.own_settings(plugin_class)
        declared = {s["name"]: s for s in plugins()[script]["settings"]}
        assert set(declared) == set(schema), script
        for name, setting in declared.items():
            spec = schema[name]
            assert setting.get("sensitive", False) == bool(spec.get("secret")), (script, name)
            types = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
            kinds = {KIND_OF_TYPE[t] for t in types if t != "null"}
            if spec.get("format") in {"date-time", "date"}:
                kinds = {"date_iso8601"}
            expected = "string" if setting["kind"] == "password" else setting["kind"]
            assert kinds == {expected}, (script, name)
            if "default" in spec:
                assert setting.get("value") == spec["default"], (script, name)


def test_meltano_version_and_plugin_python_are_pinned() -> None:
    from importlib.metadata import version

    from packaging.specifiers import SpecifierSet

    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    assert version("meltano") in SpecifierSet(project["requires_meltano"])
    # Meltano 4.4.1 fingerprints installs with .python-version's value and checks them with
    # `python`: different values reinstall every plugin on every run.
    pinned = (REPO / ".python-version").read_text().splitlines()[0].strip()
    assert project["python"] == pinned


def test_connectors_log_structured_and_mark_secrets_sensitive() -> None:
    for script in ("tap-ossit", "target-ossit"):
        plugin = plugins()[script]
        assert "structured-logging" in plugin["capabilities"], script
        assert not [s["name"] for s in plugin["settings"] if s["kind"] == "password"], script
