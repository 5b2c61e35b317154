"""/v1/api/statistic-groups: create, list, get, rename (POST or PUT), delete."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ossit_sandbox import validate
from ossit_sandbox.api.common import answer, checked, list_query, read_body, run
from ossit_sandbox.api.common import store_of as store
from ossit_sandbox.auth import current_domain
from ossit_sandbox.store import groups

router = APIRouter(prefix="/v1/api/statistic-groups")


@router.post("")
async def create_group(request: Request) -> Response:
    """Create a group; 409 when a live group has the name."""
    domain = current_domain(request)
    body = await read_body(request)
    name = checked(validate.name, body)
    description = checked(validate.text, body, "description")
    record = await run(groups.create_group, store(request), domain.id, name, description)
    return answer(record, 201)


@router.get("")
async def list_groups(request: Request) -> Response:
    """A page of groups."""
    domain = current_domain(request)
    query = list_query(request)
    return answer(await run(groups.list_groups, store(request), domain.id, query))


@router.get("/{group}")
async def get_group(request: Request, group: str) -> Response:
    """One live group by name or id."""
    domain = current_domain(request)
    return answer(await run(groups.get_group, store(request), domain.id, group))


@router.post("/{group}")
@router.put("/{group}")
async def update_group(request: Request, group: str) -> Response:
    """Rename a group and/or change its description (the official client uses POST)."""
    domain = current_domain(request)
    body = await read_body(request)
    name = checked(validate.name, body, required=False)
    description = checked(validate.text, body, "description")
    record = await run(
        groups.update_group, store(request), domain.id, group, name, description,
        set_description="description" in body,
    )  # fmt: skip
    return answer(record)


@router.delete("/{group}")
async def delete_group(request: Request, group: str) -> Response:
    """Tombstone a group and everything in it; answers the tombstone."""
    domain = current_domain(request)
    return answer(await run(groups.delete_group, store(request), domain.id, group))
