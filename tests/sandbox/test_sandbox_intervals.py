"""Intervals: create, upsert by external_id, close, delete, batch and filters."""

from __future__ import annotations

from sandbox_api import Api

START = "2026-01-01T00:00:00Z"


def _group(api: Api, name: str = "Line") -> None:
    api.ok(api.post("/statistic-groups", {"name": name}), 201)


def test_create_and_computed_duration(api: Api) -> None:
    _group(api)
    body = {"group": "Line", "type": "run", "name": "Widget", "start": START,
            "end": "2026-01-02T02:03:00+00:00", "metadata": {"product": "w", "n": [1, 2]},
            "statistic": "units"}  # fmt: skip
    run = api.ok(api.post("/intervals", body), 201)
    assert run["id"].startswith("int_")
    assert (run["start"], run["end"]) == (
        "2026-01-01T00:00:00.000000Z",
        "2026-01-02T02:03:00.000000Z",
    )
    assert run["duration"] == "PT26H3M0S"
    assert run["metadata"] == {"product": "w", "n": [1, 2]}
    assert (run["group"], run["statistic"], run["external_id"]) == ("Line", "units", None)
    assert api.ok(api.get(f"/intervals/{run['id']}")) == run
    short = {"group": "Line", "type": "batch", "start": START, "end": "2026-01-01T00:00:01.5Z"}
    assert api.ok(api.post("/intervals", short), 201)["duration"] == "PT0H0M1.5S"
    offset = {"group": "Line", "type": "state", "start": "2026-01-01T05:00:00+05:00"}
    assert api.ok(api.post("/intervals", offset), 201)["start"] == "2026-01-01T00:00:00.000000Z"


def test_open_interval_then_closed_by_put(api: Api) -> None:
    _group(api)
    opened = api.ok(api.post("/intervals", {"group": "Line", "type": "state", "start": START}), 201)
    assert (opened["end"], opened["duration"], opened["metadata"]) == (None, None, None)
    closed = api.ok(api.put(f"/intervals/{opened['id']}", {"end": "2026-01-01T01:30:00Z"}))
    assert (closed["duration"], closed["type"]) == ("PT1H30M0S", "state")
    assert closed["updated_at"] > opened["updated_at"]


def test_validation(api: Api) -> None:
    _group(api)
    base = {"group": "Line", "type": "run", "start": START}
    for change, field in (
        ({"end": "2025-12-31T00:00:00Z"}, "end"),
        ({"type": "shift"}, "type"),
        ({"start": "2026-01-01T00:00:00"}, "start"),
        ({"start": "noon"}, "start"),
        ({"metadata": [1]}, "metadata"),
        ({"type": None}, "type"),
    ):
        answer = api.post("/intervals", {**base, **change})
        assert answer.status_code == 422, change
        assert answer.json()["error"]["field"] == field
    assert api.post("/intervals", {"type": "run", "start": START}).status_code == 422
    assert api.post("/intervals", {**base, "group": "nope"}).status_code == 404
    made = api.ok(api.post("/intervals", base), 201)
    answer = api.put(f"/intervals/{made['id']}", {"end": "2025-01-01T00:00:00Z"})
    assert answer.status_code == 422


def test_external_id_upserts(api: Api) -> None:
    _group(api)
    body = {"group": "Line", "type": "run", "start": START, "external_id": "r-1"}
    first = api.ok(api.post("/intervals", body), 201)
    second = api.ok(api.post("/intervals", {**body, "end": "2026-01-01T08:00:00Z"}), 200)
    assert second["id"] == first["id"]
    assert second["duration"] == "PT8H0M0S"
    assert len(api.read_all("/intervals")) == 1


def test_delete_get_and_404s(api: Api) -> None:
    _group(api)
    made = api.ok(api.post("/intervals", {"group": "Line", "type": "run", "start": START}), 201)
    gone = api.ok(api.delete(f"/intervals/{made['id']}"))
    assert gone["deleted_at"] == gone["updated_at"]
    for answer in (
        api.get(f"/intervals/{made['id']}"),
        api.delete(f"/intervals/{made['id']}"),
        api.put(f"/intervals/{made['id']}", {"name": "x"}),
        api.get("/intervals/int_999999"),
        api.get("/intervals/whatever"),
    ):
        assert answer.status_code == 404
    assert api.read_all("/intervals") == []
    assert api.read_all("/intervals", include_deleted="true") == [gone]


def test_batch_upserts_by_id_and_external_id_all_or_nothing(api: Api) -> None:
    _group(api)
    made = api.ok(api.post("/intervals", {"group": "Line", "type": "run", "start": START}), 201)
    items = [
        {"id": made["id"], "end": "2026-01-01T02:00:00Z"},
        {"external_id": "b-1", "group": "Line", "type": "batch", "start": START},
        {"external_id": "b-1", "name": "renamed"},
        {"group": "Other", "type": "custom", "start": START},
    ]
    answer = api.post("/intervals/batch", {"intervals": items})
    assert answer.status_code == 422
    assert [(i["index"], i["field"]) for i in answer.json()["error"]["items"]] == [(3, "group")]
    assert len(api.read_all("/intervals")) == 1
    data = api.ok(api.post("/intervals/batch", {"intervals": items, "create_missing": True}))
    data = data["data"]
    assert data[0]["id"] == made["id"]
    assert data[0]["duration"] == "PT2H0M0S"
    assert data[1]["id"] == data[2]["id"] and data[2]["name"] == "renamed"
    assert data[3]["group"] == "Other"
    # Malformed items are reported first; then items naming what does not exist.
    bad = [{"id": "int_1"}, {"id": 5}, {"delete": "yes"}]
    answer = api.post("/intervals/batch", {"intervals": bad})
    assert [(i["index"], i["field"]) for i in answer.json()["error"]["items"]] == [
        (1, "id"), (2, "delete"),
    ]  # fmt: skip
    answer = api.post("/intervals/batch", {"intervals": [{"id": "int_999999", "end": START}]})
    assert [(i["index"], i["field"]) for i in answer.json()["error"]["items"]] == [(0, "id")]
    deleted = api.ok(api.post("/intervals/batch", {"intervals": [{"external_id": "b-1",
                                                                   "delete": True}]}))  # fmt: skip
    assert deleted["data"][0]["deleted_at"] is not None
    assert len(api.read_all("/intervals")) == 2


def test_list_filters(api: Api) -> None:
    _group(api, "A")
    _group(api, "B")
    for group, kind in (("A", "run"), ("A", "state"), ("B", "run")):
        api.ok(api.post("/intervals", {"group": group, "type": kind, "start": START}), 201)
    assert len(api.read_all("/intervals", group="A")) == 2
    assert len(api.read_all("/intervals", type="run")) == 2
    assert len(api.read_all("/intervals", group="B", type="state")) == 0
    assert api.get("/intervals", type="shift").status_code == 422
