"""/v1/api/domains: what the official client's ``Domain`` resource calls.

Any valid key may create a domain (the new domain's record, with its new key, is the
answer). A key sees and changes only its own domain: ``/domains/{other key}`` is a 403.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ossit_sandbox import auth, timefmt, validate
from ossit_sandbox.api.common import answer, checked, read_body, run
from ossit_sandbox.api.common import store_of as store
from ossit_sandbox.auth import current_domain, hash_key, presented_key
from ossit_sandbox.errors import ApiError
from ossit_sandbox.store import domains
from ossit_sandbox.store.domains import Domain
from ossit_sandbox.validate import FieldError

router = APIRouter(prefix="/v1/api/domains")


def _time_zone(body: dict, default: str) -> str:
    value = body.get("time_zone")
    if value is None:
        return default
    try:
        return timefmt.check_time_zone(value)
    except ValueError as exc:
        raise FieldError("time_zone", str(exc)).api_error() from None


def _own(request: Request, domain_key: str) -> Domain:
    domain = current_domain(request)
    if hash_key(domain_key) != domain.key_hash:
        raise ApiError(403, "forbidden", "a domain key may only read or change its own domain")
    return domain


@router.post("")
async def create_domain(request: Request) -> Response:
    """Create a new domain; answers its record including its new key."""
    current_domain(request)
    body = await read_body(request)
    name = checked(validate.label, body)
    time_zone = _time_zone(body, "UTC")
    created = await run(auth.create_domain, store(request), name, time_zone)
    return answer(created.domain.record(created.key), 201)


@router.get("")
async def list_domains(request: Request) -> Response:
    """The domains this key may see: its own."""
    domain = current_domain(request)
    return answer({"data": [domain.record(presented_key(request))], "next_cursor": None})


@router.get("/{domain_key}")
async def get_domain(request: Request, domain_key: str) -> Response:
    """This key's own domain."""
    return answer(_own(request, domain_key).record(domain_key))


@router.post("/{domain_key}")
async def update_domain(request: Request, domain_key: str) -> Response:
    """Rename this key's domain and/or change its time zone."""
    domain = _own(request, domain_key)
    body = await read_body(request)
    name = checked(validate.label, body, required=False) or domain.name
    time_zone = _time_zone(body, domain.time_zone)
    updated = await run(domains.update_domain, store(request), domain, name, time_zone)
    request.app.state.domains.put(updated)
    return answer(updated.record(domain_key))


@router.delete("/{domain_key}")
async def delete_domain(request: Request, domain_key: str) -> Response:
    """Retire this key's domain: the key stops working."""
    domain = _own(request, domain_key)
    await run(domains.delete_domain, store(request), domain)
    request.app.state.domains.forget(domain.key_hash)
    return answer({**domain.record(domain_key), "deleted": True})
