"""Names and ids never overlap, and every name that can be created can be addressed by path.

An id is exactly `<prefix><ASCII digits, no leading zero>`; a name may not have the form of an
id, nor contain `/`, be `.`/`..` or hold a control character. So a path segment or filter has
one reading (id form: the id, else the name), and bodies and batch items take names only.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from ossit_schemas import has_id_form, parse_id
from sandbox_api import Api

DAY = "2026-01-01"
ARABIC_INDIC = str.maketrans("0123456789", "".join(map(chr, range(0x660, 0x66A))))
# Names a path can carry once URL-quoted, however much they look like syntax.
ODD_NAMES = ["a b", "50%", "q?x=1", "#tag", "é", "a\\b", "...", " x", "x ", "📈", "%2F", "grp_"]
# (name, what the 422 message says about it)
REFUSED = [
    ("a/b", "'/'"), ("/", "'/'"), (".", "'.' or '..'"), ("..", "'.' or '..'"),
    ("a\x00b", "control characters"), ("tab\there", "control characters"),
    ("line\n", "control characters"), ("\x7f", "control characters"),
    ("grp_1", "form of an id"), ("stat_12", "form of an id"), ("pt_0", "form of an id"),
    ("int_007", "form of an id"), ("grp_" + "9" * 30, "form of an id"),
]  # fmt: skip


def _seg(name: str) -> str:
    """One URL-quoted path segment, as a careful client sends it."""
    return quote(name, safe="")


def _number(record: dict[str, Any]) -> str:
    """The digits of a record's id (`grp_12` -> `12`)."""
    return record["id"].partition("_")[2]


def _error(answer: Any, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code, error
    return error


def test_an_id_is_only_its_canonical_form() -> None:
    assert parse_id("statistic_groups", "grp_12") == 12
    assert parse_id("intervals", "int_" + "9" * 18) == int("9" * 18)
    not_ids = ["grp_012", "grp_0", "grp_+1", "grp_-1", "grp_ 1", "grp_1 ", "grp_1\n", "grp_",
               "grp_1e3", "GRP_1", "stat_1", "grp_" + "1" * 19,
               "grp_\u0661", "grp_\uff11"]  # fmt: skip
    for text in not_ids:
        assert parse_id("statistic_groups", text) is None, text
    for text in ("grp_1", "stat_012", "pt_0", "int_99999999999999999999"):
        assert has_id_form(text), text
    for text in ("grp_", "grp_\u0661", "grp_1x", "Grp_1", "grp_ 1", "xgrp_1", "grp_1\n"):
        assert not has_id_form(text), text


@pytest.mark.parametrize(("name", "reason"), REFUSED)
def test_unaddressable_names_are_refused_wherever_a_name_is_accepted(
    api: Api, name: str, reason: str
) -> None:
    api.ok(api.post("/statistic-groups", {"name": "G"}), 201)
    api.ok(api.post("/statistics", {"group": "G", "name": "s"}), 201)
    single = [
        (api.post("/statistic-groups", {"name": name}), "name"),
        (api.put("/statistic-groups/G", {"name": name}), "name"),
        (api.post("/statistic-groups/G", {"name": name}), "name"),
        (api.post("/statistics", {"group": "G", "name": name}), "name"),
        (api.post("/statistics", {"group": name, "name": "t"}), "group"),
        (api.put("/statistics/G/s", {"name": name}), "name"),
        (api.post("/intervals", {"group": name, "type": "run", "start": f"{DAY}T00:00:00Z"}),
         "group"),
    ]  # fmt: skip
    for answer, field in single:
        error = _error(answer, 422, "invalid_request")
        assert error["field"] == field and reason in error["message"], error
    point = {"group": "G", "statistic": "s", "reference_date": DAY, "value": 1}
    batches = [
        ("/points/batch", "points", [point, {**point, "group": name}], "group"),
        ("/points/batch", "points", [point, {**point, "statistic": name}], "statistic"),
        ("/intervals/batch", "intervals",
         [{"group": "G", "type": "run", "start": f"{DAY}T00:00:00Z"},
          {"group": name, "type": "run", "start": f"{DAY}T00:00:00Z"}], "group"),
    ]  # fmt: skip
    for path, field, items, item_field in batches:
        error = _error(api.post(path, {field: items, "create_missing": True}), 422, "invalid_items")
        assert [(i["index"], i["field"]) for i in error["items"]] == [(1, item_field)]
        assert reason in error["items"][0]["message"]
    assert [g["name"] for g in api.read_all("/statistic-groups")] == ["G"]
    assert [s["name"] for s in api.read_all("/statistics")] == ["s"]
    assert api.read_all("/points") == api.read_all("/intervals") == []


@pytest.mark.parametrize("name", ODD_NAMES)
def test_every_other_name_is_created_read_updated_and_deleted_by_path(api: Api, name: str) -> None:
    group = api.ok(api.post("/statistic-groups", {"name": name}), 201)
    assert api.ok(api.get(f"/statistic-groups/{_seg(name)}")) == group
    described = api.ok(api.put(f"/statistic-groups/{_seg(name)}", {"description": "d"}))
    assert (described["id"], described["description"]) == (group["id"], "d")
    first = {"group": name, "name": name, "value": 1, "reference_date": DAY}
    api.ok(api.post("/statistics", first), 201)
    one = f"/statistics/{_seg(name)}/{_seg(name)}"
    assert api.ok(api.get(one))["name"] == name
    assert api.ok(api.put(one, {"description": "d"}))["description"] == "d"
    assert api.ok(api.post(one, {"method": "add", "value": 2, "reference_date": DAY}))["value"] == 3
    assert [p["statistic"] for p in api.read_all(f"{one}/points")] == [name]
    assert [p["value"] for p in api.read_all("/points", group=name, statistic=name)] == [3]
    assert [s["name"] for s in api.read_all("/statistics", group=name)] == [name]
    assert api.ok(api.delete(one, purge="true"))["deleted_at"] is not None
    assert api.ok(api.delete(f"/statistic-groups/{_seg(name)}"))["id"] == group["id"]
    _error(api.get(f"/statistic-groups/{_seg(name)}"), 404, "not_found")


def test_a_path_segment_is_an_id_only_in_its_canonical_form(api: Api) -> None:
    group = api.ok(api.post("/statistic-groups", {"name": "G"}), 201)
    n = _number(group)
    spellings = [
        f"grp_0{n}",
        f"grp_+{n}",
        f"grp_ {n}",
        f"grp_{n} ",
        "grp_" + n.translate(ARABIC_INDIC),
    ]
    for spelling in spellings:
        for answer in (api.get(f"/statistic-groups/{_seg(spelling)}"),
                       api.put(f"/statistic-groups/{_seg(spelling)}", {"description": "x"}),
                       api.delete(f"/statistic-groups/{_seg(spelling)}")):  # fmt: skip
            _error(answer, 404, "not_found")
    assert api.ok(api.get(f"/statistic-groups/grp_{n}")) == group


def test_a_name_that_resembles_an_id_reaches_only_the_object_of_that_name(api: Api) -> None:
    target = api.ok(api.post("/statistic-groups", {"name": "unrelated"}), 201)
    lookalike = f"grp_{_number(target).translate(ARABIC_INDIC)}"  # a name: not ASCII digits
    named = api.ok(api.post("/statistic-groups", {"name": lookalike}), 201)
    deleted = api.ok(api.delete(f"/statistic-groups/{_seg(lookalike)}"))
    assert deleted["id"] == named["id"] != target["id"]
    _error(api.delete(f"/statistic-groups/{_seg(lookalike)}"), 404, "not_found")
    assert api.ok(api.get(f"/statistic-groups/{target['id']}"))["deleted_at"] is None


def test_a_missing_id_is_not_tried_as_a_name(api: Api) -> None:
    gone = api.ok(api.post("/statistic-groups", {"name": "G"}), 201)
    api.ok(api.delete(f"/statistic-groups/{gone['id']}"))
    api.ok(api.post("/statistic-groups", {"name": "G"}), 201)
    _error(api.get(f"/statistic-groups/{gone['id']}"), 404, "not_found")
    _error(api.delete(f"/statistic-groups/{gone['id']}"), 404, "not_found")
    assert [g["name"] for g in api.read_all("/statistic-groups")] == ["G"]


def test_bodies_and_batch_items_take_names_never_ids(api: Api) -> None:
    group = api.ok(api.post("/statistic-groups", {"name": "G"}), 201)
    stat = api.ok(api.post("/statistics", {"group": "G", "name": "s"}), 201)
    error = _error(api.post("/statistics", {"group": group["id"], "name": "t"}), 422,
                   "invalid_request")  # fmt: skip
    assert error["field"] == "group"
    start = f"{DAY}T00:00:00Z"
    interval = {"group": group["id"], "type": "run", "start": start}
    assert _error(api.post("/intervals", interval), 422, "invalid_request")["field"] == "group"
    for path, field, item, item_field in (
        ("/points/batch", "points",
         {"group": group["id"], "statistic": "s", "reference_date": DAY, "value": 1}, "group"),
        ("/points/batch", "points",
         {"group": "G", "statistic": stat["id"], "reference_date": DAY, "value": 1}, "statistic"),
        ("/intervals/batch", "intervals", interval, "group"),
    ):  # fmt: skip
        for create_missing in (False, True):
            answer = api.post(path, {field: [item], "create_missing": create_missing})
            error = _error(answer, 422, "invalid_items")
            assert [(i["index"], i["field"]) for i in error["items"]] == [(0, item_field)]
    assert [g["name"] for g in api.read_all("/statistic-groups")] == ["G"]
    assert api.read_all("/points") == api.read_all("/intervals") == []


def test_paths_and_filters_read_an_id_as_that_id_only(api: Api) -> None:
    g1 = api.ok(api.post("/statistic-groups", {"name": "G1"}), 201)
    g2 = api.ok(api.post("/statistic-groups", {"name": "G2"}), 201)
    s1 = api.ok(api.post("/statistics", {"group": "G1", "name": "s", "value": 1}), 201)
    api.ok(api.post("/statistics", {"group": "G2", "name": "s", "value": 2}), 201)
    api.ok(api.post("/intervals", {"group": "G1", "type": "run", "start": f"{DAY}T00:00:00Z"}), 201)
    assert api.ok(api.get(f"/statistics/{g1['id']}/{s1['id']}")) == s1
    assert api.ok(api.get(f"/statistics/G1/{s1['id']}")) == s1
    _error(api.get(f"/statistics/{g2['id']}/{s1['id']}"), 404, "not_found")  # not G2's
    _error(api.get(f"/statistics/G1/stat_0{_number(s1)}"), 404, "not_found")
    assert [s["id"] for s in api.read_all("/statistics", group=g1["id"])] == [s1["id"]]
    assert api.read_all("/statistics", group=f"grp_0{_number(g1)}") == []
    assert [p["value"] for p in api.read_all("/points", statistic=s1["id"])] == [1]
    assert [p["value"] for p in api.read_all("/points", statistic="s")] == [1, 2]
    assert api.read_all("/points", statistic=f"stat_0{_number(s1)}") == []
    assert [i["group"] for i in api.read_all("/intervals", group=g1["id"])] == ["G1"]
    assert api.read_all("/intervals", group=g2["id"]) == []


def test_unknown_endpoints_and_missing_objects_have_distinct_404_codes(api: Api) -> None:
    api.ok(api.post("/statistic-groups", {"name": "G"}), 201)
    api.ok(api.post("/statistics", {"group": "G", "name": "s", "value": 1}), 201)
    _error(api.get("/nothing-here"), 404, "no_such_endpoint")
    _error(api.get("/statistics/G/s/nothing"), 404, "no_such_endpoint")
    _error(api.get("/statistic-groups/nope"), 404, "not_found")
    _error(api.get("/statistics/G/nope"), 404, "not_found")
    _error(api.get("/intervals/int_01"), 404, "not_found")
    # Decoded before routing, `s%2Fpoints` would be the points list of G/s: it names nothing.
    _error(api.get("/statistics/G/s%2Fpoints"), 404, "not_found")
    _error(api.get("/statistic-groups/a%2fb"), 404, "not_found")
