"""The singer-sdk internals the connectors use are the ones they were written against.

Each connector lists, in its ``_sdk`` module, the private SDK functions it replaces or
calls, with a hash of their source. An SDK upgrade that changes one fails here, naming
it, so the upgrade is a review of that module instead of a silent change of behaviour.
Also: the protocol-neutral core never imports singer-sdk.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import subprocess
import sys
from typing import Any

import pytest
from tap_ossit import _sdk as tap_sdk
from target_ossit import _sdk as target_sdk

GUARDED = sorted({**tap_sdk.REPLACED, **target_sdk.REPLACED}.items())


def source_hash(path: str) -> str:
    """The sha256 prefix of the source of ``module:qualname`` (a property's getter)."""
    module_name, _, qualname = path.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = (
            obj.__dict__[part]
            if isinstance(obj, type) and part in obj.__dict__
            else getattr(obj, part)
        )
    if isinstance(obj, property):
        obj = obj.fget
    return hashlib.sha256(inspect.getsource(obj).encode()).hexdigest()[:16]


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
