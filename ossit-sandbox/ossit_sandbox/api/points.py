"""/v1/api/points: the whole domain's points, and the all-or-nothing batch write."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from ossit_schemas import DEFAULT_POINT_METHOD, POINT_METHODS, POINT_METHODS_WITH_VALUE

from ossit_sandbox import validate
from ossit_sandbox.api.common import (
    answer,
    batch_items,
    checked,
    list_query,
    query_date,
    read_body,
    run,
)
from ossit_sandbox.api.common import store_of as store
from ossit_sandbox.auth import current_domain
from ossit_sandbox.store import points

router = APIRouter(prefix="/v1/api/points")


@router.get("")
async def list_points(request: Request) -> Response:
    """A page of the domain's points (filters group, statistic, from_date, to_date)."""
    domain = current_domain(request)
    query = list_query(request)
    params = request.query_params
    page = await run(
        points.list_points, store(request), domain.id, query,
        group=params.get("group"), statistic=params.get("statistic"),
        from_date=query_date(request, "from_date"), to_date=query_date(request, "to_date"),
    )  # fmt: skip
    return answer(page)


def _point_item(item: Any) -> points.PointWrite:
    item = validate.json_object(item, "item")
    group = validate.name(item, "group")
    statistic = validate.name(item, "statistic")
    day = validate.date(item, "reference_date", None)
    # Every field present is checked, a delete's too: the document's item schema holds.
    method = validate.choice(item, "method", POINT_METHODS, DEFAULT_POINT_METHOD)
    delete = validate.boolean(item, "delete")
    value = validate.number(
        item, "value", required=not delete and method in POINT_METHODS_WITH_VALUE
    )
    if delete:
        return points.PointWrite(group, statistic, day, delete=True)
    return points.PointWrite(group, statistic, day, value, method)


@router.post("/batch")
async def batch(request: Request) -> Response:
    """Apply up to 1000 point changes, all or nothing; answers the resulting points."""
    domain = current_domain(request)
    body = await read_body(request)
    writes = batch_items(body, "points", _point_item)
    create_missing = checked(validate.boolean, body, "create_missing")
    data = await run(points.write_batch, store(request), domain.id, writes, create_missing)
    return answer({"data": data})
