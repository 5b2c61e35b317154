"""/v1/api/points: the whole domain's points, and the all-or-nothing batch write."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from ossit_sandbox import validate
from ossit_sandbox.api.common import (
    MAX_BATCH,
    answer,
    checked,
    current_domain,
    list_query,
    query_date,
    read_body,
    run,
)
from ossit_sandbox.api.common import store_of as store
from ossit_sandbox.errors import ApiError
from ossit_sandbox.store import points, statistics
from ossit_sandbox.validate import FieldError

router = APIRouter(prefix="/v1/api/points")


@router.get("")
async def list_points(request: Request) -> Response:
    """A page of the domain's points (filters group, statistic, from_date, to_date)."""
    domain = current_domain(request)
    query = list_query(request)
    params = request.query_params
    page = await run(
        statistics.list_points, store(request), domain.id, query,
        group=params.get("group"), statistic=params.get("statistic"),
        from_date=query_date(request, "from_date"), to_date=query_date(request, "to_date"),
    )  # fmt: skip
    return answer(page)


def _point_item(item: Any) -> points.PointWrite:
    item = validate.json_object(item, "item")
    group = validate.name(item, "group")
    statistic = validate.name(item, "statistic")
    day = validate.date(item, "reference_date", None)
    if validate.boolean(item, "delete"):
        return points.PointWrite(str(group), str(statistic), day, delete=True)
    method = validate.choice(item, "method", points.METHODS, "set")
    value = validate.number(item, "value", required=method in ("set", "add", "subtract"))
    return points.PointWrite(str(group), str(statistic), day, value, method)


def batch_items(body: dict[str, Any], field: str) -> list[Any]:
    """The item list of a batch body: a JSON array of at most 1000 items."""
    items = body.get(field)
    if not isinstance(items, list):
        raise FieldError(field, "is required, an array of items").api_error()
    if len(items) > MAX_BATCH:
        raise FieldError(field, f"must have at most {MAX_BATCH} items").api_error()
    return items


def item_errors(errors: list[dict[str, Any]]) -> ApiError:
    """The 422 of a batch, listing each bad item's index and field."""
    return ApiError(422, "invalid_items", f"{len(errors)} item(s) are invalid", items=errors)


@router.post("/batch")
async def batch(request: Request) -> Response:
    """Apply up to 1000 point changes, all or nothing; answers the resulting points."""
    domain = current_domain(request)
    body = await read_body(request)
    raw_items = batch_items(body, "points")
    create_missing = checked(validate.boolean, body, "create_missing")
    writes: list[points.PointWrite] = []
    errors: list[dict[str, Any]] = []
    for index, raw in enumerate(raw_items):
        try:
            writes.append(_point_item(raw))
        except FieldError as exc:
            errors.append({"index": index, "field": exc.field, "message": exc.message})
    if errors:
        raise item_errors(errors)
    data = await run(points.write_batch, store(request), domain.id, writes, create_missing)
    return answer({"data": data})
