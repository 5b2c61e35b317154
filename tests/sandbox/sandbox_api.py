"""The HTTP helper of the sandbox contract tests (fixtures live in conftest.py)."""

from __future__ import annotations

from typing import Any

import requests


class Api:
    """A thin HTTP helper for contract tests: one domain key, paths under /v1/api."""

    def __init__(self, base_url: str, key: str | None) -> None:
        self.base_url = base_url
        self.key = key
        self.session = requests.Session()
        if key is not None:
            self.session.headers["Authorization"] = f"Bearer {key}"

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """Any request; answers the ``requests.Response``."""
        url = path if path.startswith("/_sandbox") else f"/v1/api{path}"
        return self.session.request(method, self.base_url + url, timeout=30, **kwargs)

    def get(self, path: str, **params: Any) -> Any:
        """GET with query parameters."""
        return self.call("GET", path, params=params)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        """POST a JSON body."""
        return self.call("POST", path, json=body, **kwargs)

    def put(self, path: str, body: Any = None) -> Any:
        """PUT a JSON body."""
        return self.call("PUT", path, json=body)

    def delete(self, path: str, **params: Any) -> Any:
        """DELETE with query parameters."""
        return self.call("DELETE", path, params=params)

    def ok(self, response: Any, status: int = 200) -> Any:
        """The JSON of an answer that must have ``status``."""
        assert response.status_code == status, (response.status_code, response.text)
        return response.json()

    def read_all(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every record of a list, page by page."""
        records: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self.ok(self.get(path, **params, **({"cursor": cursor} if cursor else {})))
            records.extend(page["data"])
            cursor = page["next_cursor"]
            if cursor is None:
                return records
