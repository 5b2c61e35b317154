"""Statistics: creation, the five update methods, metadata, day deletes and purges."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ossit_sandbox.launcher import SandboxServer
from sandbox_api import Api


def _group(api: Api, name: str = "G") -> dict:
    return api.ok(api.post("/statistic-groups", {"name": name}), 201)


def _points(api: Api, **params: str) -> dict[str, float]:
    return {p["reference_date"]: p["value"] for p in api.read_all("/points", **params)}


def test_create_without_value_has_no_point(api: Api) -> None:
    group = _group(api)
    stat = api.ok(api.post("/statistics", {"group": "G", "name": "s", "unit": "kg"}), 201)
    assert stat["id"].startswith("stat_")
    assert (stat["group_id"], stat["group"], stat["unit"]) == (group["id"], "G", "kg")
    assert (stat["value"], stat["reference_date"]) == (None, None)
    assert _points(api) == {}


def test_create_with_value_writes_that_day(api: Api) -> None:
    _group(api)
    body = {"group": "G", "name": "s", "value": 7, "reference_date": "2026-01-02"}
    stat = api.ok(api.post("/statistics", body), 201)
    assert (stat["value"], stat["reference_date"]) == (7, "2026-01-02")
    assert _points(api) == {"2026-01-02": 7}


def test_create_in_a_missing_group_is_404_and_a_taken_name_409(api: Api) -> None:
    assert api.post("/statistics", {"group": "nope", "name": "s"}).status_code == 404
    _group(api)
    api.ok(api.post("/statistics", {"group": "G", "name": "s"}), 201)
    assert api.post("/statistics", {"group": "G", "name": "s"}).status_code == 409


def test_methods_and_missing_days_count_as_zero(api: Api) -> None:
    _group(api)
    api.ok(api.post("/statistics", {"group": "G", "name": "s"}), 201)

    def update(method: str, value: float | None, day: str) -> dict:
        body = {"group": "G", "name": "s", "method": method, "reference_date": day}
        if value is not None:
            body["value"] = value
        return api.ok(api.post("/statistics/G/s", body))

    update("increment", None, "2026-01-01")
    update("increment", 1, "2026-01-01")
    update("decrement", None, "2026-01-02")
    update("add", 2.5, "2026-01-03")
    update("subtract", 4, "2026-01-04")
    update("set", 10, "2026-01-05")
    stat = update("add", 5, "2026-01-05")
    assert _points(api) == {
        "2026-01-01": 2, "2026-01-02": -1, "2026-01-03": 2.5, "2026-01-04": -4, "2026-01-05": 15,
    }  # fmt: skip
    assert (stat["value"], stat["reference_date"]) == (15, "2026-01-05")
    # The statistic mirrors the latest day, not the latest write.
    stat = update("set", 1, "2025-12-31")
    assert (stat["value"], stat["reference_date"]) == (15, "2026-01-05")


def test_method_validation(api: Api) -> None:
    _group(api)
    api.ok(api.post("/statistics", {"group": "G", "name": "s"}), 201)
    for body, field in (
        ({"method": "multiply", "value": 2}, "method"),
        ({"method": "set"}, "value"),
        ({"method": "add", "value": "2"}, "value"),
        ({"value": True}, "value"),
        ({"value": 1, "reference_date": "2026-02-30"}, "reference_date"),
        ({"value": 1, "reference_date": "01/02/2026"}, "reference_date"),
    ):
        answer = api.post("/statistics/G/s", body)
        assert answer.status_code == 422, body
        assert answer.json()["error"]["field"] == field
    assert api.post("/statistics/G/nope", {"value": 1}).status_code == 404


def test_reference_date_defaults_to_today_in_the_domain_time_zone(
    sandbox: SandboxServer, make_api
) -> None:
    for zone in ("Pacific/Kiritimati", "Etc/GMT+12"):
        api = make_api(sandbox, sandbox.create_domain(zone, time_zone=zone))
        _group(api)
        before = datetime.now(ZoneInfo(zone)).date().isoformat()
        stat = api.ok(api.post("/statistics", {"group": "G", "name": "s", "value": 1}), 201)
        after = datetime.now(ZoneInfo(zone)).date().isoformat()
        assert stat["reference_date"] in (before, after)


def test_get_and_list_with_group_filter(api: Api) -> None:
    g1, _ = _group(api, "A"), _group(api, "B")
    a = api.ok(api.post("/statistics", {"group": "A", "name": "s"}), 201)
    b = api.ok(api.post("/statistics", {"group": "B", "name": "s"}), 201)
    assert api.ok(api.get("/statistics/A/s")) == a
    assert api.ok(api.get(f"/statistics/{g1['id']}/{a['id']}")) == a
    assert [s["id"] for s in api.ok(api.get("/statistics"))["data"]] == [a["id"], b["id"]]
    assert api.ok(api.get("/statistics", group="B"))["data"] == [b]
    assert api.ok(api.get("/statistics", group=g1["id"]))["data"] == [a]
    assert api.get("/statistics/A/none").status_code == 404
    assert api.get("/statistics/none/s").status_code == 404


def test_metadata_update_and_rename_restamps_points(api: Api) -> None:
    _group(api)
    api.ok(api.post("/statistics", {"group": "G", "name": "s", "value": 1}), 201)
    point = api.ok(api.get("/points"))["data"][0]
    stat = api.ok(api.put("/statistics/G/s", {"name": "t", "unit": "m", "description": "d"}))
    assert (stat["name"], stat["unit"], stat["description"]) == ("t", "m", "d")
    moved = api.ok(api.get("/points"))["data"][0]
    assert (moved["id"], moved["statistic"]) == (point["id"], "t")
    assert moved["updated_at"] > stat["updated_at"] > point["updated_at"]
    assert api.get("/statistics/G/s").status_code == 404
    api.ok(api.post("/statistics", {"group": "G", "name": "u"}), 201)
    assert api.put("/statistics/G/t", {"name": "u"}).status_code == 409
    assert api.put("/statistics/G/t", {"unit": 5}).status_code == 422


def test_delete_one_day(api: Api) -> None:
    _group(api)
    api.ok(api.post("/statistics", {"group": "G", "name": "s"}), 201)
    for day, value in (("2026-01-01", 1), ("2026-01-02", 2)):
        api.ok(api.post("/statistics/G/s", {"value": value, "reference_date": day}))
    point = api.ok(api.delete("/statistics/G/s", reference_date="2026-01-02"))
    assert (point["reference_date"], point["deleted_at"]) == ("2026-01-02", point["updated_at"])
    stat = api.ok(api.get("/statistics/G/s"))
    assert (stat["value"], stat["reference_date"]) == (1, "2026-01-01")
    assert _points(api) == {"2026-01-01": 1}
    assert api.delete("/statistics/G/s", reference_date="2026-01-02").status_code == 404
    assert api.delete("/statistics/G/s").status_code == 422
    assert api.delete("/statistics/G/s", reference_date="soon").status_code == 422
    # Writing a deleted day again resurrects the same point; a missing day counts as 0.
    api.ok(
        api.post("/statistics/G/s", {"method": "add", "value": 3, "reference_date": "2026-01-02"})
    )
    again = [p for p in api.read_all("/points") if p["reference_date"] == "2026-01-02"]
    assert [(p["id"], p["value"], p["deleted_at"]) for p in again] == [(point["id"], 3, None)]


def test_purge_tombstones_the_statistic_and_each_point(api: Api) -> None:
    _group(api)
    api.ok(api.post("/statistics", {"group": "G", "name": "s"}), 201)
    for day in ("2026-01-01", "2026-01-02", "2026-01-03"):
        api.ok(api.post("/statistics/G/s", {"value": 1, "reference_date": day}))
    purged = api.ok(api.delete("/statistics/G/s", purge="True"))
    assert purged["deleted_at"] is not None
    assert api.get("/statistics/G/s").status_code == 404
    assert api.read_all("/points") == []
    tombstones = api.read_all("/points", include_deleted="true")
    stamps = [p["updated_at"] for p in tombstones]
    assert len(set(stamps)) == 3
    assert all(p["deleted_at"] == p["updated_at"] for p in tombstones)
    assert max(stamps) < purged["updated_at"]
    assert api.delete("/statistics/G/s", purge="true").status_code == 404


def test_statistic_points_endpoint(api: Api) -> None:
    _group(api)
    for name in ("a", "b"):
        api.ok(api.post("/statistics", {"group": "G", "name": name, "value": 1}), 201)
    points = api.ok(api.get("/statistics/G/a/points"))["data"]
    assert [p["statistic"] for p in points] == ["a"]
    assert api.get("/statistics/G/c/points").status_code == 404
