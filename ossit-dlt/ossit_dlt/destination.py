"""``ossit_destination``: dlt tables into an Ossit domain, a thin adapter over the core's loader.

Loading is the core's (``ossit_sync.loading``), the same as target-ossit's and
destination-ossit's: rows shaped into API items, batches of 1000, deletes applied, the
groups and statistics a domain lacks created, replay-safe idempotency keys. This module
maps dlt onto it:

- a table loads as the kind it is named after, or as ``kinds`` maps it
  (``kinds={"daily": "points"}``, target-ossit's ``stream_kinds``);
- dlt hands over one load job's file at a time (``batch_size=0``), jobs one after the other
  (``loader_parallelism_strategy="sequential"``); the loader reads the whole file, so the
  batches it cuts depend on the file alone. The load is named after the package and the
  file (``dlt:<load id>:<table>:<file id>``), which a retry of the job keeps: a retried job
  (dlt retries a job after a transient failure, and a package left pending by a killed
  run on the next ``run`` or ``load``) sends the same batches under the same
  Idempotency-Keys, the API answers those it applied as replays, and every value is
  applied exactly once within its 24 hours;
- a row that cannot load fails its job for good (``DestinationTerminalException``), the
  message naming the table, the row of the job's file and the field; a server that stays
  unavailable beyond the client's retries fails it for a retry.
"""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal
from typing import Any

import dlt
from dlt.common.destination.exceptions import (
    DestinationTerminalException,
    DestinationTransientException,
)
from dlt.common.schema import TTableSchema
from dlt.common.typing import TDataItems
from ossit_client import (
    APIConnectionError,
    APITimeoutError,
    InternalServerError,
    OssitClient,
    RateLimitError,
)
from ossit_schemas import values
from ossit_sync.loading import BatchLoader, InputError
from ossit_sync.loading.settings import LOAD_SETTINGS, LoadOptions
from ossit_sync.reading import api_timestamp

from ossit_dlt import _dlt
from ossit_dlt.settings import checked, with_settings

logger = logging.getLogger(__name__)

NAME = "ossit"
"""The destination's name: ``destination.ossit.<setting>``, ``DESTINATION__OSSIT__<SETTING>``."""

DLT_PREFIX = "_dlt_"
"""dlt's own columns (``_dlt_load_id``, ``_dlt_id``): not the row's."""

DESTINATION_SETTINGS: dict[str, dict[str, Any]] = {
    "api_batch_size": LOAD_SETTINGS["batch_size"],
    "kinds": LOAD_SETTINGS["stream_kinds"],
    "process_deletes": LOAD_SETTINGS["process_deletes"],
}
"""A load's settings, target-ossit's under two other names: ``batch_size`` is the name of
dlt's own setting of a custom destination (rows per call), and ``stream_kinds`` maps tables
here. ``load_id`` is the load package's (see the module)."""

RETRYABLE = (RateLimitError, InternalServerError, APIConnectionError, APITimeoutError)
"""What the client still met after its own retries that a later retry of the job may not."""


@dlt.destination(
    batch_size=0,
    name=NAME,
    naming_convention="direct",
    max_table_nesting=0,
    skip_dlt_columns_and_tables=True,
    loader_parallelism_strategy="sequential",
)
@with_settings(DESTINATION_SETTINGS)
def ossit_destination(items: TDataItems, table: TTableSchema, /, **settings: Any) -> None:
    """Load one load job's file (``items`` is its path) into the Ossit domain of the key."""
    config = checked("ossit_destination", settings, DESTINATION_SETTINGS)
    options = LoadOptions.from_config(
        {**config, "batch_size": config.get("api_batch_size"), "stream_kinds": config.get("kinds")}
    )
    load_job(str(items), options, config)


def load_job(path: str, options: LoadOptions, config: dict[str, Any]) -> None:
    """Load every row of the job's file; fail the job, naming table, row and field."""
    job = _dlt.job_file(path)
    package = dlt.current.load_package_state()["load_id"]
    try:
        kind = options.kind_of(job.table)
    except InputError as exc:
        raise DestinationTerminalException(f"table '{job.table}': {exc.reason}") from None
    with OssitClient.from_config(config) as client:
        loader = BatchLoader(
            lambda: client,
            lambda _state: None,
            batch_size=options.batch_size,
            load_id=f"dlt:{package}:{job.table}:{job.file_id}",
            process_deletes=options.process_deletes,
        )
        row = 0
        try:
            for row, record in enumerate(_dlt.rows(path), 1):
                loader.add(job.table, kind, _as_read(record), row)
            loader.state({})  # the file is whole: nothing of it is held back
            loader.finish()
        except InputError as exc:
            loader.settle()
            failure = _failure(exc, job, row)
            if isinstance(exc.__cause__, RETRYABLE):
                raise DestinationTransientException(failure) from exc
            raise DestinationTerminalException(failure) from exc
        finally:
            for notice in loader.report.notices():
                logger.warning("ossit_destination, %s", notice.replace("stream '", "table '", 1))
            loader.close()


def _failure(exc: InputError, job: _dlt.JobFile, row: int) -> str:
    """One line naming the table, the row of the job's file and the field."""
    where = [f"table '{job.table}'", f"row {exc.line or row} of load job {job.name}"]
    if exc.field is not None:
        where.append(f"field '{exc.field}'")
    return f"ossit_destination failed: {', '.join(where)}: {exc.reason}"


def _as_read(record: dict[str, Any]) -> dict[str, Any]:
    """The row as a reader wrote it: dlt's columns dropped, times and dates as the API
    writes them, decimals as the numbers they spell (kept exactly or refused by the core)."""
    return {
        name: _as_text(value) for name, value in record.items() if not name.startswith(DLT_PREFIX)
    }


_PLAIN = (str, int, float, bool, type(None))
"""What a row holds as the reader wrote it already (most of its values: checked first)."""


def _as_text(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)  # dlt keeps naive times as UTC
        try:
            return values.format_timestamp(value)  # the API's form, without a text between
        except OverflowError:  # before year 1 in UTC: refused as a text would be
            return api_timestamp(value.isoformat())
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    return value
