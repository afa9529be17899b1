"""ASGI middleware in front of the routes: auth, rate limit, latency, faults, headers, counters.

Order for each request: count it; if the key starts with ``otr_``, ask the rate limiter (at
arrival); sleep ``latency``; then answer 403 (no or malformed key, no rate headers), 429 (budget
spent, not counted), 403 (revoked key), or pass to the routes. Import requests then draw a fault.
Every response to a request with a well-formed key carries the ``X-RateLimit-*`` headers.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .faults import Fault
from .state import SandboxState
from .store import workspace_of

API_PREFIX = "/api/v1"
IMPORT_PATH = API_PREFIX + "/leads/import"
KEY_PREFIX = "otr_"
TRANSPORT_KEY = "foxreach.transport"  # put in scope["state"] by server.DroppableH11Protocol
WORKSPACE_KEY = "workspace"  # the routes read it as request.state.workspace


def _api_key(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-api-key":
            return value.decode("latin-1")
    return None


class Gateway:
    """Wraps the FastAPI routes; see the module docstring for what it decides."""

    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = self.state
        stats = state.stats
        stats.requests += 1
        key = _api_key(scope)
        workspace = workspace_of(key) if key and key.startswith(KEY_PREFIX) else None
        decision = state.limiter.hit(workspace) if workspace else None
        if state.config.latency > 0:
            await asyncio.sleep(state.config.latency)

        if workspace is None or decision is None:
            await self._reply(send, 403, {"detail": "Missing or invalid API key (X-API-Key)."})
            return
        headers = decision.headers()
        if not decision.allowed:
            stats.rate_limited += 1
            body = {
                "error": "Rate limit exceeded",
                "code": "rate_limit_exceeded",
                "details": {"limit": decision.limit, "reset": decision.reset},
            }
            await self._reply(send, 429, body, headers)
            return
        if workspace in state.revoked:
            await self._reply(send, 403, {"detail": "API key has been revoked."}, headers)
            return

        scope.setdefault("state", {})[WORKSPACE_KEY] = workspace
        fault = Fault.NONE
        if scope["method"] == "POST" and scope["path"] == IMPORT_PATH:
            stats.imports += 1
            fault = state.faults.draw()
        if fault is Fault.FAIL:
            stats.injected_500 += 1
            await self._reply(send, 500, {"detail": "injected fault"}, headers)
            return
        if fault is Fault.DROP:
            await self._serve_then_drop(scope, receive)
            return
        await self._serve(scope, receive, send, headers)

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, headers: list[tuple[bytes, bytes]]
    ) -> None:
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                self.state.stats.statuses[message["status"]] += 1
                message = {**message, "headers": [*message.get("headers", []), *headers]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # Without this, uvicorn would answer a bare 500 lacking the rate-limit headers.
            if started:
                raise
            await self._reply(send, 500, {"detail": "Internal server error."}, headers)

    async def _serve_then_drop(self, scope: Scope, receive: Receive) -> None:
        async def swallow(message: Message) -> None:
            return None

        await self.app(scope, receive, swallow)  # processed and committed, answer discarded
        self.state.stats.injected_drops += 1
        transport = scope.get("state", {}).get(TRANSPORT_KEY)
        if transport is not None:
            transport.abort()  # RST, no bytes: the client sees the connection die
            # Let uvicorn see connection_lost before run_asgi checks for a missing response.
            await asyncio.sleep(0)

    async def _reply(
        self,
        send: Send,
        status: int,
        body: dict[str, Any],
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        self.state.stats.statuses[status] += 1
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    *(headers or []),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
