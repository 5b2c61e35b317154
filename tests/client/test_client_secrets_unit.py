"""Table tests of the URL check and of the key-masking pieces."""

from __future__ import annotations

import logging
import sys

import pytest
from ossit_client._secrets import BearerAuth, SecretFilter, check_base_url, fingerprint


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


def test_fingerprint_is_stable_and_reveals_nothing() -> None:
    a = fingerprint("https://ossit.ca", "key-one")
    assert a == fingerprint("https://ossit.ca", "key-one")
    assert a != fingerprint("https://ossit.ca", "key-two")
    assert a != fingerprint("http://127.0.0.1:1", "key-one")
    assert "key-one" not in a


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
    assert record.exc_text is not None
    assert "s3cr3t" not in record.exc_text
    assert "***" in record.exc_text
