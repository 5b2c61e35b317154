"""The JSON files a connector is given on its command line: read bounded, named on error.

A config, state or catalog file that cannot be read or is not JSON must end a run with one
line naming the file, whichever protocol's command line was given it; the frameworks' own
readers end in a traceback or a bare parser message instead.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

MAX_FILE_BYTES = 64 * 1024 * 1024
"""Largest config, catalog or state file read (a catalog of four streams is ~20 KB)."""


class InputFileError(ValueError):
    """A file given to a connector that cannot be used; the message names it."""


def read_json_file(path: str, what: str) -> Any:
    """The JSON value in the file at ``path`` (``what``: 'config', 'catalog', 'state')."""
    try:
        with open(path, "rb") as file:
            if os.fstat(file.fileno()).st_size > MAX_FILE_BYTES:
                raise InputFileError(f"{what} file {path}: larger than {MAX_FILE_BYTES} bytes")
            content = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputFileError(f"{what} file {path}: cannot be read ({exc.strerror})") from None
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise InputFileError(f"{what} file {path}: not valid JSON ({exc})") from None


def check_json_arguments(argv: Sequence[str], options: Mapping[str, str]) -> None:
    """Read each file named after an option of ``options`` (flag -> what it holds), so one
    that is not readable JSON fails naming it; ``--config ENV`` names no file."""
    for flag, value in itertools.pairwise(argv):
        if flag in options and not (flag == "--config" and value == "ENV"):
            read_json_file(value, options[flag])
