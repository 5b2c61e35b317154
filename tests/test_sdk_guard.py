"""The singer-sdk internals the connectors use are the ones they were written against.

Each connector lists, in its ``_sdk`` module, the private SDK functions it replaces or
calls, with a hash of their source, and the private SDK attributes it uses, with the SDK
function that sets each. An SDK upgrade that changes one fails here, naming it, so the
upgrade is a review of that module instead of a silent change of behaviour. No other
module of a connector uses a private SDK name: a use outside ``_sdk`` would escape the
review. Also: the protocol-neutral core never imports singer-sdk.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import inspect
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import singer_sdk
from tap_ossit import _sdk as tap_sdk
from target_ossit import _sdk as target_sdk

GUARDED = sorted({**tap_sdk.REPLACED, **target_sdk.REPLACED}.items())
SDK_MODULES = (tap_sdk, target_sdk)


def source_hash(path: str) -> str:
    """The sha256 prefix of the source of ``module:qualname`` (a property's getter)."""
    return hashlib.sha256(inspect.getsource(_resolve(path)).encode()).hexdigest()[:16]


def _resolve(path: str) -> Any:
    """The function ``module:qualname`` names (a property's getter)."""
    module_name, _, qualname = path.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = (
            obj.__dict__[part]
            if isinstance(obj, type) and part in obj.__dict__
            else getattr(obj, part)
        )
    return obj.fget if isinstance(obj, property) else obj


@pytest.mark.parametrize(("path", "expected"), GUARDED, ids=[path for path, _ in GUARDED])
def test_sdk_internal_unchanged(path: str, expected: str) -> None:
    assert source_hash(path) == expected, (
        f"singer-sdk changed {path}: review the connector's _sdk module against the new "
        "source, then update its hash in REPLACED"
    )


def test_a_changed_function_is_noticed() -> None:
    """The guard can fail: a function's hash differs from another's."""
    assert source_hash(GUARDED[0][0]) != source_hash(GUARDED[1][0])


def test_the_core_does_not_import_singer_sdk() -> None:
    code = (
        "import sys, ossit_sync.reading, ossit_sync.loading, ossit_sync.failure; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('singer_sdk', 'airbyte')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("module", SDK_MODULES, ids=lambda module: module.__name__)
def test_each_private_attribute_is_set_by_a_guarded_function(module: ModuleType) -> None:
    """An attribute's meaning changes with the code that sets it: that code is guarded."""
    for attribute, path in module.ATTRIBUTES.items():
        assert path in module.REPLACED, f"{attribute}: {path} is not in REPLACED"
        source = inspect.getsource(_resolve(path))
        assert re.search(rf"\bself\.{attribute}\b\s*(:[^=]*)?=", source), (
            f"{path} no longer sets self.{attribute}"
        )


@pytest.mark.parametrize("module", SDK_MODULES, ids=lambda module: module.__name__)
def test_private_sdk_names_are_used_only_in_the_sdk_module_and_listed_there(
    module: ModuleType,
) -> None:
    package = Path(module.__file__ or "").parent
    listed = {path.partition(":")[2].rpartition(".")[2] for path in module.REPLACED}
    listed |= set(module.ATTRIBUTES)
    for path in sorted(package.glob("*.py")):
        used = private_sdk_names(path.read_text())
        if path.name == "_sdk.py":
            assert used <= listed, f"{path}: not in REPLACED or ATTRIBUTES: {used - listed}"
        else:
            assert not used, f"{path} uses private singer-sdk names outside _sdk.py: {used}"


def test_the_private_name_check_finds_attributes_methods_and_private_modules() -> None:
    """The check above can fail: each kind of use it looks for is found."""
    source = (
        "from singer_sdk.helpers._util import utc_now\n"
        "class S:\n"
        "    def _sync_records(self):\n"
        "        return self._tap.message_writer\n"
    )
    assert private_sdk_names(source) == {"utc_now", "_sync_records", "_tap"}
    assert private_sdk_names("class S:\n    def _own_helper(self): ...\n") == set()


def private_sdk_names(source: str) -> set[str]:
    """The private singer-sdk names `source` uses: attributes and methods the SDK names
    with a leading underscore, and whatever it imports from a private SDK module."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and _is_private_sdk_module(node.module or ""):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if _is_private_sdk_module(a.name)}
        elif (name := _defined_or_used_name(node)) in _sdk_private_names():
            found.add(name)
    return found


def _is_private_sdk_module(name: str) -> bool:
    parts = name.split(".")
    return parts[0] == "singer_sdk" and any(_is_private(part) for part in parts[1:])


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name != "_"


def _defined_or_used_name(node: ast.AST) -> str | None:
    """The name an attribute access, a function or a class-level assignment carries."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return node.name
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
        return node.id
    return None


@cache
def _sdk_private_names() -> frozenset[str]:
    """Every private attribute, method and class-level name in singer-sdk's source."""
    names: set[str] = set()
    for path in Path(singer_sdk.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = _defined_or_used_name(node)
            if name is not None and _is_private(name):
                names.add(name)
    return frozenset(names)
