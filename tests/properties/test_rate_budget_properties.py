"""The rate budget under generated request patterns (hypothesis): never over the limit, no 429."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.unit.test_rate_budget import (
    EPOCH,
    FakeTime,
    SimServer,
    Simulation,
    budget_for,
    requests_strategy,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    requests=requests_strategy,
    mode=st.sampled_from(["fixed", "sliding"]),
    limit=st.integers(1, 12),
    offset=st.floats(0.0, 100.0),
    round_reset=st.sampled_from(["ceil", "floor"]),
    local_lower=st.booleans(),
)
def test_never_more_than_limit_in_any_window_and_never_429(
    requests: list[tuple[float, float, float]],
    mode: str,
    limit: int,
    offset: float,
    round_reset: str,
    local_lower: bool,
) -> None:
    window = 20.0
    server = SimServer(mode, limit, window, round_reset)
    # --rate-limit equal to the server's limit (the default), or lower.
    local = max(1, limit - 2) if local_lower else limit
    sim = Simulation(local, server, window, EPOCH + offset)
    for gap, latency, share in requests:
        sim.run_until(sim.now + gap)
        assert sim.send(latency, share) == sim.now
    sim.run_until(math.inf)

    assert server.refused == 0
    cap = local
    arrivals = sorted(sim.arrivals)
    for i in range(len(arrivals) - cap):
        assert arrivals[i + cap] - arrivals[i] >= window - 1e-9


@settings(max_examples=60, deadline=None)
@given(
    gaps=st.lists(st.floats(0.0, 2.0), min_size=1, max_size=80),
    limit=st.integers(1, 10),
)
def test_local_log_alone_keeps_starts_within_limit(gaps: list[float], limit: int) -> None:
    """Without server headers, no window-span holds more than ``limit`` starts."""
    t = FakeTime()
    budget = budget_for(t, limit=limit, window=10.0)
    starts = []
    for gap in gaps:
        t.now += gap
        sent = budget.acquire()
        assert sent is not None
        starts.append(sent)
        budget.observe(None, sent_at=sent)  # answered at once
    for i in range(len(starts) - limit):
        assert starts[i + limit] - starts[i] >= 10.0 - 1e-9


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    requests=st.lists(
        st.tuples(
            st.floats(0.0, 3.0),  # gap before the next request is wanted
            st.floats(0.0, 4.0),  # queueing on the way in, before the server counts it
            st.floats(0.0, 4.0),  # queueing after the count (server work, the way back)
        ),
        min_size=1,
        max_size=120,
    ),
    way_in=st.floats(0.0, 1.0),
    way_out=st.floats(0.01, 2.0),
    mode=st.sampled_from(["fixed", "sliding"]),
    limit=st.integers(1, 12),
    offset=st.floats(0.0, 100.0),
    round_reset=st.sampled_from(["ceil", "floor"]),
)
def test_floor_keyed_slots_are_safe_when_the_fastest_exchange_met_no_queue(
    requests: list[tuple[float, float, float]],
    way_in: float,
    way_out: float,
    mode: str,
    limit: int,
    offset: float,
    round_reset: str,
) -> None:
    """Fixed delays each way plus any queueing: keyed on the answer less the fastest round
    trip, no window-span holds more than ``limit`` arrivals, as long as the fastest exchange
    was answered first (the first request here meets no queue)."""
    window = 20.0
    server = SimServer(mode, limit, window, round_reset)
    sim = Simulation(limit, server, window, EPOCH + offset, report_round_trip=True)
    for n, (gap, queue_in, queue_out) in enumerate(requests):
        if n == 0:
            queue_in = queue_out = 0.0
        sim.run_until(sim.now + gap)
        latency = way_in + queue_in + way_out + queue_out
        assert sim.send(latency, (way_in + queue_in) / latency) == sim.now
    sim.run_until(math.inf)

    assert server.refused == 0
    arrivals = sorted(sim.arrivals)
    for i in range(len(arrivals) - limit):
        assert arrivals[i + limit] - arrivals[i] >= window - 1e-9


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    others=st.lists(st.floats(0.0, 19.9), min_size=1, max_size=12),
    requests=requests_strategy,
    mode=st.sampled_from(["fixed", "sliding"]),
    limit=st.integers(1, 12),
    offset=st.floats(0.0, 100.0),
)
def test_another_clients_requests_in_the_window_are_heeded(
    others: list[float],
    requests: list[tuple[float, float, float]],
    mode: str,
    limit: int,
    offset: float,
) -> None:
    """Another client spent part of the key's window just before the import: the first
    answer shows more than our requests, and every view binds. One request at a time (each
    waits for the previous answer), so none is sent blind; the first finds a slot."""
    assume(len(others) < limit)
    window = 20.0
    server = SimServer(mode, limit, window, "ceil")
    sim = Simulation(limit, server, window, EPOCH + offset + window, report_round_trip=True)
    for ago in sorted(others, reverse=True):
        server.hit(EPOCH + offset + window - ago)  # counted before we start
    for gap, latency, share in requests:
        sim.run_until(sim.now + gap)
        sim.send(latency, share)
        while sim.events:  # its answer, before the next request
            sim.run_until(sim.events[0][0])
    assert server.refused == 0
