"""Table tests of the status -> exception mapping and of error messages."""

from __future__ import annotations

from pathlib import Path

import ossit_client as oc
import pytest
from ossit_client._exceptions import make_status_error


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, oc.BadRequestError),
        (401, oc.AuthenticationError),
        (402, oc.PaymentRequiredError),
        (403, oc.PermissionDeniedError),
        (404, oc.NotFoundError),
        (409, oc.ConflictError),
        (410, oc.GoneError),
        (422, oc.UnprocessableEntityError),
        (429, oc.RateLimitError),
        (500, oc.InternalServerError),
        (503, oc.InternalServerError),
        (599, oc.InternalServerError),
        (418, oc.APIStatusError),
        (302, oc.APIStatusError),
    ],
)
def test_status_maps_to_one_class(status: int, cls: type[oc.APIStatusError]) -> None:
    assert oc.status_error_class(status) is cls
    error = make_status_error("GET", "/v1/api/points", status, None, "Reason")
    assert type(error) is cls
    assert isinstance(error, oc.APIStatusError)
    assert isinstance(error, oc.OssitError)
    assert error.status_code == status


def test_hierarchy_of_connection_errors() -> None:
    assert issubclass(oc.APITimeoutError, oc.APIConnectionError)
    assert issubclass(oc.APIConnectionError, oc.OssitError)
    assert not issubclass(oc.APIConnectionError, oc.APIStatusError)


def test_message_names_the_request_and_the_servers_answer() -> None:
    body = {"error": {"code": "name_taken", "message": "a group named 'x' exists"}}
    error = make_status_error("POST", "/v1/api/statistic-groups", 409, body)
    assert str(error) == "POST /v1/api/statistic-groups -> 409 name_taken: a group named 'x' exists"
    assert error.code == "name_taken"
    assert error.message == "a group named 'x' exists"
    assert error.items == []


def test_422_message_lists_each_bad_item() -> None:
    body = {
        "error": {
            "code": "invalid_items",
            "message": "2 items are invalid",
            "items": [
                {"index": 0, "field": "value", "message": "must be a number"},
                {"index": 3, "field": None, "message": "unknown statistic"},
            ],
        }
    }
    error = make_status_error("POST", "/v1/api/points/batch", 422, body)
    assert isinstance(error, oc.UnprocessableEntityError)
    assert [item["index"] for item in error.items] == [0, 3]
    assert str(error) == (
        "POST /v1/api/points/batch -> 422 invalid_items: 2 items are invalid; "
        "items: [0].value: must be a number; [3]: unknown statistic"
    )


@pytest.mark.parametrize("body", [None, "oops", [], {"error": "flat"}, {"detail": "x"}])
def test_any_error_body_shape_still_gives_a_message(body: object) -> None:
    error = make_status_error("GET", "/v1/api/points", 502, body, "Bad Gateway")
    assert str(error) == "GET /v1/api/points -> 502: Bad Gateway"
    assert error.code is None


def test_from_config_takes_the_connector_settings_and_defaults() -> None:
    config = {
        "domain_key": "dk_secret_from_config",
        "base_url": "http://127.0.0.1:9",
        "max_requests_per_hour": 7,
        "user_agent": None,
    }
    with oc.OssitClient.from_config(config) as client:
        assert client.base_url == "http://127.0.0.1:9"
        assert "dk_secret_from_config" not in repr(client)
    with pytest.raises(ValueError, match="unencrypted"):
        oc.OssitClient.from_config(
            {"domain_key": "dk_refused_before_use", "base_url": "http://example.com"}
        )


def test_a_list_filter_is_one_the_kind_declares(tmp_path: Path) -> None:
    """A list's filters come from its kind's declaration: a misspelled one is refused before
    any request (nothing listens at port 9), and the declared ones are sent as given."""
    with oc.OssitClient("k" * 32, base_url="http://127.0.0.1:9", state_dir=tmp_path) as client:
        with pytest.raises(TypeError, match=r"points\.list\(\) takes no filter grup, limt"):
            client.points.list(grup="g", limt=1)
        with pytest.raises(TypeError, match=r"statistic_groups\.list\(\) takes no filter group"):
            client.statistic_groups.list(group="g")
        listed = client.intervals.list(group="g", type="run", updated_since="2026-01-01")
        assert listed._params == {
            "group": "g",
            "type": "run",
            "updated_since": "2026-01-01",
            "include_deleted": False,
            "limit": 1000,
        }
