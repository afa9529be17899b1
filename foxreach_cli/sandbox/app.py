"""The FoxReach-compatible API as a FastAPI app: ``create_app(config)`` builds one, no globals.

Routes under ``/api/v1`` (auth, rate limit and faults are the gateway's, see gateway.py):
``POST /leads/import``, ``POST /leads``, ``GET /leads``, ``GET /leads/{id}``,
``PATCH /leads/{id}`` and ``DELETE /leads/{id}``, as docs/sandbox.md describes them. Bodies
are parsed by hand (payload.py); parsing and database work run on the event loop (why:
docs/sandbox.md).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request, Response

from .. import __version__
from .campaign_routes import add_campaign_routes
from .config import SandboxConfig
from .faults import FaultInjector
from .gateway import API_PREFIX, Gateway
from .importing import run_import
from .outreach_routes import add_outreach_routes
from .outreach_store import OutreachStore
from .payload import PayloadError, parse_import, parse_lead_update, parse_single_lead
from .ratelimit import RateLimiter
from .state import SandboxState
from .store import ContactLimitExceeded, LeadExists, Store

MAX_PAGE_SIZE = 100


def json_response(status: int, body: dict[str, Any]) -> Response:
    """A JSON response without FastAPI's encoder (the bodies are plain dicts already)."""
    return Response(json.dumps(body).encode(), status_code=status, media_type="application/json")


def _detail(status: int, message: str) -> Response:
    return json_response(status, {"detail": message})


def create_app(
    config: SandboxConfig,
    *,
    store: Store | None = None,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """Build a sandbox app for ``config``.

    Opens ``Store(config.db)`` unless a store is given; the caller closes it
    (``app.state.sandbox.store.close()``) when the app is done. The shared state is
    ``app.state.sandbox`` (a :class:`SandboxState`). ``clock`` (epoch seconds) is what the
    rate limiter reads; tests pass a fake one to step through windows without waiting.
    """
    state = SandboxState(
        config=config,
        store=store if store is not None else Store(config.db),
        limiter=RateLimiter(config.rate_limit, config.window, config.window_mode, clock=clock),
        faults=FaultInjector(config.fail_rate, config.drop_rate, config.seed),
    )
    app = FastAPI(
        title="FoxReach sandbox",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.sandbox = state
    app.add_middleware(Gateway, state=state)
    _add_routes(app, state)
    # The campaign side (campaigns, sequences, templates, ...) in its own tables and modules.
    outreach = state.outreach = OutreachStore(state.store.path)
    add_campaign_routes(app, state.store, outreach)
    add_outreach_routes(app, state.store, outreach)
    return app


def _add_routes(app: FastAPI, state: SandboxState) -> None:
    store = state.store
    limit = state.config.contact_limit

    @app.post(API_PREFIX + "/leads/import")
    async def import_leads(request: Request) -> Response:
        body = await request.body()
        try:
            data = run_import(
                store, request.state.workspace, parse_import(body), contact_limit=limit
            )
        except PayloadError as exc:
            return _detail(exc.status, exc.detail)
        except ContactLimitExceeded as exc:
            return _detail(402, str(exc))
        return json_response(200, {"data": data})

    @app.post(API_PREFIX + "/leads")
    async def create_lead(request: Request) -> Response:
        body = await request.body()
        try:
            email, fields = parse_single_lead(body)
            lead = store.create_lead(request.state.workspace, email, fields, contact_limit=limit)
        except PayloadError as exc:
            return _detail(exc.status, exc.detail)
        except LeadExists:
            return _detail(409, "A lead with this email already exists in the workspace.")
        except ContactLimitExceeded as exc:
            return _detail(402, str(exc))
        return json_response(201, {"data": lead})

    @app.get(API_PREFIX + "/leads")
    async def list_leads(request: Request) -> Response:
        query = request.query_params
        try:
            page = _int_param(query.get("page"), "page", 1, 1, None)
            page_size = _int_param(query.get("pageSize"), "pageSize", 50, 1, MAX_PAGE_SIZE)
        except PayloadError as exc:
            return _detail(exc.status, exc.detail)
        tags = [t.strip() for t in (query.get("tags") or "").split(",") if t.strip()]
        leads, total = store.list_leads(
            request.state.workspace,
            page=page,
            page_size=page_size,
            search=query.get("search") or None,
            status=query.get("status") or None,
            email=query.get("email") or None,
            tags=tags,
        )
        meta = {
            "page": page,
            "pageSize": page_size,
            "total": total,
            "totalPages": math.ceil(total / page_size),
        }
        return json_response(200, {"data": leads, "meta": meta})

    @app.get(API_PREFIX + "/leads/{lead_id}")
    async def get_lead(lead_id: str, request: Request) -> Response:
        lead = store.get_lead(request.state.workspace, lead_id)
        if lead is None:
            return _detail(404, "Lead not found.")
        return json_response(200, {"data": lead})

    @app.patch(API_PREFIX + "/leads/{lead_id}")
    async def update_lead(lead_id: str, request: Request) -> Response:
        body = await request.body()
        try:
            lead = store.update_lead(request.state.workspace, lead_id, parse_lead_update(body))
        except PayloadError as exc:
            return _detail(exc.status, exc.detail)
        except LeadExists:
            return _detail(409, "A lead with this email already exists in the workspace.")
        if lead is None:
            return _detail(404, "Lead not found.")
        return json_response(200, {"data": lead})

    @app.delete(API_PREFIX + "/leads/{lead_id}")
    async def delete_lead(lead_id: str, request: Request) -> Response:
        deleted = store.delete_lead(request.state.workspace, lead_id)
        if not deleted:
            return _detail(404, "Lead not found.")
        return json_response(200, {"data": {"id": lead_id, "deleted": True}})


def _int_param(raw: str | None, name: str, default: int, low: int, high: int | None) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise PayloadError(422, f"Query parameter '{name}' must be an integer.") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise PayloadError(422, f"Query parameter '{name}' must be {bound}.")
    return value
