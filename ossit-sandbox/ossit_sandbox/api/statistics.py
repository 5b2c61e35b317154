"""/v1/api/statistics: the official client's calls plus metadata updates and points."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from ossit_schemas import DEFAULT_POINT_METHOD, POINT_METHODS, POINT_METHODS_WITH_VALUE

from ossit_sandbox import timefmt, validate
from ossit_sandbox.api.common import answer, checked, list_query, query_date, read_body, run
from ossit_sandbox.api.common import store_of as store
from ossit_sandbox.auth import current_domain
from ossit_sandbox.errors import invalid
from ossit_sandbox.store import points, statistics

router = APIRouter(prefix="/v1/api/statistics")


@router.post("")
async def create_statistic(request: Request) -> Response:
    """Create a statistic in an existing group, with a first point when ``value`` is given."""
    domain = current_domain(request)
    body = await read_body(request)
    group = checked(validate.name, body, "group")
    name = checked(validate.name, body)
    value = checked(validate.number, body, "value", required=False)
    day = checked(validate.date, body, "reference_date", timefmt.today_in(domain.time_zone))
    record = await run(
        points.create_statistic, store(request), domain.id, group, name,
        unit=checked(validate.text, body, "unit"),
        description=checked(validate.text, body, "description"),
        value=value, reference_date=day,
    )  # fmt: skip
    return answer(record, 201)


@router.get("")
async def list_statistics(request: Request) -> Response:
    """A page of statistics, optionally of one group."""
    domain = current_domain(request)
    query = list_query(request)
    group = request.query_params.get("group")
    return answer(await run(statistics.list_statistics, store(request), domain.id, query, group))


@router.get("/{group}/{statistic}")
async def get_statistic(request: Request, group: str, statistic: str) -> Response:
    """One live statistic."""
    domain = current_domain(request)
    record = await run(statistics.get_statistic, store(request), domain.id, group, statistic)
    return answer(record)


@router.post("/{group}/{statistic}")
async def update_value(request: Request, group: str, statistic: str) -> Response:
    """Apply set/increment/decrement/add/subtract to one day; answers the statistic."""
    domain = current_domain(request)
    body = await read_body(request)
    method = checked(validate.choice, body, "method", POINT_METHODS, DEFAULT_POINT_METHOD)
    value = checked(validate.number, body, "value", required=method in POINT_METHODS_WITH_VALUE)
    day = checked(validate.date, body, "reference_date", timefmt.today_in(domain.time_zone))
    change = points.PointWrite(group, statistic, day, value, method)
    return answer(await run(points.update_value, store(request), domain.id, change))


@router.put("/{group}/{statistic}")
async def update_metadata(request: Request, group: str, statistic: str) -> Response:
    """Change a statistic's name, unit and/or description (only the keys given)."""
    domain = current_domain(request)
    body = await read_body(request)
    changes: dict[str, str | None] = {}
    if "name" in body:
        changes["name"] = checked(validate.name, body)
    for field in ("unit", "description"):
        if field in body:
            changes[field] = checked(validate.text, body, field)
    record = await run(
        statistics.update_metadata, store(request), domain.id, group, statistic, changes
    )
    return answer(record)


@router.delete("/{group}/{statistic}")
async def delete_statistic(request: Request, group: str, statistic: str) -> Response:
    """``?reference_date=`` tombstones one day's point; ``?purge=true`` the whole statistic."""
    domain = current_domain(request)
    if checked(validate.query_bool, request.query_params, "purge"):
        record = await run(statistics.purge_statistic, store(request), domain.id, group, statistic)
        return answer(record)
    day = query_date(request, "reference_date")
    if day is None:
        raise invalid("reference_date", "is required unless purge=true")
    record = await run(points.delete_day, store(request), domain.id, group, statistic, day)
    return answer(record)


@router.get("/{group}/{statistic}/points")
async def list_statistic_points(request: Request, group: str, statistic: str) -> Response:
    """A page of one statistic's points."""
    domain = current_domain(request)
    query = list_query(request)
    page = await run(
        points.list_statistic_points, store(request), domain.id, group, statistic, query
    )
    return answer(page)
