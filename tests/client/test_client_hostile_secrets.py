"""The domain key is checked once, and no spelling of it reaches any log line or error text.

The key used here (``hostile_key``) holds ``/ + space % \\ " '``: each escapes differently
in a repr, in JSON and in a URL, so a filter that masks only the raw text would miss them.
"""

from __future__ import annotations

import io
import json
import logging
import traceback
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, quote_plus

import ossit_client as oc
import pytest
from hostile_server import assert_key_not_in, key_spellings
from ossit_client import OssitClient, check_domain_key, mask_log_handlers

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("dk_live_abc\n", "dk_live_abc"),
        ("dk_live_abc\r\n", "dk_live_abc"),
        ("  dk_live_abc\t", "dk_live_abc"),
        ("dk live/+%", "dk live/+%"),
    ],
)
def test_surrounding_whitespace_is_stripped(value: str, key: str) -> None:
    assert check_domain_key(value) == key


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "empty"),
        (" \r\n", "empty"),
        ("sekrit\nsekrit", "a control character"),
        ("sekrit\x00sekrit", "a control character"),
        ("sekrit\x7fsekrit", "a control character"),
        ("sekrit\tsekrit", "a control character"),
        ("sekrité", "a non-ASCII character"),
        ("sekrit\u2028sekrit", "a non-ASCII character"),
        (None, "must be a string"),
        (b"sekrit", "must be a string"),
    ],
)
def test_an_unusable_key_is_refused_without_being_echoed(value: Any, problem: str) -> None:
    with pytest.raises(ValueError, match=f"domain_key .*{problem}") as caught:
        check_domain_key(value)
    assert "sekrit" not in str(caught.value)


def test_the_client_and_from_config_send_the_stripped_key(
    hostile: Callable, state_dir: Any
) -> None:
    server = hostile(lambda exchange: exchange.answer(200, {"data": [], "next_cursor": None}))
    for client in (
        OssitClient("dk_live_abc\r\n", base_url=server.base_url, state_dir=state_dir),
        OssitClient.from_config({"domain_key": "dk_live_abc\n", "base_url": server.base_url}),
    ):
        with client:
            list(client.statistic_groups.list())
    assert [r.headers["authorization"] for r in server.requests] == ["Bearer dk_live_abc"] * 2


@pytest.mark.parametrize("config", [{}, {"domain_key": None}, {"domain_key": "é-sekrit"}])
def test_from_config_refuses_a_missing_or_unusable_key(config: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="domain_key") as caught:
        OssitClient.from_config({**config, "base_url": "http://127.0.0.1:9"})
    assert "sekrit" not in str(caught.value)


@pytest.fixture
def streams() -> Iterator[dict[str, io.StringIO]]:
    """Log output of several loggers the connectors write to, with handlers of their own."""
    outputs: dict[str, io.StringIO] = {}
    attached: list[tuple[logging.Logger, logging.Handler, bool]] = []
    for name in ("", "singer_sdk.metrics", "tap_ossit.lonely", "urllib3.connectionpool"):
        target = logging.getLogger(name)
        outputs[name or "root"] = io.StringIO()
        handler = logging.StreamHandler(outputs[name or "root"])
        handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        attached.append((target, handler, target.propagate))
        target.addHandler(handler)
        mask_log_handlers(target)  # handlers a connector's command line owns
        target.setLevel(logging.DEBUG)
    logging.getLogger("tap_ossit.lonely").propagate = False  # only its own handler sees it
    yield outputs
    for target, handler, propagate in attached:
        target.removeHandler(handler)
        target.propagate = propagate
        target.setLevel(logging.NOTSET)


def test_every_spelling_is_masked_in_every_logger(
    hostile: Callable,
    fast_client: Callable,
    hostile_key: str,
    streams: dict[str, io.StringIO],
) -> None:
    fast_client(hostile(lambda exchange: None))  # registers the key
    config = {"domain_key": hostile_key, "base_url": "https://ossit.ca"}
    for name in ("singer_sdk.metrics", "tap_ossit.lonely", "urllib3.connectionpool", "x.y"):
        log = logging.getLogger(name)
        log.info("config %r", config)
        log.info("config %s", json.dumps(config))
        log.info(
            "url https://h/?key=%s and %s", quote(hostile_key, safe=""), quote_plus(hostile_key)
        )
        log.info("nested %r", json.dumps(config))
        log.warning(json.dumps({"repr": repr(hostile_key)}))
        try:
            raise RuntimeError(f"failed with {hostile_key!r}")
        except RuntimeError:
            log.exception("boom")
    texts = {name: stream.getvalue() for name, stream in streams.items()}
    assert texts["tap_ossit.lonely"].count("***") >= 6
    assert texts["root"].count("***") >= 18  # the other three loggers propagate to it
    for text in texts.values():
        assert_key_not_in(text, hostile_key)


def test_error_texts_are_masked_whatever_the_server_echoes(
    hostile: Callable, fast_client: Callable, hostile_key: str
) -> None:
    echo = " | ".join(key_spellings(hostile_key))

    def handler(exchange: Any) -> None:
        status = 400 if exchange.request.method == "GET" else 503
        exchange.answer(status, {"error": {"code": "bad", "message": f"key {echo}"}})

    client = fast_client(hostile(handler), max_retries=0)
    errors: list[oc.OssitError] = []
    for call in (
        lambda: client.statistic_groups.get("g"),
        lambda: client.statistic_groups.create("g"),
        lambda: client.points.batch([{"items": [hostile_key]}]),
    ):
        with pytest.raises(oc.OssitError) as caught:
            call()
        errors.append(caught.value)
    errors.append(oc.OssitError(f"anything quoting {hostile_key!r} or {quote(hostile_key)}"))
    for error in errors:
        assert "***" in str(error)
        for text in (str(error), repr(error), "".join(traceback.format_exception(error))):
            assert_key_not_in(text, hostile_key)
