"""Everything a log record can print is masked: message, args, ``extra`` fields, exception, stack,
by the handlers a connector's entry point owns (``mask_log_handlers``; the client never
touches its host's logging, see tests/test_good_citizen.py).

Structured formatters (singer-sdk's ``StructuredFormatter``, Meltano's structured logging)
print every ``extra`` attribute and build their exception data from ``exc_info``, so masking
only the rendered message is not enough. The key here escapes differently in a repr, JSON
and a URL, and masking must leave every value that shows no key as it was.
"""

from __future__ import annotations

import collections
import io
import json
import logging
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple
from urllib.parse import quote, quote_plus

import pytest
from hostile_server import assert_key_not_in
from ossit_client import mask_log_handlers
from ossit_client._masking import MAX_DEPTH, SECRET_FILTER, SecretFilter
from singer_sdk.logging import ConsoleFormatter, StructuredFormatter

pytestmark = pytest.mark.timeout(30)

KEY = "dk_mask/a+b c%d\\e\"f'g~4242"
SECRET_FILTER.register(KEY)  # what every client does; a process's keys are never removed


class Pair(NamedTuple):
    name: str
    number: int


class Shows:
    """An object whose repr quotes the key, as a config object's might."""

    def __repr__(self) -> str:
        return f"Shows(key={KEY!r})"


class Quiet:
    """An object that prints no key."""

    def __repr__(self) -> str:
        return "Quiet()"


@contextmanager
def captured(formatter: logging.Formatter, *names: str) -> Iterator[io.StringIO]:
    """What ``names``' records print through ``formatter`` on a handler of the root logger,
    masked as a connector's command line masks the handlers it owns."""
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    mask_log_handlers(root)
    root.setLevel(logging.INFO)
    try:
        yield output
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def raise_chained() -> None:
    try:
        raise ValueError(f"inner {KEY}")
    except ValueError as inner:
        raise RuntimeError(f"outer {KEY!r}") from inner


def extras() -> dict[str, Any]:
    return {
        "config": {"domain_key": KEY, "limit": 7, "nested": [{"deep": quote(KEY)}]},
        "pair": Pair(KEY, 3),
        "shows": Shows(),
        "keys": frozenset({KEY}),
        "clean": [1, "two", None],
        "number": 5,
    }


class _Custom(logging.Logger):
    """A logger class of another library (``logging.setLoggerClass``)."""


def test_extra_fields_and_exceptions_are_masked_in_structured_logs() -> None:
    custom = _Custom("other_library.custom")
    custom.parent = logging.getLogger()
    loggers: list[logging.Logger | logging.LoggerAdapter[logging.Logger]] = [
        logging.getLogger(),
        logging.getLogger("singer_sdk.metrics"),
        logging.getLogger("tap_ossit.streams"),
        logging.getLogger("meltano.anything"),
        custom,
        logging.LoggerAdapter(logging.getLogger("target_ossit.sinks"), {"adapter": KEY}),
    ]
    with captured(StructuredFormatter()) as output:
        for log in loggers:
            try:
                raise_chained()
            except RuntimeError:
                log.exception("failed for %s", KEY, extra=extras())
            log.info("stack", extra={"url": f"https://h/?key={quote_plus(KEY)}"}, stack_info=True)
    lines = output.getvalue().splitlines()
    assert_key_not_in(output.getvalue(), KEY)
    failures = [json.loads(line) for line in lines if '"message":"failed' in line]
    assert len(failures) == len(loggers)
    for entry in failures:
        assert entry["message"] == "failed for ***"
        # the structured exception is kept, masked: type, message, cause, frames
        exception = entry["exception"]
        assert (exception["type"], exception["module"]) == ("RuntimeError", "builtins")
        assert exception["message"] == "outer '***'"
        assert exception["cause"]["message"] == "inner ***"
        assert exception["traceback"][-1]["function"] == "raise_chained"
    assert failures[-1]["extra"]["adapter"] == "***"  # an adapter's extra replaces the call's
    for entry in failures[:-1]:
        extra = entry["extra"]
        assert extra["config"] == {"domain_key": "***", "limit": 7, "nested": [{"deep": "***"}]}
        assert extra["pair"] == ["***", 3]
        assert extra["shows"] == "Shows(key='***')"
        assert extra["clean"] == [1, "two", None]
        assert extra["number"] == 5


def test_text_logs_keep_the_exception_and_its_chain_masked() -> None:
    with captured(ConsoleFormatter()) as output:
        try:
            raise_chained()
        except RuntimeError:
            logging.getLogger("singer_sdk.tap").exception("boom")
    text = output.getvalue()
    assert_key_not_in(text, KEY)
    assert "ValueError: inner ***" in text
    assert "direct cause of the following exception" in text
    assert "RuntimeError: outer '***'" in text
    assert "in raise_chained" in text


def test_masking_keeps_values_that_show_no_key_as_they_are() -> None:
    clean: list[Any] = [
        {"a": [1, 2.5, None, True]},
        ("x", 1),
        Pair("x", 1),
        {"x"},
        Quiet(),
        b"bytes",
        3,
        2.5,
        None,
    ]
    for value in clean:
        assert SECRET_FILTER.mask_value(value) is value


def test_masking_copies_a_container_and_leaves_the_callers_alone() -> None:
    counts: collections.defaultdict[str, list[str]] = collections.defaultdict(list)
    counts["k"].append(KEY)
    masked = SECRET_FILTER.mask_value(
        {"counts": counts, "pair": Pair(KEY, 1), "set": {KEY, "x"}, "clean": Pair("x", 1)}
    )
    assert masked["counts"] == {"k": ["***"]}
    assert masked["pair"] == ("***", 1)
    assert masked["set"] == {"***", "x"}
    assert type(masked["clean"]) is Pair  # nothing to mask: the very same value
    assert counts["k"] == [KEY]  # the caller's value is not changed in place


def test_a_key_nested_deeper_than_the_walk_is_masked_as_text() -> None:
    value: Any = KEY
    for _ in range(MAX_DEPTH + 5):
        value = [value]
    masked = SECRET_FILTER.mask_value(value)
    assert_key_not_in(str(masked), KEY)
    assert "***" in str(masked)


def test_a_record_is_masked_in_every_attribute() -> None:
    masker = SecretFilter()
    masker.register(KEY)
    half = len(KEY) // 2
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "key=%s%s", (KEY[:half], KEY[half:]), None
    )
    record.stack_info = f"Stack (most recent call last):\n  {KEY}"
    record.exc_text = f"Traceback: {json.dumps(KEY)}"
    record.__dict__["custom"] = {"key": [KEY]}
    assert masker.filter(record)
    assert record.getMessage() == "key=***"  # a key only the arguments form together
    assert record.stack_info == "Stack (most recent call last):\n  ***"
    assert record.exc_text == 'Traceback: "***"'
    assert record.__dict__["custom"] == {"key": ["***"]}


def test_an_exception_that_prints_no_key_is_left_alone() -> None:
    try:
        raise KeyError("plain")
    except KeyError:
        info = sys.exc_info()
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "m", (), info)
    SECRET_FILTER.filter(record)
    assert record.exc_info is info
    assert record.exc_info[1] is not None
    assert "".join(traceback.format_exception(record.exc_info[1])).endswith("KeyError: 'plain'\n")


class Broken(dict):  # type: ignore[type-arg]
    """A mapping whose items cannot be listed (a proxy object gone stale, say)."""

    def items(self) -> Any:
        raise RuntimeError(f"gone, with {KEY}")


def test_a_value_that_breaks_masking_withholds_the_record_not_the_call() -> None:
    with captured(logging.Formatter("%(message)s | %(broken)s")) as output:
        logging.getLogger("tap_ossit.x").info("about %s", KEY, extra={"broken": Broken(a=KEY)})
    text = output.getvalue()
    assert_key_not_in(text, KEY)
    assert text == "(log record withheld: it could not be checked) | ***\n"
