"""The sandbox's rate limit: headers on every response, 429s, fixed and sliding windows."""

from __future__ import annotations

import httpx
import pytest

from foxreach_cli.sandbox.ratelimit import RateLimiter
from tests.sandbox_fixture import SandboxFactory

RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


def _rate(resp: httpx.Response) -> tuple[int, int, int]:
    return tuple(int(resp.headers[h]) for h in RATE_HEADERS)  # type: ignore[return-value]


class FakeClock:
    """Epoch seconds that move only when the test says so (read by the sandbox's thread)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


#: An epoch second on a whole hour, so windows of 60 s and 3600 s both start here.
HOUR = 1_706_140_800


def _retry_after(resp: httpx.Response) -> int:
    return int(resp.headers["retry-after"])


def test_every_response_with_a_key_carries_rate_headers_and_spends_one(
    sandbox_factory: SandboxFactory,
) -> None:
    sb = sandbox_factory(rate_limit=50, window=3600, clock=FakeClock(HOUR + 12.25))
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
    # limit, remaining, and the end of the fixed hour-long window the clock stands in
    assert [_rate(r) for r in responses] == [(50, n, HOUR + 3600) for n in range(49, 41, -1)]
    assert ["retry-after" in r.headers for r in responses] == [False] * 8


def test_429_after_the_limit_with_the_documented_body_and_retry_after(
    sandbox_factory: SandboxFactory,
) -> None:
    sb = sandbox_factory(rate_limit=3, window=3600, clock=FakeClock(HOUR + 1000.5))
    with httpx.Client(base_url=sb.base_url, headers={"X-API-Key": "otr_rl"}) as c:
        ok = [c.get("/leads") for _ in range(3)]
        refused = c.post("/leads/import", json={"leads": [{"email": "late@x.com"}]})
    assert [r.status_code for r in ok] == [200, 200, 200]
    assert [_rate(r) for r in ok] == [(3, n, HOUR + 3600) for n in (2, 1, 0)]
    assert refused.status_code == 429
    assert refused.json() == {
        "error": "Rate limit exceeded",
        "code": "rate_limit_exceeded",
        "details": {"limit": 3, "reset": HOUR + 3600},
    }
    assert _rate(refused) == (3, 0, HOUR + 3600)
    assert _retry_after(refused) == 2600  # ceil(3600 - 1000.5): whole seconds, rounded up
    assert sb.stats.rate_limited == 1
    assert sb.store.count_active("otr_rl") == 0  # a refused import stores nothing


def test_budget_belongs_to_the_key(sandbox_factory: SandboxFactory) -> None:
    sb = sandbox_factory(rate_limit=2, window=3600, clock=FakeClock(HOUR))
    a = httpx.Client(base_url=sb.base_url, headers={"X-API-Key": "otr_a"})
    b = httpx.Client(base_url=sb.base_url, headers={"X-API-Key": "otr_b"})
    with a, b:
        assert [a.get("/leads").status_code for _ in range(3)] == [200, 200, 429]
        assert b.get("/leads").status_code == 200
    # Two clients with the same key share one budget.
    with httpx.Client(base_url=sb.base_url, headers={"X-API-Key": "otr_a"}) as again:
        assert again.get("/leads").status_code == 429


def test_a_client_that_waits_retry_after_gets_through(sandbox_factory: SandboxFactory) -> None:
    clock = FakeClock(HOUR + 20.5)
    sb = sandbox_factory(rate_limit=2, window=60, clock=clock)
    with httpx.Client(base_url=sb.base_url, headers={"X-API-Key": "otr_w"}) as c:
        assert [c.get("/leads").status_code for _ in range(2)] == [200, 200]
        refused = c.get("/leads")
        assert (refused.status_code, _retry_after(refused)) == (429, 40)  # ceil(60 - 20.5)
        clock.now += 39  # a second short of Retry-After: still this window
        early = c.get("/leads")
        assert (early.status_code, _retry_after(early), _rate(early)) == (429, 1, (2, 0, HOUR + 60))
        clock.now += 1  # Retry-After has passed: a new window
        late = c.get("/leads")
        assert (late.status_code, _rate(late)) == (200, (2, 1, HOUR + 120))


def test_refused_requests_do_not_consume_budget(sandbox_factory: SandboxFactory) -> None:
    # Sliding window: if the 429s were counted, they would still fill the window below.
    t0 = HOUR + 7.0
    clock = FakeClock(t0)
    sb = sandbox_factory(rate_limit=3, window=1.0, window_mode="sliding", clock=clock)
    with httpx.Client(base_url=sb.base_url, headers={"X-API-Key": "otr_s"}) as c:
        first = [c.get("/leads") for _ in range(3)]
        assert [(r.status_code, _rate(r)) for r in first] == [
            (200, (3, n, HOUR + 8)) for n in (2, 1, 0)
        ]
        clock.now = t0 + 0.3
        refused = [c.get("/leads") for _ in range(5)]
        assert [(r.status_code, _rate(r), _retry_after(r)) for r in refused] == [
            (429, (3, 0, HOUR + 8), 1)
        ] * 5
        clock.now = t0 + 1.0  # the first three leave the span; the 429s were never in it
        again = [c.get("/leads") for _ in range(4)]
    assert [(r.status_code, _rate(r)[1]) for r in again] == [(200, 2), (200, 1), (200, 0), (429, 0)]
    assert sb.stats.rate_limited == 6


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


@pytest.mark.parametrize(
    ("mode", "reset_before", "retry_before", "after_the_boundary"),
    [
        # fixed: the window ends at HOUR + 60, and the next one's budget is whole again
        ("fixed", HOUR + 60, 1, (200, (2, 1, HOUR + 120), None)),
        # sliding: the first request stops counting at HOUR + 59.5 + 60, not before
        ("sliding", HOUR + 120, 60, (429, (2, 0, HOUR + 120), "59")),
    ],
)
def test_rate_limit_window_mode_is_honoured_over_http(
    sandbox_factory: SandboxFactory,
    mode: str,
    reset_before: int,
    retry_before: int,
    after_the_boundary: tuple[int, tuple[int, int, int], str | None],
) -> None:
    clock = FakeClock(HOUR + 59.5)  # half a second before a fixed window ends
    sb = sandbox_factory(rate_limit=2, window=60, window_mode=mode, clock=clock)
    with httpx.Client(base_url=sb.base_url, headers={"X-API-Key": "otr_m"}) as c:
        before = [c.get("/leads") for _ in range(3)]
        clock.now += 1.0
        after = c.get("/leads")
    assert [(r.status_code, _rate(r)) for r in before] == [
        (200, (2, 1, reset_before)),
        (200, (2, 0, reset_before)),
        (429, (2, 0, reset_before)),
    ]
    assert _retry_after(before[2]) == retry_before
    assert (after.status_code, _rate(after), after.headers.get("retry-after")) == after_the_boundary
