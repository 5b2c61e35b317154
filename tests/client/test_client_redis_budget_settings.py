"""``budget_url`` as a setting: its checks, its password masked, its place in the schema.

No Redis is needed here: these are the checks made before any connection.
"""

from __future__ import annotations

import pytest
from ossit_client import BUDGET_URL_ENV
from ossit_client._budget_url import check_budget_url, masked_url, resolve_budget_url
from ossit_client._masking import SECRET_FILTER, masked_logger
from ossit_client.settings import (
    CONNECTION_SETTINGS,
    client_options,
    connection_setting_errors,
    settings_schema,
)

SECRET = "pw-budget-5d1e0b"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        (f"redis://:{SECRET}@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        (f"rediss://ops:{SECRET}@cache.example:6380/2", "rediss://ops:***@cache.example:6380/2"),
        ("redis://cache.example", "redis://cache.example"),
        (f"redis://cache.example/0?password={SECRET}", "redis://cache.example/0?password=***"),
        (f"redis://:{SECRET}@x@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
    ],
)
def test_accepted_budget_urls_and_how_they_are_shown(url: str, shown: str) -> None:
    assert check_budget_url(url) == url
    assert masked_url(url) == shown
    assert SECRET not in shown


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        (f"http://:{SECRET}@127.0.0.1:6379/0", "budget_url must be redis://"),
        (f"redis://:{SECRET}@/0", "budget_url must be redis://"),
        (f"redis://:{SECRET}@127.0.0.1:6379/db", "budget_url's database must be a number"),
        (f"redis://:{SECRET}@127.0.0.1:99999/0", "budget_url is no URL"),
        (f"redis://:{SECRET}@127.0.0.1:0/0", "budget_url's port"),
        (f"redis://:{SECRET} @127.0.0.1:6379/0", "printable ASCII without spaces"),
        (f"redis://:{SECRET}\x1b@127.0.0.1:6379/0", "printable ASCII"),
        (42, "budget_url must be a string"),
        (f"redis://:{SECRET}@x#y@127.0.0.1:6379/0", "percent-encode the password"),
        (f"redis://:{SECRET}@x?y@127.0.0.1:6379/0", "percent-encode the password"),
        (f"redis://:{SECRET}@x/y@127.0.0.1:6379/0", "percent-encode the password"),
        (f"redis://:{SECRET}/y@127.0.0.1:6379/0", "percent-encode the password"),
    ],
)
def test_refused_budget_urls_are_named_never_echoed(url: object, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint) as caught:
        check_budget_url(url)
    assert SECRET not in str(caught.value)
    if complaint.startswith("percent-encode"):  # unreadable: no part of it is shown
        assert "127.0.0.1" not in str(caught.value) and "@x" not in str(caught.value)


def test_the_password_is_masked_in_our_logs_once_the_url_is_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "pw-only-in-this-test-81c2"
    check_budget_url(f"redis://:{secret}@127.0.0.1:6379/0")
    assert SECRET_FILTER.shows_secret(f"connecting with {secret}")
    masked_logger("ossit_client.test").warning("password is %s", secret)  # a logger of ours
    assert secret not in caplog.text and "password is ***" in caplog.text


def test_resolve_prefers_the_setting_then_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BUDGET_URL_ENV, "redis://from-env:6379/0")
    assert resolve_budget_url(None) == "redis://from-env:6379/0"
    assert resolve_budget_url("redis://setting:6379/0") == "redis://setting:6379/0"
    assert resolve_budget_url("") is None  # set but empty: the file, whatever the environment
    monkeypatch.delenv(BUDGET_URL_ENV)
    assert resolve_budget_url(None) is None


def test_budget_url_is_a_secret_connection_setting_passed_to_the_client() -> None:
    setting = CONNECTION_SETTINGS["budget_url"]
    assert setting["secret"] is True and setting["writeOnly"] is True
    assert "budget_url" in settings_schema({})["properties"]
    url = f"redis://:{SECRET}@127.0.0.1:6379/0"
    assert client_options({"budget_url": url}) == {"budget_url": url}
    assert client_options({"budget_url": None}) == {}
    errors = connection_setting_errors({"budget_url": f"mysql://:{SECRET}@db/0"})
    assert len(errors) == 1 and errors[0].startswith("budget_url must be redis://")
    assert SECRET not in errors[0]
