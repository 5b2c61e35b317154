"""The packages install and run like any connector: built wheels and sdists, plain pip, no repo.

The fast checks read every package's pyproject.toml: one version for the whole set, internal
dependencies as version ranges that admit it (plain pip has no workspace to resolve a bare
name against), `requires-python` without an upper cap, the MIT license, a long description
and the project URLs. The slow ones build every wheel and sdist with `uv build`, look inside
them, then install tap-ossit and target-ossit with plain pip into a fresh virtualenv outside
the repository (our packages from the built files, everything else from the registry) and
move a domain through that venv's `tap-ossit | target-ossit` on the session sandbox.
"""

from __future__ import annotations

import email.parser
import json
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
from installed import airbyte_migration, clean_env, singer_migration
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
# Folder of each published package, by distribution name.
PACKAGES = {
    "ossit-schemas": "schemas",
    "ossit-client": "ossit-client",
    "ossit-sync": "ossit-sync",
    "ossit-sandbox": "ossit-sandbox",
    "tap-ossit": "tap-ossit",
    "target-ossit": "target-ossit",
    "ossit-airbyte": "ossit-airbyte",
    "airbyte-source-ossit": "source-ossit",
    "airbyte-destination-ossit": "destination-ossit",
}
TYPED = {
    "ossit-schemas": "ossit_schemas",
    "ossit-client": "ossit_client",
    "ossit-sync": "ossit_sync",
    "ossit-airbyte": "ossit_airbyte",
}
HOME = "https://github.com/ossit/ossit-connectors"
URLS = {
    "Homepage": HOME,
    "Repository": HOME,
    "Issues": f"{HOME}/issues",
    "Changelog": f"{HOME}/blob/main/CHANGELOG.md",
}
# Installed from their sdists (pip builds them), the rest of ours from the wheels.
FROM_SDIST = ("ossit-schemas", "target-ossit")
KINDS = ("statistic_groups", "statistics", "points", "intervals")


def _project(folder: str) -> dict[str, Any]:
    return tomllib.loads((REPO / folder / "pyproject.toml").read_text())["project"]


def _the_version() -> str:
    return _project(PACKAGES["tap-ossit"])["version"]


def _dist_name(name: str) -> str:
    """The file-name form of a distribution name (tap-ossit -> tap_ossit)."""
    return canonicalize_name(name).replace("-", "_")


# -- pyproject.toml: fast checks -------------------------------------------------------------


def test_one_version_for_the_whole_set() -> None:
    versions = {name: _project(folder)["version"] for name, folder in PACKAGES.items()}
    versions["ossit-connectors (workspace root)"] = _project(".")["version"]
    assert len(set(versions.values())) == 1, versions
    assert Version(_the_version()) >= Version("0.2.0")


@pytest.mark.parametrize("folder", [".", *PACKAGES.values()])
def test_internal_dependencies_are_ranges_that_admit_the_version(folder: str) -> None:
    version = Version(_the_version())
    internal = [
        req
        for req in map(Requirement, _project(folder)["dependencies"])
        if canonicalize_name(req.name) in PACKAGES
    ]
    for req in internal:
        assert req.specifier, f"{folder}: {req.name} has no version range (plain pip needs one)"
        assert version in req.specifier, f"{folder}: {req} refuses {version}"
        # Bumped together: the range must stop before the next minor release.
        assert Version(f"{version.major}.{version.minor + 1}.0") not in req.specifier, req
    if folder != PACKAGES["ossit-schemas"]:
        assert internal, f"{folder} depends on none of our packages?"


@pytest.mark.parametrize("folder", [".", *PACKAGES.values()])
def test_python_311_and_later_without_cap(folder: str) -> None:
    requires = SpecifierSet(_project(folder)["requires-python"])
    assert str(requires) == ">=3.11"
    assert "3.11.0" in requires and "3.99" in requires and "3.10.99" not in requires


def test_the_lock_follows_the_workspace() -> None:
    lock = tomllib.loads((REPO / "uv.lock").read_text())
    assert lock["requires-python"] == ">=3.11"
    locked = {p["name"]: p["version"] for p in lock["package"]}
    for name in PACKAGES:
        assert locked[name] == _the_version(), name


@pytest.mark.parametrize("name", PACKAGES)
def test_package_metadata(name: str) -> None:
    folder = REPO / PACKAGES[name]
    project = _project(PACKAGES[name])
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    assert (folder / "LICENSE").read_text() == (REPO / "LICENSE").read_text()
    assert project["readme"] == "README.md"
    assert (folder / "README.md").read_text().startswith(f"# {name}\n")
    assert project["authors"] == [{"name": "The Ossit connectors authors"}]
    assert {**URLS, "Documentation": f"{HOME}/blob/main/{PACKAGES[name]}/README.md"} == (
        project["urls"]
    )
    classifiers = project["classifiers"]
    assert classifiers == sorted(classifiers)
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert ("Typing :: Typed" in classifiers) == (name in TYPED)
    if name in TYPED:
        assert (folder / TYPED[name] / "py.typed").is_file()


def test_license_is_mit_for_the_authors() -> None:
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("MIT License\n\nCopyright (c) 2026 The Ossit connectors authors\n")
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text


def test_changelog_has_an_entry_for_the_version() -> None:
    text = (REPO / "CHANGELOG.md").read_text()
    assert "https://keepachangelog.com/en/1.1.0/" in text
    assert "## [Unreleased]" in text
    assert f"## [{_the_version()}] - " in text
    assert f"[{_the_version()}]: {HOME}/releases/tag/v{_the_version()}" in text


# -- the built files ---------------------------------------------------------------------


def _wheel(dist: Path, name: str) -> Path:
    (wheel,) = dist.glob(f"{_dist_name(name)}-{_the_version()}-py3-none-any.whl")
    return wheel


def _sdist(dist: Path, name: str) -> Path:
    (sdist,) = dist.glob(f"{_dist_name(name)}-{_the_version()}.tar.gz")
    return sdist


@pytest.mark.parametrize("name", PACKAGES)
def test_wheel_ships_license_types_and_metadata(dist: Path, name: str) -> None:
    version = _the_version()
    info = f"{_dist_name(name)}-{version}.dist-info"
    with zipfile.ZipFile(_wheel(dist, name)) as wheel:
        files = set(wheel.namelist())
        metadata = email.parser.Parser().parsestr(wheel.read(f"{info}/METADATA").decode())
        license_text = wheel.read(f"{info}/licenses/LICENSE").decode()
    assert license_text == (REPO / "LICENSE").read_text()
    if name in TYPED:
        assert f"{TYPED[name]}/py.typed" in files
    assert metadata["Name"] == name
    assert metadata["Version"] == version
    assert metadata["Requires-Python"] == ">=3.11"
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert metadata.get_payload().startswith(f"# {name}\n")  # the long description
    assert "Programming Language :: Python :: 3.11" in metadata.get_all("Classifier")
    assert f"Changelog, {URLS['Changelog']}" in metadata.get_all("Project-URL")
    for dependency in map(Requirement, metadata.get_all("Requires-Dist") or []):
        if canonicalize_name(dependency.name) in PACKAGES:
            assert version in dependency.specifier, dependency


@pytest.mark.parametrize("name", PACKAGES)
def test_sdist_ships_license_readme_and_sources(dist: Path, name: str) -> None:
    root = f"{_dist_name(name)}-{_the_version()}"
    with tarfile.open(_sdist(dist, name)) as sdist:
        files = set(sdist.getnames())
    assert {f"{root}/LICENSE", f"{root}/README.md", f"{root}/pyproject.toml"} <= files
    (package,) = tomllib.loads((REPO / PACKAGES[name] / "pyproject.toml").read_text())["tool"][
        "hatch"
    ]["build"]["targets"]["wheel"]["packages"]
    assert f"{root}/{package}/__init__.py" in files  # the import package


# -- plain pip, a fresh venv, a real pipeline ------------------------------------------------


@pytest.fixture(scope="module")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv outside the repository with the Singer and Airbyte connectors, by pip."""
    home = tmp_path_factory.mktemp("user")
    assert not home.resolve().is_relative_to(REPO), home
    venv = home / "venv"
    env = clean_env()
    # The base interpreter, not this repository's venv.
    python = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([python, "-m", "venv", str(venv)], cwd=home, env=env, check=True, timeout=300)
    version = _the_version()
    report = home / "pip-report.json"
    proc = subprocess.run(
        [
            str(venv / "bin" / "python"), "-m", "pip", "install", "--report", str(report),
            "--find-links", str(dist), "--no-binary", ",".join(FROM_SDIST),
            f"tap-ossit=={version}", f"target-ossit=={version}",
            f"airbyte-source-ossit=={version}", f"airbyte-destination-ossit=={version}",
        ],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    installed = {
        canonicalize_name(item["metadata"]["name"]): item["download_info"]["url"]
        for item in json.loads(report.read_text())["install"]
    }
    ours = set(PACKAGES) - {"ossit-sandbox"}  # the connectors never need the sandbox
    assert ours <= set(installed), installed
    assert "ossit-sandbox" not in installed
    for name in ours:
        built = _sdist(dist, name) if name in FROM_SDIST else _wheel(dist, name)
        assert installed[name] == built.as_uri(), f"{name} did not come from {built}"
    assert "singer-sdk" in installed and not installed["singer-sdk"].startswith(
        "file://" + str(dist)
    )
    return venv


def test_installed_packages_are_the_venvs_own(venv: Path) -> None:
    probe = (
        "import json, importlib.metadata as m, ossit_client, ossit_schemas, ossit_sync, "
        "tap_ossit, target_ossit\n"
        "mods = (ossit_client, ossit_schemas, ossit_sync, tap_ossit, target_ossit)\n"
        "print(json.dumps({'files': [x.__file__ for x in mods],\n"
        "  'versions': {n: m.version(n) for n in ('ossit-client', 'ossit-schemas', 'ossit-sync',"
        " 'tap-ossit', 'target-ossit')},\n"
        "  'schema': ossit_schemas.record_schema('points')['type']}))"
    )
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe],
        cwd=venv.parent,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    site = (venv / "lib").resolve()
    for file in found["files"]:
        assert Path(file).resolve().is_relative_to(site), file
    assert set(found["versions"].values()) == {_the_version()}
    assert found["schema"] == "object"  # the schema files came with the sdist-built wheel
    for module in TYPED.values():
        (typed,) = site.glob(f"python3.*/site-packages/{module}/py.typed")
        assert typed.is_file()


def test_tap_into_target_from_the_installed_venv(
    venv: Path, sandbox: Any, domain_key: str, domain_view: Any, tmp_path: Path
) -> None:
    sandbox.generate(domain_key, groups=2, statistics=3, days=20, intervals=6, seed=11)
    destination = sandbox.create_domain("e2e-wheels-destination")
    source_view = domain_view(sandbox.base_url, domain_key)
    assert all(source_view[kind] for kind in KINDS), {k: len(v) for k, v in source_view.items()}
    assert not any(domain_view(sandbox.base_url, destination).values())

    states = singer_migration(venv / "bin", sandbox.base_url, domain_key, destination, tmp_path)
    assert states
    assert set(KINDS) <= set(states[-1]["bookmarks"]), states[-1]

    copied = domain_view(sandbox.base_url, destination)
    counts = {kind: (len(source_view[kind]), len(copied[kind])) for kind in KINDS}
    assert all(a == b for a, b in counts.values()), counts
    for kind in KINDS:
        assert copied[kind] == source_view[kind], kind


def test_source_into_destination_from_the_installed_venv(
    venv: Path, sandbox: Any, domain_key: str, domain_view: Any, tmp_path: Path
) -> None:
    """The Airbyte pair as installed by pip: discover, read, write; the copy equals the source."""
    sandbox.generate(domain_key, groups=2, statistics=2, days=8, intervals=4, seed=5)
    destination = sandbox.create_domain("e2e-wheels-airbyte-destination")
    read, written = airbyte_migration(
        venv / "bin", sandbox.base_url, domain_key, destination, tmp_path
    )

    echoed = [json.loads(line)["state"] for line in written.splitlines()]
    counts = [state.pop("destinationStats")["recordCount"] for state in echoed]
    assert echoed == [json.loads(line)["state"] for line in read.splitlines() if b'"STATE"' in line]
    assert sum(counts) == sum(1 for line in read.splitlines() if b'"RECORD"' in line)
    assert domain_view(sandbox.base_url, destination) == domain_view(sandbox.base_url, domain_key)
