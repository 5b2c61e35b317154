"""Keyset pagination, incremental reads and the strictly increasing stamps behind them."""

from __future__ import annotations

import math
from datetime import date, timedelta

from ossit_sandbox.launcher import SandboxServer
from sandbox_api import Api

FIRST = date(2025, 12, 31)


def _fill(api: Api, days: int, statistics: tuple[str, ...] = ("s",)) -> None:
    items = [
        {"group": "G", "statistic": s, "reference_date": str(FIRST + timedelta(d)), "value": d}
        for s in statistics
        for d in range(1, days + 1)
    ]
    api.ok(api.post("/points/batch", {"points": items, "create_missing": True}))


def test_a_full_read_costs_ceil_n_over_limit_requests(api: Api) -> None:
    _fill(api, 25)
    for limit in (1, 5, 7, 25, 100):
        pages, records, cursor = 0, [], None
        while True:
            params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
            page = api.ok(api.get("/points", **params))
            pages += 1
            assert len(page["data"]) <= limit
            records.extend(page["data"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == max(1, math.ceil(25 / limit))
        keys = [(r["updated_at"], r["id"]) for r in records]
        assert keys == sorted(keys) and len(set(keys)) == 25


def test_default_limit_is_100(api: Api) -> None:
    _fill(api, 30, ("a", "b", "c", "d"))
    page = api.ok(api.get("/points"))
    assert len(page["data"]) == 100 and page["next_cursor"] is not None


def test_records_changed_between_pages_are_read_again_never_skipped(api: Api) -> None:
    _fill(api, 20)
    seen: dict[str, list[float]] = {}
    cursor, changed = None, False
    while True:
        page = api.ok(api.get("/points", limit=5, **({"cursor": cursor} if cursor else {})))
        for record in page["data"]:
            seen.setdefault(record["reference_date"], []).append(record["value"])
        if not changed:
            # Change one record already read and one not yet read, then keep paging.
            updates = [
                {"group": "G", "statistic": "s", "reference_date": day, "value": 100}
                for day in ("2026-01-02", "2026-01-15")
            ]
            api.ok(api.post("/points/batch", {"points": updates}))
            changed = True
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 20
    assert seen["2026-01-02"] == [2, 100]
    assert seen["2026-01-15"] == [100]


def test_updated_since_is_inclusive(api: Api) -> None:
    _fill(api, 10)
    records = api.read_all("/points")
    pivot = records[4]["updated_at"]
    since = api.read_all("/points", updated_since=pivot)
    assert [r["id"] for r in since] == [r["id"] for r in records[4:]]
    # The same instant written with an offset and fewer digits means the same thing.
    assert api.read_all("/points", updated_since=records[-1]["updated_at"]) == records[-1:]
    assert api.read_all("/points", updated_since="2999-01-01T00:00:00+00:00") == []
    assert len(api.read_all("/points", updated_since="2000-01-01T00:00:00Z")) == 10


def test_an_empty_incremental_read_costs_one_request(api: Api) -> None:
    _fill(api, 3)
    last = api.read_all("/points")[-1]["updated_at"]
    page = api.ok(api.get("/points", updated_since=last, limit=1))
    assert len(page["data"]) == 1 and page["next_cursor"] is None


def test_list_parameter_errors(api: Api) -> None:
    for params, field in (
        ({"limit": 0}, "limit"), ({"limit": 1001}, "limit"), ({"limit": "ten"}, "limit"),
        ({"cursor": "garbage!"}, "cursor"), ({"cursor": "WzEsMl0"}, "cursor"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"updated_since": "2026-01-01T00:00:00"}, "updated_since"),
        ({"include_deleted": "maybe"}, "include_deleted"),
    ):  # fmt: skip
        for path in ("/points", "/statistics", "/statistic-groups", "/intervals"):
            answer = api.get(path, **params)
            assert answer.status_code == 422, (path, params)
            assert answer.json()["error"]["field"] == field


def test_stamps_strictly_increase_across_types_batches_and_cascades(api: Api) -> None:
    _fill(api, 50, ("a", "b"))
    api.ok(
        api.post("/intervals", {"group": "G", "type": "run", "start": "2026-01-01T00:00:00Z"}), 201
    )
    api.ok(api.delete("/statistic-groups/G"))
    stamps = []
    for path in ("/statistic-groups", "/statistics", "/points", "/intervals"):
        records = api.read_all(path, include_deleted="true", limit=1000)
        assert all(r["deleted_at"] == r["updated_at"] for r in records)
        stamps.extend(r["updated_at"] for r in records)
    assert len(stamps) == 1 + 2 + 100 + 1
    assert len(set(stamps)) == len(stamps)
    for stamp in stamps:
        assert len(stamp) == 27 and stamp.endswith("Z") and stamp[19] == "."


def test_group_delete_cascade_then_incremental_read(api: Api) -> None:
    _fill(api, 5)
    bookmark = api.read_all("/points")[-1]["updated_at"]
    api.ok(api.delete("/statistic-groups/G"))
    changed = api.read_all("/points", updated_since=bookmark, include_deleted="true")
    assert len(changed) == 5 and all(r["deleted_at"] for r in changed)
    assert api.read_all("/points", updated_since=bookmark) == []


def test_big_generated_domain_reads_completely(sandbox: SandboxServer, make_api) -> None:
    key = sandbox.create_domain("generated")
    summary = sandbox.generate(key, groups=3, statistics=4, days=250, intervals=21, seed=3)
    assert summary == {
        "statistic_groups": 3, "statistics": 12, "points": 3000, "intervals": 21,
        "intervals_open": 4, "intervals_deleted": 3,
    }  # fmt: skip
    api = make_api(sandbox, key)
    assert len(api.read_all("/points", limit=1000)) == 3000
    assert len(api.read_all("/statistics")) == 12
    assert len(api.read_all("/intervals")) == 18
    everything = api.read_all("/intervals", include_deleted="true")
    assert len(everything) == 21
    assert sum(r["end"] is None for r in everything) == 4
