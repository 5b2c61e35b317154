"""The command line: --about, --discover, settings checked before any request, a refused key."""

from __future__ import annotations

import json

import pytest
from ossit_sandbox.launcher import SandboxServer
from singer_sdk.exceptions import ConfigValidationError
from tap_ossit.tap import TapOssit

SETTINGS = (
    "domain_key",
    "base_url",
    "start_date",
    "groups",
    "page_size",
    "max_requests_per_hour",
    "include_deleted",
    "add_sdc_deleted_at",
    "user_agent",
)


def test_about_markdown_documents_every_setting(tap_cli) -> None:
    result = tap_cli.text("--about", "--format=markdown")

    assert result.returncode == 0, result.stderr
    assert "# `tap-ossit`" in result.stdout
    assert "Singer tap for Ossit" in result.stdout  # the Tap docstring, shown by Meltano
    for setting in SETTINGS:
        assert f"| {setting} " in result.stdout, setting


def test_about_heading_is_markdown_not_a_code_block(tap_cli) -> None:
    """Four leading spaces make a Markdown code block: the heading must start its line."""
    markdown = tap_cli.text("--about", "--format=markdown")
    text = tap_cli.text("--about")

    assert markdown.returncode == text.returncode == 0, markdown.stderr + text.stderr
    header = markdown.stdout.split("## Capabilities")[0]
    lines = [line for line in header.splitlines() if line.strip()]
    assert lines[0] == "# `tap-ossit`"
    assert lines[1] == TapOssit.__doc__
    assert [line for line in lines if line[0].isspace()] == []
    assert text.stdout.splitlines()[:2] == ["Name: tap-ossit", f"Description: {TapOssit.__doc__}"]


def test_about_json_marks_the_key_secret_and_states_defaults(tap_cli) -> None:
    about = json.loads(tap_cli.text("--about", "--format=json").stdout)

    properties = about["settings"]["properties"]
    assert set(SETTINGS) <= set(properties)
    assert about["settings"]["required"] == ["domain_key"]
    assert properties["domain_key"]["secret"] is True
    assert properties["base_url"]["default"] == "https://ossit.ca"
    assert properties["page_size"] == {**properties["page_size"], "default": 1000, "maximum": 1000}
    assert properties["include_deleted"]["default"] is True
    assert properties["add_sdc_deleted_at"]["default"] is False
    assert {"stream-maps", "schema-flattening", "state", "catalog"} <= set(about["capabilities"])


def test_discover_declares_four_incremental_streams_keyed_by_id(tap_cli) -> None:
    result = tap_cli.text("--discover")

    assert result.returncode == 0, result.stderr
    streams = json.loads(result.stdout)["streams"]
    assert [s["tap_stream_id"] for s in streams] == [
        "statistic_groups",
        "statistics",
        "points",
        "intervals",
    ]
    for stream in streams:
        assert stream["key_properties"] == ["id"]
        assert stream["replication_key"] == "updated_at"
        assert stream["replication_method"] == "INCREMENTAL"
        assert "deleted_at" in stream["schema"]["properties"]


@pytest.mark.parametrize(
    ("change", "setting"),
    [
        ({"domain_key": None}, "domain_key"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 1001}, "page_size"),
        ({"max_requests_per_hour": 0}, "max_requests_per_hour"),
        ({"include_deleted": "yes"}, "include_deleted"),
        ({"groups": "north"}, "groups"),
        ({"start_date": "last tuesday"}, "start_date"),
        ({"base_url": "ftp://127.0.0.1"}, "base_url"),
        ({"base_url": "http://ossit.example.com"}, "base_url"),
    ],
)
def test_a_bad_setting_is_refused_naming_it(tap_config, change, setting) -> None:
    config = {k: v for k, v in {**tap_config, **change}.items() if v is not None}

    with pytest.raises(ConfigValidationError) as refused:
        TapOssit(config=config)

    assert [error for error in refused.value.errors if setting in error]


def test_a_bad_setting_ends_the_cli_before_any_request(
    sandbox: SandboxServer, domain_key: str, tap_config, tap_cli
) -> None:
    run = tap_cli.run({**tap_config, "page_size": 5000}, expect_success=False)

    assert run.returncode != 0
    assert not run.messages
    assert "5000 is greater than the maximum of 1000 in config['page_size']" in run.stderr
    assert "Traceback" not in run.stderr
    assert domain_key not in run.stderr
    assert sandbox.stats(domain_key)["requests"] == 0


def test_an_unknown_key_ends_the_run_saying_it_was_refused(sandbox: SandboxServer, tap_cli) -> None:
    secret = "not-a-domain-key-4f1e9c"

    run = tap_cli.run({"domain_key": secret, "base_url": sandbox.base_url}, expect_success=False)

    assert run.returncode != 0
    assert "refused the domain key (HTTP 401)" in run.stderr
    assert not [m for m in run.messages if m["type"] == "RECORD"]
    assert secret not in run.stderr
    assert secret not in json.dumps(run.messages)


def test_a_forbidden_key_ends_the_run_at_once(
    sandbox: SandboxServer, domain_key: str, tap_config, tap_cli
) -> None:
    sandbox.generate(domain_key, groups=1, statistics=1, days=2, intervals=1, seed=41)
    sandbox.add_fault(domain_key, status=403, method="GET", path="/v1/api/", count=-1)

    run = tap_cli.run(tap_config, expect_success=False)

    assert run.returncode != 0
    assert "refused the domain key (HTTP 403)" in run.stderr
    assert domain_key not in run.stderr
    assert sandbox.stats(domain_key)["requests"] == 1  # no retry, no further stream
