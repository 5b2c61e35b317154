"""The official client `ossit==0.2.2` works against the sandbox unchanged.

The client is module-global (a class-level base URL and a config singleton holding the key); the
`official_ossit` fixture points it at the sandbox and restores it afterwards. The client returns
the parsed JSON of every answer, errors included, so a failure shows up as an `{"error": ...}` body.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.request import Request, urlopen

import ossit
import ossit_schemas
from jsonschema import Draft202012Validator
from ossit_sandbox.launcher import SandboxServer

DAY1, DAY2, DAY3, DAY4 = "2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"


def _conforms(record: dict[str, Any], record_type: str) -> dict[str, Any]:
    """Fail unless the record has the shape of its record schema; return it for chaining."""
    Draft202012Validator(ossit_schemas.record_schema(record_type)).validate(record)
    return record


def _names(answer: dict[str, Any]) -> set[str]:
    return {record["name"] for record in answer["data"]}


def _points(sandbox: SandboxServer, key: str, query: str) -> dict[str, float]:
    """Day -> value of the points a plain GET /v1/api/points lists (the client has no call)."""
    request = Request(
        f"{sandbox.base_url}/v1/api/points?{query}", headers={"Authorization": f"Bearer {key}"}
    )
    with urlopen(request, timeout=10) as response:
        records = json.loads(response.read())["data"]
    return {_conforms(p, "points")["reference_date"]: p["value"] for p in records}


def test_groups_create_list_retrieve_rename_delete(official_ossit: str) -> None:
    created = _conforms(ossit.StatisticGroup.create("Website"), "statistic_groups")
    assert created["name"] == "Website"
    assert created["id"].startswith("grp_")
    ossit.StatisticGroup.create("Automations")
    assert _names(ossit.StatisticGroup.list()) == {"Website", "Automations"}
    assert ossit.StatisticGroup.retrieve("Website")["id"] == created["id"]

    renamed = _conforms(ossit.StatisticGroup.update("Website", "Web site"), "statistic_groups")
    assert (renamed["id"], renamed["name"]) == (created["id"], "Web site")
    assert renamed["updated_at"] > created["updated_at"]
    assert ossit.StatisticGroup.retrieve("Website")["error"]["code"] == "not_found"
    assert ossit.StatisticGroup.retrieve("Web site")["id"] == created["id"]

    deleted = _conforms(ossit.StatisticGroup.delete("Web site"), "statistic_groups")
    assert deleted["id"] == created["id"]
    assert deleted["deleted_at"] is not None
    assert _names(ossit.StatisticGroup.list()) == {"Automations"}
    assert ossit.StatisticGroup.retrieve("Web site")["error"]["code"] == "not_found"
    assert ossit.StatisticGroup.delete("Web site")["error"]["code"] == "not_found"


def test_statistic_update_methods_give_exact_values(
    official_ossit: str, sandbox: SandboxServer
) -> None:
    ossit.StatisticGroup.create("Website")
    created = _conforms(ossit.Statistic.create("Website", "Visits", 10, DAY1), "statistics")
    assert (created["group"], created["name"]) == ("Website", "Visits")
    assert (created["value"], created["reference_date"]) == (10, DAY1)

    # Each step is on the latest day so far, so the statistic's value is that day's value.
    steps = [
        (ossit.Statistic.update, ("Website", "Visits", 5, DAY2), 5),
        (ossit.Statistic.increment, ("Website", "Visits", DAY2), 6),
        (ossit.Statistic.decrement, ("Website", "Visits", DAY2), 5),
        (ossit.Statistic.add, ("Website", "Visits", 2.5, DAY2), 7.5),
        (ossit.Statistic.subtract, ("Website", "Visits", 0.5, DAY2), 7.0),
        (ossit.Statistic.increment, ("Website", "Visits", DAY3), 1),  # a missing day counts as 0
        (ossit.Statistic.subtract, ("Website", "Visits", 3, DAY4), -3),
    ]
    for call, args, expected in steps:
        answer = call(*args)
        assert "error" not in answer, (call.__name__, answer)
        statistic = _conforms(ossit.Statistic.retrieve("Website", "Visits"), "statistics")
        assert (statistic["value"], statistic["reference_date"]) == (expected, args[-1]), call

    days = {DAY1: 10, DAY2: 7.0, DAY3: 1, DAY4: -3}
    assert _points(sandbox, official_ossit, "group=Website&statistic=Visits") == days


def test_statistic_create_defaults_to_today_in_the_domain_time_zone(official_ossit: str) -> None:
    ossit.StatisticGroup.create("Automations")
    before = ossit.config.local_date_str()
    created = ossit.Statistic.create("Automations", "Runs", 3)
    assert created["reference_date"] in {before, ossit.config.local_date_str()}
    assert created["value"] == 3


def test_statistics_list_delete_a_day_and_purge(
    official_ossit: str, sandbox: SandboxServer
) -> None:
    ossit.StatisticGroup.create("Line 1")
    ossit.Statistic.create("Line 1", "Units", 4, DAY1)
    ossit.Statistic.update("Line 1", "Units", 9, DAY2)
    ossit.Statistic.create("Line 1", "Scrap", 1, DAY1)
    listed = ossit.Statistic.list()
    assert {(s["group"], s["name"]) for s in listed["data"]} == {
        ("Line 1", "Units"),
        ("Line 1", "Scrap"),
    }
    for statistic in listed["data"]:
        _conforms(statistic, "statistics")

    gone = ossit.Statistic.delete("Line 1", "Units", DAY2)
    assert "error" not in gone, gone
    units = ossit.Statistic.retrieve("Line 1", "Units")
    assert (units["value"], units["reference_date"]) == (4, DAY1)  # back to the latest live day
    assert _points(sandbox, official_ossit, "statistic=Units") == {DAY1: 4}
    assert ossit.Statistic.delete("Line 1", "Units", DAY2)["error"]["code"] == "not_found"

    purged = ossit.Statistic.purge("Line 1", "Units")
    assert "error" not in purged, purged
    assert ossit.Statistic.retrieve("Line 1", "Units")["error"]["code"] == "not_found"
    assert {s["name"] for s in ossit.Statistic.list()["data"]} == {"Scrap"}
    assert _points(sandbox, official_ossit, "statistic=Units") == {}
    tombstones = _points(sandbox, official_ossit, "statistic=Units&include_deleted=true")
    assert tombstones == {DAY1: 4, DAY2: 9}


def test_names_that_look_like_url_syntax_work_by_path(official_ossit: str) -> None:
    """The client puts `quote(name)` in the path: every name the API accepts reaches its own
    group or statistic; one it cannot address (`a/b`) is refused at creation."""
    for name in ("a b", "50%", "q?x=1", "#tag", "é", "a\\b", "...", " x", "grp_"):
        created = ossit.StatisticGroup.create(name)
        assert created["name"] == name, created
        assert ossit.StatisticGroup.retrieve(name)["id"] == created["id"]
        assert ossit.Statistic.create(name, name, 1, DAY1)["name"] == name
        assert ossit.Statistic.add(name, name, 2, DAY1)["value"] == 3
        assert ossit.Statistic.retrieve(name, name)["value"] == 3
        assert ossit.Statistic.purge(name, name)["deleted_at"] is not None
        assert ossit.StatisticGroup.update(name, f"{name}!")["id"] == created["id"]
        assert ossit.StatisticGroup.delete(f"{name}!")["id"] == created["id"]
    assert ossit.StatisticGroup.list()["data"] == []
    refused = ossit.StatisticGroup.create("a/b")["error"]
    assert (refused["code"], refused["field"]) == ("invalid_request", "name")


def test_domain_retrieve_rename_create_and_delete(official_ossit: str) -> None:
    domain = ossit.Domain.retrieve()
    assert (domain["key"], domain["time_zone"]) == (official_ossit, "America/Edmonton")
    renamed = ossit.Domain.update("Renamed")
    assert (renamed["key"], renamed["name"]) == (official_ossit, "Renamed")
    assert [d["name"] for d in ossit.Domain.list()["data"]] == ["Renamed"]

    other = ossit.Domain.create("Another")
    assert other["name"] == "Another"
    assert other["key"] != official_ossit

    assert ossit.Domain.delete()["key"] == official_ossit
    assert ossit.StatisticGroup.list()["error"]["code"] == "unauthorized"  # the key is retired
