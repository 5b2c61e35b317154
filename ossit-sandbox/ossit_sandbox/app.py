"""Assemble the server: FastAPI routes, contract-shaped errors, the outer middleware."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.routing import Match

from ossit_sandbox.api import control, domains, groups, intervals, points, statistics
from ossit_sandbox.api.common import answer
from ossit_sandbox.auth import DomainCache
from ossit_sandbox.control import Control, Settings
from ossit_sandbox.endpoints import Endpoints
from ossit_sandbox.errors import CODES, ApiError, invalid
from ossit_sandbox.idempotency import WriteRequests
from ossit_sandbox.middleware import SandboxMiddleware
from ossit_sandbox.store.db import Store

log = logging.getLogger(__name__)


def _error(error: ApiError, headers: dict[str, str] | None = None) -> Response:
    response = answer(error.body(), error.status)
    if headers:
        response.headers.update(headers)
    return response


async def _api_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return _error(exc)


async def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(err.get("type") == "json_invalid" for err in errors):
        return _error(ApiError(400, "malformed_json", "the request body is not valid JSON"))
    first = errors[0] if errors else {}
    field = ".".join(str(part) for part in first.get("loc", ())[1:]) or "request"
    return _error(invalid(field, str(first.get("msg", "invalid"))))


def _allowed_methods(request: Request) -> str:
    """Every method served at the request's path (Starlette's own Allow names one route's)."""
    routes = request.app.router.routes
    return ", ".join(
        method
        for method in ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL
               for route in routes)
    )  # fmt: skip


async def _http_error(request: Request, exc: Exception) -> Response:
    """Routing errors. Starlette's only 404 is a path no route matches: its code is
    ``no_such_endpoint``, so a caller can tell it from ``not_found`` (a missing object)."""
    assert isinstance(exc, HTTPException)
    messages = {404: "no such endpoint", 405: "method not allowed on this endpoint"}
    message = messages.get(exc.status_code, str(exc.detail))
    code = "no_such_endpoint" if exc.status_code == 404 else CODES.get(exc.status_code, "error")
    error = ApiError(exc.status_code, code, message)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return _error(error, headers)


async def _unexpected(_: Request, exc: Exception) -> Response:
    log.error("unhandled error: %s", type(exc).__name__, exc_info=exc)
    return _error(ApiError.of_status(500, "the sandbox failed to handle this request"))


def create_app(settings: Settings) -> SandboxMiddleware:
    """The ASGI application that ``serve`` runs."""
    store = Store(settings.db)
    app = FastAPI(title="ossit-sandbox", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.store = store
    app.state.domains = DomainCache(store)
    app.state.control = Control(settings)
    routes: list[tuple[str, set[str]]] = []
    for module in (groups, statistics, points, intervals, domains, control):
        app.include_router(module.router)
        routes.extend((route.path, route.methods) for route in module.router.routes)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    return SandboxMiddleware(
        app, app.state.control, app.state.domains, WriteRequests(store), Endpoints(routes)
    )
