"""The sandbox's rate limit: headers on every response, 429s, fixed and sliding windows."""

from __future__ import annotations

import time

import httpx
import pytest

from foxreach_cli.sandbox.ratelimit import RateLimiter
from tests.sandbox_fixture import SandboxFactory

RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


def _rate(resp: httpx.Response) -> tuple[int, int, int]:
    return tuple(int(resp.headers[h]) for h in RATE_HEADERS)  # type: ignore[return-value]


def test_every_response_with_a_key_carries_rate_headers_and_spends_one(
    sandbox_factory: SandboxFactory,
) -> None:
    sb = sandbox_factory(rate_limit=50, window=3600)
    with httpx.Client(base_url=sb.base_url, headers={"X-API-Key": "otr_h"}) as c:
        responses = [
            c.post("/leads/import", json={"leads": [{"email": "a@x.com"}]}),  # 200
            c.post("/leads/import", json={"leads": []}),  # 400
            c.post("/leads/import", content=b"{"),  # 422
            c.post("/leads", json={"email": "a@x.com"}),  # 409
            c.post("/leads", json={"email": "b@x.com"}),  # 201
            c.get("/leads/cld_missing"),  # 404
            c.get("/nowhere"),  # 404 from the router
            c.get("/leads"),  # 200
        ]
    assert [r.status_code for r in responses] == [200, 400, 422, 409, 201, 404, 404, 200]
    assert [_rate(r)[1] for r in responses] == list(range(49, 41, -1))
    assert {_rate(r)[0] for r in responses} == {50}
    assert all(_rate(r)[2] > time.time() for r in responses)


def test_429_after_the_limit_with_the_documented_body_and_retry_after(
    sandbox_factory: SandboxFactory,
) -> None:
    sb = sandbox_factory(rate_limit=3, window=3600)
    with httpx.Client(base_url=sb.base_url, headers={"X-API-Key": "otr_rl"}) as c:
        ok = [c.get("/leads") for _ in range(3)]
        refused = c.post("/leads/import", json={"leads": [{"email": "late@x.com"}]})
    assert [r.status_code for r in ok] == [200, 200, 200]
    assert [_rate(r)[1] for r in ok] == [2, 1, 0]
    assert refused.status_code == 429
    reset = int(refused.headers["x-ratelimit-reset"])
    assert refused.json() == {
        "error": "Rate limit exceeded",
        "code": "rate_limit_exceeded",
        "details": {"limit": 3, "reset": reset},
    }
    assert _rate(refused)[:2] == (3, 0)
    assert 1 <= int(refused.headers["retry-after"]) <= 3600
    assert sb.stats.rate_limited == 1
    assert sb.store.count_active("otr_rl") == 0  # a refused import stores nothing


def test_budget_belongs_to_the_key(sandbox_factory: SandboxFactory) -> None:
    sb = sandbox_factory(rate_limit=2, window=3600)
    a = httpx.Client(base_url=sb.base_url, headers={"X-API-Key": "otr_a"})
    b = httpx.Client(base_url=sb.base_url, headers={"X-API-Key": "otr_b"})
    with a, b:
        assert [a.get("/leads").status_code for _ in range(3)] == [200, 200, 429]
        assert b.get("/leads").status_code == 200
    # Two clients with the same key share one budget.
    with httpx.Client(base_url=sb.base_url, headers={"X-API-Key": "otr_a"}) as again:
        assert again.get("/leads").status_code == 429


def test_a_client_that_waits_retry_after_gets_through(sandbox_factory: SandboxFactory) -> None:
    sb = sandbox_factory(rate_limit=2, window=1.0)
    with httpx.Client(base_url=sb.base_url, headers={"X-API-Key": "otr_w"}) as c:
        statuses = [c.get("/leads").status_code for _ in range(3)]
        while statuses[-1] != 429:  # the first two may straddle a window boundary
            statuses.append(c.get("/leads").status_code)
        refused = c.get("/leads")
        assert refused.status_code == 429
        time.sleep(int(refused.headers["retry-after"]))
        assert c.get("/leads").status_code == 200


def test_refused_requests_do_not_consume_budget(sandbox_factory: SandboxFactory) -> None:
    # Sliding window: if the 429s were counted, they would still fill the window below.
    sb = sandbox_factory(rate_limit=3, window=1.0, window_mode="sliding")
    with httpx.Client(base_url=sb.base_url, headers={"X-API-Key": "otr_s"}) as c:
        assert [c.get("/leads").status_code for _ in range(3)] == [200, 200, 200]
        counted_by = time.monotonic()  # the server saw all three before this
        time.sleep(0.3)
        assert [c.get("/leads").status_code for _ in range(5)] == [429] * 5
        time.sleep(max(0.0, counted_by + 1.05 - time.monotonic()))
        assert [c.get("/leads").status_code for _ in range(4)] == [200, 200, 200, 429]


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_fixed_window_allows_a_burst_across_the_boundary() -> None:
    clock = FakeClock(1000 * 60 + 59.5)
    limiter = RateLimiter(3, 60.0, "fixed", clock=clock)
    assert [limiter.hit("k").allowed for _ in range(4)] == [True, True, True, False]
    refused = limiter.hit("k")
    assert (refused.reset, refused.retry_after) == (1001 * 60, 1)
    clock.now += 1.0  # next window
    decisions = [limiter.hit("k") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert decisions[0].remaining == 2 and decisions[0].reset == 1002 * 60


def test_sliding_window_never_allows_more_than_the_limit_in_any_span() -> None:
    clock = FakeClock(1000 * 60 + 59.5)
    limiter = RateLimiter(3, 60.0, "sliding", clock=clock)
    first = [limiter.hit("k") for _ in range(3)]
    assert [d.remaining for d in first] == [2, 1, 0]
    clock.now += 1.0  # a fixed window would have rolled over here
    refused = limiter.hit("k")
    assert not refused.allowed
    assert refused.retry_after == 59  # when the oldest request leaves the span
    assert refused.reset == 1000 * 60 + 60 + 60  # ceil(59.5 + 60) in epoch seconds
    clock.now += 59.0
    assert limiter.hit("k").allowed


@pytest.mark.parametrize("mode", ["fixed", "sliding"])
def test_rate_limit_window_mode_is_honoured_over_http(
    sandbox_factory: SandboxFactory, mode: str
) -> None:
    sb = sandbox_factory(rate_limit=2, window=3600, window_mode=mode)
    with httpx.Client(base_url=sb.base_url, headers={"X-API-Key": "otr_m"}) as c:
        assert [c.get("/leads").status_code for _ in range(3)] == [200, 200, 429]
