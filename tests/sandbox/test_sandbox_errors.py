"""Authentication, the error body on every non-2xx answer, routing errors, domains."""

from __future__ import annotations

import pytest
from ossit_sandbox.launcher import SandboxServer
from sandbox_api import Api

ENDPOINTS = [
    ("GET", "/statistic-groups"), ("POST", "/statistic-groups"),
    ("GET", "/statistic-groups/g"), ("POST", "/statistic-groups/g"),
    ("PUT", "/statistic-groups/g"), ("DELETE", "/statistic-groups/g"),
    ("GET", "/statistics"), ("POST", "/statistics"), ("GET", "/statistics/g/s"),
    ("POST", "/statistics/g/s"), ("PUT", "/statistics/g/s"), ("DELETE", "/statistics/g/s"),
    ("GET", "/statistics/g/s/points"), ("GET", "/points"), ("POST", "/points/batch"),
    ("GET", "/intervals"), ("POST", "/intervals"), ("POST", "/intervals/batch"),
    ("GET", "/intervals/int_1"), ("PUT", "/intervals/int_1"), ("DELETE", "/intervals/int_1"),
    ("GET", "/domains"), ("POST", "/domains"), ("GET", "/domains/k"), ("POST", "/domains/k"),
    ("DELETE", "/domains/k"),
]  # fmt: skip


def _error(answer, status: int, code: str) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_every_endpoint_needs_a_valid_key(sandbox: SandboxServer, make_api, method, path) -> None:
    _error(make_api(sandbox, None).call(method, path, json={}), 401, "unauthorized")
    _error(make_api(sandbox, "dk_not_a_key").call(method, path, json={}), 401, "unauthorized")
    wrong_scheme = make_api(sandbox, None)
    wrong_scheme.session.headers["Authorization"] = "Basic abc"
    _error(wrong_scheme.call(method, path, json={}), 401, "unauthorized")


def test_malformed_json_is_400(api: Api) -> None:
    for path in ("/statistic-groups", "/statistics", "/points/batch", "/intervals"):
        answer = api.call(
            "POST", path, data=b"{not json", headers={"Content-Type": "application/json"}
        )
        _error(answer, 400, "malformed_json")


def test_a_body_that_is_not_an_object_is_422(api: Api) -> None:
    assert _error(api.post("/statistic-groups", ["a"]), 422, "invalid_request")["field"] == "body"


def test_unknown_routes_404_and_wrong_methods_405(api: Api) -> None:
    _error(api.get("/nothing-here"), 404, "no_such_endpoint")
    _error(api.call("GET", "/_sandbox/nothing"), 404, "no_such_endpoint")
    answer = api.call("PATCH", "/points")
    _error(answer, 405, "method_not_allowed")
    assert "GET" in answer.headers["allow"]
    _error(api.call("DELETE", "/points/batch"), 405, "method_not_allowed")


def test_domain_endpoints_as_the_official_client_calls_them(
    sandbox: SandboxServer, api: Api, make_api
) -> None:
    mine = api.ok(api.get(f"/domains/{api.key}"))
    assert (mine["key"], mine["time_zone"]) == (api.key, "UTC")
    assert api.ok(api.get("/domains"))["data"] == [mine]
    renamed = api.ok(
        api.post(f"/domains/{api.key}", {"name": "Renamed", "time_zone": "Asia/Tokyo"})
    )
    assert (renamed["name"], renamed["time_zone"]) == ("Renamed", "Asia/Tokyo")
    assert _error(api.post(f"/domains/{api.key}", {"time_zone": "Mars/Base"}), 422,
                  "invalid_request")["field"] == "time_zone"  # fmt: skip

    created = api.ok(api.post("/domains", {"name": "Second"}), 201)
    assert created["key"] != api.key and created["time_zone"] == "UTC"
    other = make_api(sandbox, created["key"])
    other.ok(other.post("/statistic-groups", {"name": "only mine"}), 201)
    assert api.ok(api.get("/statistic-groups"))["data"] == []

    for method in ("GET", "POST", "DELETE"):
        _error(api.call(method, f"/domains/{created['key']}", json={"name": "x"}), 403, "forbidden")

    gone = other.ok(other.delete(f"/domains/{created['key']}"))
    assert gone["key"] == created["key"]
    _error(other.get("/statistic-groups"), 401, "unauthorized")
    api.ok(api.get("/statistic-groups"))


@pytest.mark.parametrize("status", [400, 402, 403, 404, 409, 410, 422, 500, 502, 503, 504])
def test_every_error_status_has_the_error_body(
    sandbox: SandboxServer, api: Api, status: int
) -> None:
    sandbox.add_fault(api.key, status=status, path="/v1/api/points", count=1)
    error = _error(api.get("/points"), status, {
        400: "bad_request", 402: "payment_required", 403: "forbidden", 404: "not_found",
        409: "conflict", 410: "gone", 422: "invalid_request", 500: "internal_error",
        502: "bad_gateway", 503: "service_unavailable", 504: "gateway_timeout",
    }[status])  # fmt: skip
    assert error["message"] == "injected fault"
    api.ok(api.get("/points"))
