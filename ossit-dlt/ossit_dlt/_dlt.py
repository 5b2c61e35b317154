"""Every name of dlt's internals ossit-dlt uses, in one place (``tests/dlt/test_dlt_guard.py``
fails when one of them changes).

A custom destination called with ``batch_size=0`` gets the path of a load job's file
instead of rows; ossit_destination reads it itself, so the batches it sends depend on the
file alone and a retried job sends the same batches under the same idempotency keys. That
needs how dlt names a job's file (the table, the file id that a retry keeps) and how it
writes one (typed JSON lines, gzip or not): dlt's own readers of both are used.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dlt.common import json
from dlt.common.storages import FileStorage
from dlt.common.storages.load_package import ParsedLoadJobFileName


@dataclass(frozen=True)
class JobFile:
    """A load job's file: its table, and the id a retry of the job keeps."""

    table: str
    file_id: str
    name: str


def job_file(path: str) -> JobFile:
    """What a load job's file name says (``<table>.<file_id>.<retry>.<format>[.gz]``)."""
    parsed = ParsedLoadJobFileName.parse(path)
    return JobFile(parsed.table_name, parsed.file_id, parsed.file_name())


def rows(path: str) -> Iterator[dict[str, Any]]:
    """The rows of a typed-jsonl load job file, in file order, typed as dlt wrote them."""
    with FileStorage.open_zipsafe_ro(path, "rb") as lines:
        for line in lines:
            decoded = json.typed_loadb(line)
            yield from decoded if isinstance(decoded, list) else (decoded,)
