"""The protocol-neutral core on its own, against the real sandbox: no connector around it.

What an Airbyte adapter will rely on as much as the Singer one: where the loader cuts
batches (size, stream switch, state; never anything else), that a state is released only
after the batches before it are acknowledged, that add records after the last state are
held back, and where a read resumes.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from ossit_client import OssitClient, Signer
from ossit_sandbox.launcher import SandboxServer
from ossit_sync.loading import BatchLoader, InvalidRecordError
from ossit_sync.reading import KindReader, Position, ReadOptions, api_timestamp, resume


def _point(statistic: str, day: int, value: float, method: str | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "group": "g",
        "statistic": statistic,
        "reference_date": (datetime.date(2025, 1, 1) + datetime.timedelta(days=day)).isoformat(),
        "value": value,
    }
    if method:
        record["method"] = method
    return record


@pytest.fixture
def client(sandbox: SandboxServer, domain_key: str) -> Iterator[OssitClient]:
    with OssitClient(domain_key, base_url=sandbox.base_url) as client:
        yield client


def _batch_writes(sandbox: SandboxServer, key: str) -> int:
    by_endpoint = sandbox.stats(key)["by_endpoint"]
    return sum(n for endpoint, n in by_endpoint.items() if endpoint.endswith("/batch"))


def test_batches_are_cut_by_size_stream_and_state_and_states_wait_for_them(
    client: OssitClient, sandbox: SandboxServer, domain_key: str
) -> None:
    written: list[dict[str, Any]] = []
    loader = BatchLoader(lambda: client, written.append, batch_size=3)
    try:
        for day in range(7):  # 3 + 3 + 1
            loader.add("a", "points", _point("s", day, day), line=day + 1)
        loader.add("b", "points", _point("t", 0, 1.0), line=8)  # stream switch: cut
        loader.state({"n": 1})  # cut again
        loader.add("b", "points", _point("t", 1, 2.0), line=10)
        assert loader.finish() == 0
        loader.write_state_now({"n": 2})
    finally:
        loader.close()
    assert written == [{"n": 1}, {"n": 2}]
    assert _batch_writes(sandbox, domain_key) == 5  # 3 + 3 + 1 (a), 1 (b), 1 (b after state)
    assert len(list(client.points.list())) == 9


def test_add_records_after_the_last_state_are_held_back(
    client: OssitClient, sandbox: SandboxServer, domain_key: str
) -> None:
    loader = BatchLoader(lambda: client, lambda state: None, batch_size=100)
    try:
        loader.add("p", "points", _point("s", 0, 5.0, method="set"), line=1)
        loader.state({"n": 1})
        loader.add("p", "points", _point("s", 0, 1.0, method="add"), line=3)
        assert loader.finish() == 1
    finally:
        loader.close()
    assert [p["value"] for p in client.points.list()] == [5.0]


def test_a_record_missing_a_field_of_its_kind_names_it(client: OssitClient) -> None:
    loader = BatchLoader(lambda: client, lambda state: None, batch_size=100)
    try:
        record = _point("s", 0, 1.0)
        del record["reference_date"]
        with pytest.raises(InvalidRecordError) as caught:
            loader.add("kpis", "points", record, line=7)
    finally:
        loader.close()
    assert (caught.value.stream, caught.value.field) == ("kpis", "reference_date")


def test_resume_continues_a_saved_cursor_only_from_its_own_bookmark_signed_by_its_domain() -> None:
    signer = Signer("http://127.0.0.1:1", "key")
    bookmark = "2026-01-02T03:04:05.000000Z"
    saved = Position(bookmark, "abc").to_state(signer)
    assert resume(bookmark, bookmark, saved, signer).position == Position(bookmark, "abc")
    assert resume(bookmark, bookmark, saved, signer).already_emitted == bookmark
    later = "2026-02-01T00:00:00+00:00"  # a start date after the bookmark: no cursor
    assert resume(later, bookmark, saved, signer).position == Position(api_timestamp(later))
    assert resume(later, bookmark, saved, signer).already_emitted is None
    stale = {**saved, "after": "2020-01-01T00:00:00.000000Z"}
    assert resume(bookmark, bookmark, stale, signer).position.cursor is None
    assert resume(None, None, None, signer).position == Position()
    # unsigned (0.2.0), forged, or signed by another domain: the bookmark alone
    for forged in (
        {"after": bookmark, "cursor": "abc"},
        {**saved, "cursor": "abd"},
        Position(bookmark, "abc").to_state(Signer("http://127.0.0.1:1", "other key")),
    ):
        assert resume(bookmark, bookmark, forged, signer).position == Position(bookmark)


def test_the_reader_partitions_by_group_and_filters_the_groups_list(
    client: OssitClient,
) -> None:
    for group in ("g1", "g2", "g3"):
        client.points.batch(
            [{"group": group, "statistic": "s", "reference_date": "2025-01-01", "value": 1}],
            create_missing=True,
        )
    options = ReadOptions(groups=("g3", "g1"))
    points = KindReader(lambda: client, "points", options)
    assert points.partitions == ["g3", "g1"]
    read = [
        r["group"]
        for p in points.partitions
        for page in points.pages(p, resume(None, None, None, client.signer))
        for r in page.records
    ]
    assert read == ["g3", "g1"]
    groups = KindReader(lambda: client, "statistic_groups", options)
    assert groups.partitions is None
    start = resume(None, None, None, client.signer)
    names = [r["name"] for page in groups.pages(None, start) for r in page.records]
    assert sorted(names) == ["g1", "g3"]


def _statistic(stamp: str, *, deleted: bool, unit: str = "kg") -> dict[str, Any]:
    return {
        "group": "g",
        "name": "weight",
        "unit": unit,
        "updated_at": stamp,
        "deleted_at": stamp if deleted else None,
    }


@pytest.mark.parametrize(
    "order",
    [
        # A statistic purged, then created again under its name (two ids, one name).
        ["tombstone", "live"],  # the source's order
        ["live", "tombstone"],  # a store's order: the old tombstone last
    ],
)
def test_an_object_ends_as_its_latest_change_says_whatever_the_input_order(
    client: OssitClient, order: list[str]
) -> None:
    client.statistic_groups.create("g")
    records = {
        # Spelled differently (a cache drops the Z): compared as instants, not as text.
        "tombstone": _statistic("2026-01-01T10:00:00.5Z", deleted=True, unit="lb"),
        "live": _statistic("2026-01-01T10:00:01", deleted=False),
    }
    loader = BatchLoader(lambda: client, lambda state: None, batch_size=100)
    try:
        for line, name in enumerate(order, start=1):
            loader.add("statistics", "statistics", records[name], line=line)
        loader.finish()
    finally:
        loader.close()

    (statistic,) = client.statistics.list()
    assert (statistic["name"], statistic["unit"]) == ("weight", "kg")


def test_an_older_change_arriving_last_is_dropped_and_records_without_a_time_keep_input_order(
    client: OssitClient,
) -> None:
    loader = BatchLoader(lambda: client, lambda state: None, batch_size=100)
    try:
        new = {"name": "g", "description": "new", "updated_at": "2026-01-02T00:00:00Z"}
        old = {"name": "g", "description": "old", "updated_at": "2026-01-01T00:00:00Z"}
        loader.add("g", "statistic_groups", new, line=1)
        loader.add("g", "statistic_groups", old, line=2)
        loader.add("h", "statistic_groups", {"name": "h", "description": "first"}, line=3)
        loader.add("h", "statistic_groups", {"name": "h", "description": "second"}, line=4)
        loader.finish()
    finally:
        loader.close()

    groups = {g["name"]: g["description"] for g in client.statistic_groups.list()}
    assert groups == {"g": "new", "h": "second"}


def test_a_history_sent_again_leaves_an_object_made_again_untouched(client: OssitClient) -> None:
    """A store re-sends a purge and the re-creation after it: within one batch the later
    change replaces the earlier, so the destination's statistic keeps its id and points."""
    client.statistic_groups.create("g")
    made = client.statistics.create("g", "weight", 3.0, reference_date="2026-01-05", unit="kg")
    history = [
        _statistic("2026-01-01T10:00:00Z", deleted=True, unit="lb"),
        _statistic("2026-01-01T10:00:01Z", deleted=False),
    ]
    loader = BatchLoader(lambda: client, lambda state: None, batch_size=100)
    try:
        for line, record in enumerate(history, start=1):
            loader.add("statistics", "statistics", record, line=line)
        loader.finish()
    finally:
        loader.close()

    (statistic,) = client.statistics.list()
    assert (statistic["id"], statistic["unit"]) == (made["id"], "kg")
    assert [p["value"] for p in client.points.list()] == [3.0]
