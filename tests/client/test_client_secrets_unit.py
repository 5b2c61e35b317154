"""Table tests of the URL check and of the key-masking pieces."""

from __future__ import annotations

import logging
import sys

import pytest
from ossit_client._masking import SecretFilter
from ossit_client._origin import Origin, Signer, server_of
from ossit_client._secrets import BearerAuth, check_base_url


@pytest.mark.parametrize(
    ("url", "insecure", "expected"),
    [
        ("https://ossit.ca", False, "https://ossit.ca"),
        ("https://ossit.ca/", False, "https://ossit.ca"),
        ("http://127.0.0.1:8000", False, "http://127.0.0.1:8000"),
        ("http://127.3.4.5:8000/", False, "http://127.3.4.5:8000"),
        ("http://localhost:1", False, "http://localhost:1"),
        ("http://[::1]:8080", False, "http://[::1]:8080"),
        ("http://example.com", True, "http://example.com"),
    ],
)
def test_accepted_base_urls(url: str, insecure: bool, expected: str) -> None:
    assert check_base_url(url, insecure) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://ossit.ca",
        "http://10.0.0.1:8000",
        "http://localhost.example.com",
        "ftp://ossit.ca",
        "ossit.ca",
        "https://user:pw@ossit.ca",
        "https://ossit.ca?x=1",
    ],
)
def test_refused_base_urls(url: str) -> None:
    with pytest.raises(ValueError):
        check_base_url(url, False)


def test_an_origin_is_stable_and_reveals_no_key() -> None:
    a = Origin.of("https://ossit.ca", "key-one")
    assert a == Origin.of("https://ossit.ca", "key-one")
    assert a.domain != Origin.of("https://ossit.ca", "key-two").domain
    assert a.domain != Origin.of("http://127.0.0.1:1", "key-one").domain
    assert "key-one" not in str(a)
    assert Origin.parse(str(a)) == a


@pytest.mark.parametrize(
    ("spelling", "server"),
    [
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://localhost:8765/", "http://127.0.0.1:8765"),
        ("HTTP://LOCALHOST:8765//", "http://127.0.0.1:8765"),
        ("http://[::1]:8765", "http://127.0.0.1:8765"),
        ("https://Ossit.CA:443/", "https://ossit.ca"),
        ("https://ossit.ca.", "https://ossit.ca"),
        ("http://127.0.0.1:80", "http://127.0.0.1"),
        ("https://ossit.ca:8443/api/", "https://ossit.ca:8443/api"),
    ],
)
def test_every_spelling_of_a_server_is_one_server(spelling: str, server: str) -> None:
    assert server_of(spelling) == server
    assert Origin.of(spelling, "k") == Origin.of(server, "k")


@pytest.mark.parametrize("text", [None, 3, "", "abc@http://x", "0" * 24 + "@ftp://x", "x" * 24])
def test_anything_but_an_origin_parses_as_none(text: object) -> None:
    assert Origin.parse(text) is None


def test_a_signature_holds_for_its_key_and_parts_only() -> None:
    signer = Signer("http://127.0.0.1:1", "key-one")
    mac = signer.sign("a", "bc")
    assert signer.verify(mac, "a", "bc")
    assert not signer.verify(mac, "ab", "c")
    assert not Signer("http://127.0.0.1:1", "key-two").verify(mac, "a", "bc")
    assert not Signer("http://127.0.0.1:2", "key-one").verify(mac, "a", "bc")
    assert Signer("http://localhost:1/", "key-one").verify(mac, "a", "bc")
    assert "key-one" not in repr(signer)


def test_bearer_auth_repr_hides_the_key() -> None:
    assert "s3cr3t" not in repr(BearerAuth("s3cr3t"))


def test_filter_masks_message_args_and_exception_text() -> None:
    masker = SecretFilter()
    masker.register("s3cr3t")
    try:
        raise RuntimeError("boom s3cr3t")
    except RuntimeError:
        record = logging.LogRecord(
            "x", logging.INFO, __file__, 1, "key=%s in %s", ("s3cr3t", "url"), sys.exc_info()
        )
    assert masker.filter(record)
    assert record.getMessage() == "key=*** in url"
    text = logging.Formatter().format(record)  # the secret is in a frame's line too
    assert "s3cr3t" not in text
    assert "RuntimeError: boom ***" in text


def test_decimal_settings_as_singer_sdk_reads_them_are_numbers() -> None:
    """singer-sdk parses a config file's decimals as ``Decimal``: a rate window of 2.0 or a
    timeout of 1.5 is a number, and the client gets it as a float."""
    from decimal import Decimal

    from ossit_client.settings import client_options, connection_setting_errors

    config = {"domain_key": "k", "rate_window": Decimal("2.0"), "timeout": Decimal("1.5")}
    assert connection_setting_errors(config) == []
    assert client_options(config) == {"rate_window": 2.0, "timeout": 1.5}
