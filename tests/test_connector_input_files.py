"""A file given to a Singer connector that it cannot use ends the run in one line naming it.

singer-sdk reads the command line's files itself: one that is not JSON ends in its
traceback, a catalog of the wrong shape in a bare Python message (``'int' object is not
iterable``), and a catalog or state that is a JSON string is opened as a file path. Both
connectors check them first (state shapes: tests/tap/test_tap_state_owner.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BIN = Path(sys.executable).parent
CONFIG = {"domain_key": "k", "base_url": "http://127.0.0.1:9"}


def _run(tmp_path: Path, command: str, **files: str) -> subprocess.CompletedProcess[str]:
    args = [str(BIN / command)]
    for option, content in files.items():
        path = tmp_path / f"{option}.json"
        path.write_text(content)
        args += [f"--{option}", str(path)]
    return subprocess.run(
        args, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, check=False
    )


def _assert_one_line(run: subprocess.CompletedProcess[str], *says: str) -> None:
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert all(part in last for part in says), last
    assert "Traceback" not in run.stderr
    assert run.stdout == ""


@pytest.mark.parametrize(
    ("command", "headline"),
    [("tap-ossit", "tap-ossit stopped"), ("target-ossit", "target-ossit failed")],
)
def test_a_config_file_that_is_not_json_is_named(
    tmp_path: Path, command: str, headline: str
) -> None:
    run = _run(tmp_path, command, config="domain_key: k")
    _assert_one_line(run, headline, f"config file {tmp_path / 'config.json'}: not valid JSON")


@pytest.mark.parametrize(
    ("catalog", "says"),
    [
        ("not json", "catalog file"),
        ([], "it is a list, not an object"),
        ("some/file/to/open", "it is a string, not an object"),
        ({"streams": 3}, "`streams` is a number, not a list"),
        ({"streams": [3]}, "streams[0] is a number, not an object"),
        ({"streams": [{"schema": {}}]}, "streams[0]: `tap_stream_id` is not a string"),
        (
            {"streams": [{"tap_stream_id": "points", "schema": {}, "metadata": "x"}]},
            "streams[0]: `metadata` is a string, not a list",
        ),
        (
            {"streams": [{"tap_stream_id": "points", "schema": {}, "metadata": [1]}]},
            "streams[0]: an entry of `metadata` is not an object",
        ),
    ],
)
def test_a_catalog_tap_ossit_cannot_use_is_named(tmp_path: Path, catalog: Any, says: str) -> None:
    text = catalog if catalog == "not json" else json.dumps(catalog)
    run = _run(tmp_path, "tap-ossit", config=json.dumps(CONFIG), catalog=text)
    _assert_one_line(run, "tap-ossit stopped: ", says)
