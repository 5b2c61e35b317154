"""A state belongs to one domain on one server: tap-ossit refuses any other, naming why.

A state of another domain (a job whose key changed), of another server, or holding a
bookmark beyond the server's present would start the read past records that exist, and
end with 0 records and exit 0. Each is refused before any record is emitted, with one line
that says what is wrong and how to reset; a forged cursor is never followed; a state
written before origins existed (0.2.0) still resumes.
"""

from __future__ import annotations

import copy
import datetime
from typing import Any

import pytest
from ossit_sync.reading import STATE_ORIGIN


def _stream_states(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Every stream's (or partition's) own state in a Singer state."""
    parts = []
    for stream_state in state["bookmarks"].values():
        parts += stream_state.get("partitions") or [stream_state]
    return parts


def _last_line(stderr: str) -> str:
    return stderr.strip().splitlines()[-1]


@pytest.fixture
def read_once(sandbox: Any, tap_cli: Any, domain_key: str) -> tuple[dict[str, Any], Any]:
    """A domain with data, read once: its config and the state that read ended with."""
    sandbox.generate(domain_key, groups=2, statistics=2, days=20, intervals=4, seed=5)
    config = {"domain_key": domain_key, "base_url": sandbox.base_url}
    return config, tap_cli.run(config)


def test_every_state_and_record_names_the_domain_and_server_it_was_read_from(
    read_once: tuple[dict[str, Any], Any], sandbox: Any
) -> None:
    config, first = read_once
    origins = {part[STATE_ORIGIN] for part in _stream_states(first.final_state)}
    assert len(origins) == 1
    (origin,) = origins
    assert origin.endswith("@" + sandbox.base_url)
    assert config["domain_key"] not in str(first.messages)
    assert first.origins == {origin}


def test_a_state_of_another_domain_is_refused_before_any_record(
    read_once: tuple[dict[str, Any], Any], sandbox: Any, tap_cli: Any
) -> None:
    config, first = read_once
    other_key = sandbox.create_domain("the key changed")
    sandbox.generate(other_key, groups=1, statistics=1, days=5, intervals=1, seed=6)

    run = tap_cli.run({**config, "domain_key": other_key}, first.final_state, expect_success=False)

    assert run.returncode == 1
    assert not any(m["type"] == "RECORD" for m in run.messages)
    last = _last_line(run.stderr)
    assert "tap-ossit stopped" in last and "a state belongs to one domain" in last
    assert "meltano state clear" in last and "Traceback" not in run.stderr
    assert other_key not in run.stderr and config["domain_key"] not in run.stderr


def test_a_state_of_another_server_is_refused(
    read_once: tuple[dict[str, Any], Any], sandbox_factory: Any, tap_cli: Any
) -> None:
    _, first = read_once
    elsewhere = sandbox_factory()
    key = elsewhere.create_domain("elsewhere")
    elsewhere.generate(key, groups=1, statistics=1, days=5, intervals=1, seed=7)

    run = tap_cli.run(
        {"domain_key": key, "base_url": elsewhere.base_url}, first.final_state, expect_success=False
    )

    assert run.returncode == 1
    assert not any(m["type"] == "RECORD" for m in run.messages)
    last = _last_line(run.stderr)
    assert f"this run reads {elsewhere.base_url}" in last and "one domain on one server" in last


def test_a_state_is_the_same_servers_under_another_spelling_of_its_url(
    read_once: tuple[dict[str, Any], Any], sandbox: Any, tap_cli: Any
) -> None:
    config, first = read_once
    localhost = sandbox.base_url.replace("127.0.0.1", "localhost") + "/"
    run = tap_cli.run({**config, "base_url": localhost}, first.final_state)
    assert not any(m["type"] == "RECORD" for m in run.messages)  # nothing changed since


def _add_points(api: Any, count: int) -> None:
    """``count`` new points, through the API: changes after the first read."""
    items = [
        {"group": "later", "statistic": "s", "reference_date": f"2026-01-{day:02d}", "value": day}
        for day in range(1, count + 1)
    ]
    api.points.batch(items, create_missing=True)


@pytest.mark.parametrize("ahead", [datetime.timedelta(days=36500), datetime.timedelta(hours=1)])
def test_a_bookmark_beyond_the_servers_present_is_refused(
    read_once: tuple[dict[str, Any], Any], tap_cli: Any, ahead: datetime.timedelta
) -> None:
    config, first = read_once
    state = copy.deepcopy(first.final_state)
    future = (datetime.datetime.now(datetime.UTC) + ahead).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    for part in _stream_states(state):
        part["replication_key_value"] = future

    run = tap_cli.run(config, state, expect_success=False)

    assert run.returncode == 1
    assert not any(m["type"] == "RECORD" for m in run.messages)
    last = _last_line(run.stderr)
    assert "later than the server's present" in last and "clear the state" in last


def test_a_forged_cursor_is_never_followed(
    api: Any, tap_cli: Any, read_once: tuple[dict[str, Any], Any]
) -> None:
    """A cursor pointing past every record, tied to the right bookmark but not signed by
    this domain, is ignored: the read restarts at the bookmark and finds the changes."""
    config, first = read_once
    _add_points(api, 10)
    state = copy.deepcopy(first.final_state)
    for part in _stream_states(state):
        bookmark = part["replication_key_value"]
        part["next_page"] = {"after": bookmark, "cursor": "ZZZZ", "signature": "0" * 32}

    run = tap_cli.run(config, state)

    assert len(run.records["points"]) == 10


def test_a_state_written_before_origins_resumes(
    read_once: tuple[dict[str, Any], Any], api: Any, tap_cli: Any
) -> None:
    """0.2.0 states: no origin, an unsigned cursor. Taken as this run's; the cursor is not
    followed (it cannot be checked), the bookmark is."""
    config, first = read_once
    old = copy.deepcopy(first.final_state)
    for part in _stream_states(old):
        part.pop(STATE_ORIGIN)
        part["next_page"] = {"after": part["replication_key_value"], "cursor": "eyJ4IjoxfQ"}
    _add_points(api, 5)

    run = tap_cli.run(config, old)

    assert len(run.records["points"]) == 5
    assert all(part[STATE_ORIGIN] for part in _stream_states(run.final_state))


@pytest.mark.parametrize(
    ("state", "says"),
    [
        ([], "it is a list, not an object"),
        ("a/path/to/open", "it is a string, not an object"),
        ({"bookmarks": []}, "`bookmarks` is a list, not an object"),
        ({"bookmarks": {"points": []}}, "stream 'points' is a list, not an object"),
        (
            {"bookmarks": {"points": {"replication_key_value": 5}}},
            "stream 'points': `replication_key_value` is a number, not a timestamp",
        ),
        (
            {"bookmarks": {"points": {"replication_key_value": "soon"}}},
            "stream 'points': `replication_key_value` is 'soon', not a timestamp",
        ),
        (
            {"bookmarks": {"intervals": {"partitions": "g1"}}},
            "stream 'intervals': `partitions` is a string, not a list",
        ),
        (
            {"bookmarks": {"points": {"partitions": [{"context": {"group": "g"}}, 7]}}},
            "stream 'points', partitions[1] is a number, not an object",
        ),
        (
            {"bookmarks": {"points": {"partitions": [{"context": [1]}]}}},
            "stream 'points', partitions[0]: `context` is a list, not an object",
        ),
        (
            {
                "bookmarks": {
                    "points": {"replication_key_value": "2026-01-01T00:00:00Z", "next_page": ["x"]}
                }
            },
            "stream 'points': `next_page` is a list, not an object",
        ),
        ({"bookmarks": {"points": {"origin": 1}}}, "stream 'points': `origin` is a number"),
        (
            {"bookmarks": {"points": {"origin": "someone else"}}},
            "its `origin` is not an origin this connector writes",
        ),
    ],
)
def test_a_corrupt_state_is_named_in_one_line(
    tap_cli: Any, tap_config: dict[str, Any], state: Any, says: str
) -> None:
    run = tap_cli.run(tap_config, state, expect_success=False)

    assert run.returncode == 1
    assert not any(m["type"] == "RECORD" for m in run.messages)
    last = _last_line(run.stderr)
    assert "tap-ossit stopped: " in last and says in last and "clear the state" in last
    assert "Traceback" not in run.stderr
