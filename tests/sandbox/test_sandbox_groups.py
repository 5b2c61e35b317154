"""Statistic groups: every call of the contract and its error answers."""

from __future__ import annotations

from sandbox_api import Api


def test_create_get_list(api: Api) -> None:
    created = api.ok(api.post("/statistic-groups", {"name": "Web", "description": "site"}), 201)
    assert created["id"].startswith("grp_")
    assert (created["name"], created["description"], created["deleted_at"]) == ("Web", "site", None)
    assert created["created_at"] == created["updated_at"]
    assert api.ok(api.get("/statistic-groups/Web")) == created
    assert api.ok(api.get(f"/statistic-groups/{created['id']}")) == created
    assert api.ok(api.get("/statistic-groups"))["data"] == [created]


def test_names_are_unique_and_case_sensitive(api: Api) -> None:
    api.ok(api.post("/statistic-groups", {"name": "Web"}), 201)
    taken = api.post("/statistic-groups", {"name": "Web"})
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "conflict"
    api.ok(api.post("/statistic-groups", {"name": "web"}), 201)


def test_rename_by_post_and_put_keeps_the_id(api: Api) -> None:
    created = api.ok(api.post("/statistic-groups", {"name": "Web"}), 201)
    renamed = api.ok(api.post("/statistic-groups/Web", {"name": "Site"}))
    assert (renamed["id"], renamed["name"]) == (created["id"], "Site")
    assert renamed["updated_at"] > created["updated_at"]
    described = api.ok(api.put(f"/statistic-groups/{created['id']}", {"description": "d"}))
    assert (described["name"], described["description"]) == ("Site", "d")
    assert api.get("/statistic-groups/Web").status_code == 404


def test_rename_to_a_taken_name_is_409(api: Api) -> None:
    api.ok(api.post("/statistic-groups", {"name": "A"}), 201)
    api.ok(api.post("/statistic-groups", {"name": "B"}), 201)
    assert api.put("/statistic-groups/A", {"name": "B"}).status_code == 409


def test_delete_leaves_a_tombstone_and_frees_the_name(api: Api) -> None:
    created = api.ok(api.post("/statistic-groups", {"name": "Web"}), 201)
    deleted = api.ok(api.delete("/statistic-groups/Web"))
    assert deleted["id"] == created["id"]
    assert deleted["deleted_at"] == deleted["updated_at"]
    assert api.get("/statistic-groups/Web").status_code == 404
    assert api.delete("/statistic-groups/Web").status_code == 404
    assert api.ok(api.get("/statistic-groups"))["data"] == []
    listed = api.ok(api.get("/statistic-groups", include_deleted="true"))["data"]
    assert listed == [deleted]
    again = api.ok(api.post("/statistic-groups", {"name": "Web"}), 201)
    assert again["id"] != created["id"]


def test_invalid_bodies_name_the_field(api: Api) -> None:
    for body, field in (({}, "name"), ({"name": ""}, "name"), ({"name": 3}, "name"),
                        ({"name": "x" * 256}, "name"), ({"name": "a", "description": 1},
                                                        "description")):  # fmt: skip
        answer = api.post("/statistic-groups", body)
        assert answer.status_code == 422, body
        assert answer.json()["error"]["field"] == field
        assert field in answer.json()["error"]["message"]
    assert api.post("/statistic-groups", [1, 2]).status_code == 422


def test_unknown_group_is_404(api: Api) -> None:
    for answer in (
        api.get("/statistic-groups/nope"),
        api.post("/statistic-groups/nope", {"name": "x"}),
        api.put("/statistic-groups/nope", {"name": "x"}),
        api.delete("/statistic-groups/nope"),
    ):
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "not_found"
