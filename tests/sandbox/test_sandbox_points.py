"""Points: the domain-wide list with its filters, and the all-or-nothing batch."""

from __future__ import annotations

from datetime import date, timedelta

from sandbox_api import Api


def _item(day: str, value: float, **extra: object) -> dict:
    return {"group": "G", "statistic": "s", "reference_date": day, "value": value, **extra}


def _setup(api: Api) -> None:
    api.ok(api.post("/statistic-groups", {"name": "G"}), 201)
    api.ok(api.post("/statistics", {"group": "G", "name": "s"}), 201)


def test_batch_applies_every_method_in_order(api: Api) -> None:
    _setup(api)
    items = [
        _item("2026-01-01", 5),
        _item("2026-01-01", 2, method="add"),
        {"group": "G", "statistic": "s", "reference_date": "2026-01-02", "method": "increment"},
        _item("2026-01-03", 4, method="subtract"),
    ]
    data = api.ok(api.post("/points/batch", {"points": items}))["data"]
    assert [(p["reference_date"], p["value"]) for p in data] == [
        ("2026-01-01", 7), ("2026-01-01", 7), ("2026-01-02", 1), ("2026-01-03", -4),
    ]  # fmt: skip
    stamps = [p["updated_at"] for p in api.read_all("/points")]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3
    assert api.ok(api.get("/statistics/G/s"))["value"] == -4


def test_batch_is_all_or_nothing_and_lists_each_bad_item(api: Api) -> None:
    _setup(api)
    items = [
        _item("2026-01-01", 1),
        _item("2026-01-02", "x"),
        {"group": "G", "statistic": "s", "value": 1},
        _item("2026-01-04", 1, method="times"),
        "not an object",
    ]
    answer = api.post("/points/batch", {"points": items})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_items"
    assert [(i["index"], i["field"]) for i in error["items"]] == [
        (1, "value"), (2, "reference_date"), (3, "method"), (4, "item"),
    ]  # fmt: skip
    missing = [_item("2026-01-01", 1), {**_item("2026-01-02", 1), "statistic": "nope"},
               {**_item("2026-01-03", 1), "group": "nope"}]  # fmt: skip
    answer = api.post("/points/batch", {"points": missing})
    assert answer.status_code == 422
    assert [(i["index"], i["field"]) for i in answer.json()["error"]["items"]] == [
        (1, "statistic"), (2, "group"),
    ]  # fmt: skip
    assert api.read_all("/points", include_deleted="true") == []


def test_batch_create_missing_creates_groups_and_statistics(api: Api) -> None:
    items = [{**_item("2026-01-01", 1), "group": "New", "statistic": "n"}]
    assert api.post("/points/batch", {"points": items}).status_code == 422
    data = api.ok(api.post("/points/batch", {"points": items, "create_missing": True}))["data"]
    assert (data[0]["group"], data[0]["statistic"], data[0]["value"]) == ("New", "n", 1)
    assert api.ok(api.get("/statistics/New/n"))["value"] == 1


def test_batch_delete_items_and_resurrection(api: Api) -> None:
    _setup(api)
    api.ok(api.post("/points/batch", {"points": [_item("2026-01-01", 1), _item("2026-01-02", 2)]}))
    deletes = [_item("2026-01-01", 0, delete=True), _item("2026-01-09", 0, delete=True)]
    data = api.ok(api.post("/points/batch", {"points": deletes}))["data"]
    assert [(p["reference_date"], p["deleted_at"] is not None) for p in data] == [
        ("2026-01-01", True)
    ]
    assert [p["reference_date"] for p in api.read_all("/points")] == ["2026-01-02"]
    back = api.ok(api.post("/points/batch", {"points": [_item("2026-01-01", 9)]}))["data"][0]
    assert (back["id"], back["deleted_at"], back["value"]) == (data[0]["id"], None, 9)


def test_batch_limits(api: Api) -> None:
    _setup(api)
    days = [(date(2020, 1, 1) + timedelta(days=i)).isoformat() for i in range(1001)]
    too_many = [_item(day, 1) for day in days]
    answer = api.post("/points/batch", {"points": too_many})
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "points"
    data = api.ok(api.post("/points/batch", {"points": too_many[:1000]}))["data"]
    assert len(data) == 1000
    assert api.ok(api.post("/points/batch", {"points": []}))["data"] == []
    assert api.post("/points/batch", {"points": {}}).status_code == 422
    assert api.post("/points/batch", {}).status_code == 422
    assert api.post("/points/batch", {"points": [], "create_missing": "yes"}).status_code == 422


def test_unchanged_values_keep_their_stamp(api: Api) -> None:
    _setup(api)
    first = api.ok(api.post("/points/batch", {"points": [_item("2026-01-01", 1)]}))["data"][0]
    same = api.ok(api.post("/points/batch", {"points": [_item("2026-01-01", 1)]}))["data"][0]
    assert same == first


def test_batch_answers_each_point_as_stored(api: Api) -> None:
    """The answer is built from the batch's own state, not read back: it must equal the
    stored records, for every kind of change (and -0.0, which SQLite stores as 0)."""
    _setup(api)
    stored = [_item("2026-01-01", 1), _item("2026-01-02", 2), _item("2026-01-03", 3)]
    api.ok(api.post("/points/batch", {"points": stored}))
    api.ok(api.post("/points/batch", {"points": [_item("2026-01-03", 0, delete=True)]}))
    items = [
        _item("2026-01-01", 1),  # unchanged: keeps its stamps
        _item("2026-01-02", 0, delete=True),
        _item("2026-01-02", 5, method="add"),  # resurrected from 0
        _item("2026-01-03", 7),  # tombstoned before this batch
        _item("2026-01-04", 4),
        _item("2026-01-04", 0, delete=True),  # new, then deleted
        _item("2026-01-05", -0.0),
        _item("2026-01-05", 1, method="add"),
        {"group": "G", "statistic": "s", "reference_date": "2026-01-06", "method": "decrement"},
    ]
    data = api.ok(api.post("/points/batch", {"points": items}))["data"]
    by_id = {p["id"]: p for p in api.read_all("/points", include_deleted="true")}
    assert data == [by_id[p["id"]] for p in data]
    assert [p["value"] for p in data] == [1, 5, 5, 7, 4, 4, 1, 1, -1]
    zero = api.ok(api.post("/points/batch", {"points": [_item("2026-01-07", -0.0)]}))["data"]
    assert repr(zero[0]["value"]) == "0.0" == repr(api.read_all("/points")[-1]["value"])


def test_list_filters(api: Api) -> None:
    items = [
        {"group": g, "statistic": s, "reference_date": f"2026-01-0{d}", "value": d}
        for g in ("A", "B") for s in ("x", "y") for d in (1, 2, 3)
    ]  # fmt: skip
    api.ok(api.post("/points/batch", {"points": items, "create_missing": True}))
    assert len(api.read_all("/points")) == 12
    assert {p["group"] for p in api.read_all("/points", group="A")} == {"A"}
    assert len(api.read_all("/points", group="A", statistic="y")) == 3
    ranged = api.read_all("/points", from_date="2026-01-02", to_date="2026-01-02")
    assert {p["reference_date"] for p in ranged} == {"2026-01-02"} and len(ranged) == 4
    stat = api.ok(api.get("/statistics/B/x"))
    assert len(api.read_all("/points", statistic=stat["id"])) == 3
    assert api.get("/points", from_date="yesterday").status_code == 422


def test_create_missing_never_creates_the_parent_of_a_delete(api: Api) -> None:
    """A tombstone replayed after its group was deleted must not bring the group back."""
    _setup(api)
    api.ok(api.delete("/statistic-groups/G"))
    deletes = [
        _item("2026-01-01", 0, delete=True),
        {"group": "H", "statistic": "t", "reference_date": "2026-01-01", "delete": True},
    ]
    writes = [{"group": "W", "statistic": "w", "reference_date": "2026-01-01", "value": 3}]

    data = api.ok(api.post("/points/batch", {"points": deletes + writes, "create_missing": True}))

    assert [(p["group"], p["value"]) for p in data["data"]] == [("W", 3)]
    assert [g["name"] for g in api.read_all("/statistic-groups")] == ["W"]
    refused = api.post("/points/batch", {"points": deletes})  # without create_missing: a 422
    assert refused.status_code == 422
    assert [item["index"] for item in refused.json()["error"]["items"]] == [0, 1]
