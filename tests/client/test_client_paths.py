"""Path parameters: each one URL-quoted into exactly one segment, or refused before sending.

The API refuses names it cannot address (`/`, `.`, `..`, control characters, the form of an
id); every other name must reach its own object by path, however much it looks like syntax.
"""

from __future__ import annotations

import pytest
from ossit_client import OssitClient, UnprocessableEntityError
from ossit_client._base_client import build_path

ODD_NAMES = ["a b", "50%", "q?x=1", "#tag", "é", "a\\b", "...", " x", "📈", "%2F"]
DAY = "2026-01-05"


@pytest.mark.parametrize(
    ("value", "segment"),
    [("a b", "a%20b"), ("50%", "50%25"), ("q?x=1", "q%3Fx%3D1"), ("#tag", "%23tag"),
     ("a/b", "a%2Fb"), ("é", "%C3%A9"), ("...", "..."), ("a\\b", "a%5Cb"), (12, "12")],
)  # fmt: skip
def test_a_path_parameter_is_one_quoted_segment(value: object, segment: str) -> None:
    assert build_path("/statistic-groups/{group}", {"group": value}) == (
        f"/v1/api/statistic-groups/{segment}"
    )


@pytest.mark.parametrize("value", ["", ".", "..", "a\x00b", "tab\t", "line\n", "\x7f"])
def test_a_path_parameter_no_request_can_address_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="'statistic'"):
        build_path("/statistics/{group}/{statistic}", {"group": "g", "statistic": value})


def test_names_that_look_like_url_syntax_round_trip(client: OssitClient) -> None:
    for name in ODD_NAMES:
        group = client.statistic_groups.create(name)
        assert client.statistic_groups.get(name)["id"] == group["id"]
        assert client.statistic_groups.update(name, description="d")["description"] == "d"
        client.statistics.create(name, name, value=1, reference_date=DAY)
        assert client.statistics.set_value(name, name, 2, DAY, method="add")["value"] == 3
        assert client.statistics.update_metadata(name, name, description="d")["description"] == "d"
        assert client.statistics.get(name, name)["value"] == 3
        assert [s["name"] for s in client.statistics.list(group=name)] == [name]
        assert client.statistics.purge(name, name)["deleted_at"] is not None
        assert client.statistic_groups.delete(name)["id"] == group["id"]
    assert list(client.statistic_groups.list()) == []


@pytest.mark.parametrize("name", ["a/b", ".", "..", "bell\x07", "grp_1", "stat_01"])
def test_names_no_path_can_carry_are_refused_at_creation(client: OssitClient, name: str) -> None:
    with pytest.raises(UnprocessableEntityError) as refused:
        client.statistic_groups.create(name)
    assert "name" in str(refused.value)
    assert list(client.statistic_groups.list()) == []
