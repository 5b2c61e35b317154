"""/v1/api/intervals: runs, batches, states and custom spans on a group."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from ossit_schemas import ID_PREFIXES, INTERVAL_TYPES, NAME_MAX_LENGTH, parse_id

from ossit_sandbox import validate
from ossit_sandbox.api.common import answer, batch_items, checked, list_query, read_body, run
from ossit_sandbox.api.common import store_of as store
from ossit_sandbox.auth import current_domain
from ossit_sandbox.store import intervals
from ossit_sandbox.validate import FieldError

router = APIRouter(prefix="/v1/api/intervals")


def interval_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The validated fields present in ``body`` (absent keys stay absent: partial updates)."""
    fields: dict[str, Any] = {}
    if "external_id" in body:
        external_id = validate.text(body, "external_id")
        if external_id is not None and not 1 <= len(external_id) <= NAME_MAX_LENGTH:
            raise FieldError("external_id", f"must be 1 to {NAME_MAX_LENGTH} characters or null")
        fields["external_id"] = external_id
    if "group" in body:
        fields["group"] = validate.name(body, "group")
    for field in ("statistic", "name"):
        if field in body:
            fields[field] = validate.text(body, field)
    if "type" in body:
        fields["type"] = validate.choice(body, "type", INTERVAL_TYPES, None)
    if "start" in body:
        fields["start"] = validate.timestamp(body, "start", nullable=False)
    if "end" in body:
        fields["end"] = validate.timestamp(body, "end", nullable=True)
    if "metadata" in body:
        metadata = validate.json_document(body, "metadata")
        fields["metadata"] = None if metadata is None else orjson.dumps(metadata).decode()
    if fields.get("start") and fields.get("end") and fields["end"] < fields["start"]:
        raise FieldError("end", "must not be before start")
    return fields


@router.get("")
async def list_intervals(request: Request) -> Response:
    """A page of intervals (filters group, type)."""
    domain = current_domain(request)
    query = list_query(request)
    kind = request.query_params.get("type")
    if kind is not None:
        checked(validate.choice, {"type": kind}, "type", INTERVAL_TYPES, None)
    group = request.query_params.get("group")
    page = await run(intervals.list_intervals, store(request), domain.id, query, group, kind)
    return answer(page)


@router.post("")
async def create_interval(request: Request) -> Response:
    """Create an interval; an existing ``external_id`` updates that one instead (200)."""
    domain = current_domain(request)
    body = await read_body(request)
    fields = checked(interval_fields, body)
    record, created = await run(intervals.create_interval, store(request), domain.id, fields)
    return answer(record, 201 if created else 200)


def _batch_item(raw: Any) -> dict[str, Any]:
    item = validate.json_object(raw, "item")
    iid = None
    if item.get("id") is not None:
        ref = item["id"]
        iid = parse_id("intervals", ref) if isinstance(ref, str) else None
        if iid is None:
            raise FieldError("id", f"must be an interval id such as {ID_PREFIXES['intervals']}12")
    return {"id": iid, "delete": validate.boolean(item, "delete"), "fields": interval_fields(item)}


@router.post("/batch")
async def batch(request: Request) -> Response:
    """Upsert or delete up to 1000 intervals, all or nothing; answers the resulting ones."""
    domain = current_domain(request)
    body = await read_body(request)
    items = batch_items(body, "intervals", _batch_item)
    create_missing = checked(validate.boolean, body, "create_missing")
    data = await run(intervals.write_batch, store(request), domain.id, items, create_missing)
    return answer({"data": data})


@router.get("/{interval}")
async def get_interval(request: Request, interval: str) -> Response:
    """One live interval."""
    domain = current_domain(request)
    return answer(await run(intervals.get_interval, store(request), domain.id, interval))


@router.put("/{interval}")
async def update_interval(request: Request, interval: str) -> Response:
    """Change the given fields of a live interval (e.g. close it by setting ``end``)."""
    domain = current_domain(request)
    body = await read_body(request)
    fields = checked(interval_fields, body)
    record = await run(intervals.update_interval, store(request), domain.id, interval, fields)
    return answer(record)


@router.delete("/{interval}")
async def delete_interval(request: Request, interval: str) -> Response:
    """Tombstone a live interval; answers the tombstone."""
    domain = current_domain(request)
    return answer(await run(intervals.delete_interval, store(request), domain.id, interval))
