"""The sandbox's latency is counted from a request's arrival, and the routes work within it.

A real API answers concurrent requests in parallel. The sandbox runs its routes on one event
loop, so if it slept the latency first and worked after, every import queued behind a burst
would also wait for the work of all those before it, and the client's rate budget would see
answers later than the server counted them. Driven in-process on a fake loop clock: no
server, no real sleep.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from foxreach_cli.sandbox import gateway
from foxreach_cli.sandbox.app import create_app
from foxreach_cli.sandbox.config import MEMORY_DB, SandboxConfig

KEY = "otr_latency_test"


class FakeLoopClock:
    """The gateway's loop clock and sleep: sleeping moves the clock, nothing waits."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []
        monkeypatch.setattr(gateway, "_loop_time", lambda: self.now)
        monkeypatch.setattr(gateway, "_sleep", self.sleep)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _routes(clock: FakeLoopClock, work: float, seen: dict[str, float]) -> Any:
    """Routes that take ``work`` seconds of the fake clock, then answer 200."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen["work_started"] = clock.now
        clock.now += work
        await send({"type": "http.response.start", "status": 200, "headers": []})
        seen["answered"] = clock.now
        await send({"type": "http.response.body", "body": b"{}"})

    return app


def _post(app: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
            return await client.post(
                "/api/v1/leads/import", headers={"X-API-Key": KEY}, content=b"{}"
            )

    return asyncio.run(go())


def _gateway(clock: FakeLoopClock, work: float, seen: dict[str, float], **config: Any) -> Any:
    state = create_app(SandboxConfig(db=MEMORY_DB, **config)).state.sandbox
    return gateway.Gateway(_routes(clock, work, seen), state)


def test_the_work_happens_within_the_latency(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeLoopClock(monkeypatch)
    seen: dict[str, float] = {}
    resp = _post(_gateway(clock, 0.1, seen, latency=0.3))
    assert resp.status_code == 200
    assert seen["work_started"] == 100.0  # at arrival, not after the latency
    assert clock.sleeps == [pytest.approx(0.2)]  # only what the work left of the latency
    assert clock.now == pytest.approx(100.3)
    assert resp.headers["x-ratelimit-remaining"] == "99"


def test_work_longer_than_the_latency_is_answered_when_done(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = FakeLoopClock(monkeypatch)
    seen: dict[str, float] = {}
    assert _post(_gateway(clock, 0.5, seen, latency=0.3)).status_code == 200
    assert clock.sleeps == []
    assert seen["answered"] == pytest.approx(100.5)


def test_a_refusal_waits_the_latency_too(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeLoopClock(monkeypatch)
    seen: dict[str, float] = {}
    app = _gateway(clock, 0.0, seen, latency=0.3, rate_limit=1)
    assert _post(app).status_code == 200
    seen.clear()
    clock.now, clock.sleeps = 200.0, []
    refused = _post(app)
    assert refused.status_code == 429
    assert seen == {}  # the routes never ran
    assert clock.sleeps == [pytest.approx(0.3)]


def test_no_latency_never_sleeps(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeLoopClock(monkeypatch)
    seen: dict[str, float] = {}
    assert _post(_gateway(clock, 0.01, seen)).status_code == 200
    assert clock.sleeps == []
