"""The ETA on an injected clock: a simulated import under the real RateBudget.

The simulation starts requests whenever a worker and a slot of the budget are free, answers
each after a network latency plus a wait in a single-server queue (so a burst's answers come
spread out, as from a real server), and asks the ETA at every answer. The run's real end is
known afterwards, so each prediction can be held against the real time left.
"""

from __future__ import annotations

import functools
import heapq
import math
import random
from dataclasses import dataclass, field, replace

import pytest

from foxreach_cli.eta import (
    Eta,
    budget_seconds_left,
    first_turn_delay,
    format_eta,
    format_rate,
    rows_to_send,
)
from foxreach_cli.rate_budget import BudgetSnapshot, RateBudget, RateInfo
from foxreach_cli.stage_data import Tally

#: Answers that come within this many seconds of each other are merged in one go.
COLLECT = 0.05


@dataclass
class Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:  # acquire() is only called when a slot is free
        raise AssertionError(f"the simulation never waits inside acquire ({seconds})")


@dataclass
class Run:
    """One simulated import: predictions as (time, share done, seconds left) and its end."""

    predictions: list[tuple[float, float, float | None]] = field(default_factory=list)
    end: float = 0.0

    def error_at(self, share: float) -> tuple[float, float]:
        """(predicted, real) seconds left at the first prediction made at ``share`` done."""
        at, _, predicted = next(p for p in self.predictions if p[1] >= share)
        assert predicted is not None
        return predicted, self.end - at


def simulate(
    *,
    rows: int,
    limit: int,
    window: float,
    concurrency: int,
    latency: float,
    service: float,
    batch: int = 1000,
    seed: int = 1,
    headers: bool = False,
) -> Run:
    """Import ``rows`` clean rows in batches; the server takes ``service`` s per request,
    one at a time, and the network ``latency`` (jittered) each way in total. With
    ``headers`` it answers ``X-RateLimit-Remaining`` and a ``Reset`` in whole seconds
    (rounded up) from a sliding window of the moments it counted the requests."""
    rng = random.Random(seed)
    clock = Clock()
    epoch = 1e9 + 0.37  # the server's whole seconds fall between ours

    def wall() -> float:
        return epoch + clock.now

    budget = RateBudget(limit, window, clock=clock, wall=wall, sleep=clock.sleep)
    counted: list[float] = []  # when the server counted each request (local clock)
    eta = Eta(batch_size=batch, concurrency=concurrency, window=window, clock=clock)
    tally = Tally()
    requests = math.ceil(rows / batch)
    started = 0
    answers: list[tuple[float, int, float, float, RateInfo | None]] = []
    server_free = 0.0
    run = Run()
    while started < requests or answers:
        can_start = started < requests and len(answers) < concurrency
        if can_start and budget.snapshot().next_slot == 0:
            sent_at = budget.acquire()
            assert sent_at is not None
            size = min(batch, rows - started * batch)
            # The reader runs ahead of the sender by one batch per worker.
            read = min(rows, (started + 1 + concurrency) * batch)
            tally = replace(tally, rows_read=read, valid=read)
            arrive = clock.now + latency * rng.uniform(0.4, 0.6)
            server_free = max(server_free, arrive) + service * rng.uniform(0.8, 1.2)
            done_at = server_free + latency * rng.uniform(0.4, 0.6)
            info = None
            if headers:
                live = [c for c in counted if c > arrive - window] + [arrive]
                assert len(live) <= limit, "the budget let the server see too many"
                counted[:] = live
                reset = math.ceil(epoch + live[0] + window)
                info = RateInfo(limit, limit - len(live), reset)
            heapq.heappush(answers, (done_at, started, sent_at, size, info))
            eta.started(started)
            started += 1
            continue
        wait = budget.snapshot().next_slot if can_start else math.inf
        at = answers[0][0] if answers else math.inf
        if clock.now + wait < at:
            clock.now += wait
            continue
        # As in the sender: the budget hears of every answer in reach (worker threads) before
        # the calling thread merges them one by one, asking the ETA after each.
        clock.now = at
        collected = []
        while answers and answers[0][0] <= at + COLLECT:
            done_at, seq, sent_at, size, info = heapq.heappop(answers)
            clock.now = done_at
            budget.observe(info, sent_at=sent_at, round_trip=done_at - sent_at)
            collected.append((done_at, seq, sent_at, size))
        for done_at, seq, sent_at, size in collected:
            eta.answered(done_at - sent_at)
            tally += Tally(created=size)
            eta.merged(seq)
            share = tally.created / rows
            run.predictions.append((clock.now, share, eta.live(tally, rows, budget.snapshot())))
    run.end = clock.now
    return run


CASES = {
    # the benchmark's budget: 150 requests in 50-request windows, a burst the server queues
    "50 per 10 s, queued burst": dict(
        rows=150_000, limit=50, window=10.0, concurrency=50, latency=0.3, service=0.03
    ),
    # the API's own budget, fewer workers than slots, slow answers
    "100 per 60 s, 16 workers": dict(
        rows=500_000, limit=100, window=60.0, concurrency=16, latency=1.5, service=0.02
    ),
    # fewer workers than slots and slow answers: each window goes out in waves of workers
    "50 per 10 s, 16 workers": dict(
        rows=150_000, limit=50, window=10.0, concurrency=16, latency=1.0, service=0.01
    ),
    # the server's views (Reset in whole seconds, read rounded up) hold each turn back by up
    # to 1.25 s beyond the local log: the ETA measures that once slots are reused
    "100 per 60 s, server headers, 16 workers": dict(
        rows=600_000,
        limit=100,
        window=60.0,
        concurrency=16,
        latency=1.0,
        service=0.02,
        headers=True,
    ),
    "50 per 10 s, server headers": dict(
        rows=500_000,
        limit=50,
        window=10.0,
        concurrency=50,
        latency=0.3,
        service=0.03,
        headers=True,
    ),
    # a partial last window and a batch size that leaves a short last batch
    "20 per 5 s, small batches": dict(
        rows=33_333, limit=20, window=5.0, concurrency=20, latency=0.2, service=0.05, batch=250
    ),
}


@functools.cache
def simulated(name: str):
    """The (deterministic, seeded) simulation of one case, run once for all its tests."""
    return simulate(**CASES[name])


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("share", [0.1, 0.5, 0.9])
def test_eta_after_the_first_tenth_is_within_ten_percent_or_two_seconds(name, share):
    run = simulated(name)
    predicted, real = run.error_at(share)
    assert abs(predicted - real) <= max(0.1 * real, 2.0), (predicted, real)


@pytest.mark.parametrize("name", CASES)
def test_every_eta_after_the_first_tenth_is_within_the_bound(name):
    run = simulated(name)
    for at, share, predicted in run.predictions:
        if share >= 0.1:
            assert predicted is not None
            real = run.end - at
            assert abs(predicted - real) <= max(0.1 * real, 2.0), (share, predicted, real)


def test_the_burst_rate_would_have_been_far_off():
    """The old way (rows so far / time so far) misses the bound: the budget sets the pace."""
    run = simulated("50 per 10 s, queued burst")
    at, share, _ = next(p for p in run.predictions if p[1] >= 0.15)
    by_rate = at / share * (1 - share)
    real = run.end - at
    assert abs(by_rate - real) > max(0.1 * real, 2.0)


def snapshot(**kw: object) -> BudgetSnapshot:
    base: dict[str, object] = dict(limit=4, window=10.0, used=0, in_flight=0, remaining=None)
    return BudgetSnapshot(**{**base, "next_slot": 0.0, **kw})  # type: ignore[arg-type]


def test_a_small_import_goes_at_once_and_ends_one_round_trip_later():
    assert budget_seconds_left(3, snapshot(), concurrency=4, round_trip=0.5) == 0.5


def test_requests_beyond_the_free_slots_wait_for_a_window_per_turn():
    # 4 slots free now; 9 requests: turns at 0, 10 + (0.5 - 0.2), 2 * 10.3; the last answer
    # comes one round trip after the third turn starts.
    snap = snapshot(floor=0.2)
    assert budget_seconds_left(9, snap, concurrency=4, round_trip=0.5) == pytest.approx(21.1)


def test_held_and_flying_slots_free_when_the_snapshot_says():
    # Slots: two ended (free in 3 s and 7 s), one in flight for 0.1 s (answer in 0.4 s, free
    # 0.4 - 0.2 + 10 s from now), one free now. Five requests: the fifth takes the first
    # slot's second turn (0 + 10.3).
    snap = snapshot(frees=(3.0, 7.0), flying=(0.1,), floor=0.2, used=3, in_flight=1)
    assert budget_seconds_left(4, snap, concurrency=4, round_trip=0.5) == pytest.approx(10.7)
    assert budget_seconds_left(5, snap, concurrency=4, round_trip=0.5) == pytest.approx(10.8)
    # Nothing left to start: the answer in flight is the end.
    assert budget_seconds_left(0, snap, concurrency=4, round_trip=0.5) == pytest.approx(0.4)


def test_a_penalty_delays_every_slot():
    snap = snapshot(next_slot=30.0)
    assert budget_seconds_left(2, snap, concurrency=4, round_trip=1.0) == 31.0


def test_our_own_requests_in_flight_do_not_count_twice():
    # Every slot held by a request in flight: the budget's next_slot then reads a whole
    # window, which the in-flight slots already say.
    snap = snapshot(flying=(2.0,) * 4, floor=0.2, used=4, in_flight=4, next_slot=10.0)
    # Each slot frees a window after its answer (due now) less the floor: 9.8 s.
    assert budget_seconds_left(4, snap, concurrency=4, round_trip=0.5) == pytest.approx(10.3)


def test_a_measured_delay_lengthens_every_turn_the_current_one_included():
    # As test_requests_beyond_the_free_slots_wait_for_a_window_per_turn, with every reuse
    # of a slot coming 0.75 s later than the local log allows.
    snap = snapshot(floor=0.2, frees=(1.0,), used=1)
    assert budget_seconds_left(8, snap, concurrency=4, round_trip=0.5, delay=0.75) == pytest.approx(
        1.75 + 11.05 + 0.5
    )


def test_the_delay_is_measured_from_the_starts_that_reuse_a_slot():
    clock = Clock()
    eta = Eta(batch_size=1000, concurrency=2, window=10.0, clock=clock)
    assert eta.delay(limit=2) == 0.0
    for seq in (0, 1):
        eta.started(seq)
    clock.now = 0.5
    eta.answered(0.5)  # slot frees at 0.5 - 0.5 + 10 = 10
    clock.now = 0.75
    eta.answered(0.75)  # at 0.75 - 0.5 + 10 = 10.25
    assert eta.delay(limit=2) == 0.0  # nothing reused yet
    clock.now = 11.0
    eta.started(2)  # 1 s after its slot freed
    clock.now = 11.75
    eta.started(3)  # 1.5 s after
    clock.now = 12.0
    eta.started(4)  # its slot has not freed yet: not measured
    assert eta.delay(limit=2) == 1.5  # the median of 1.0 and 1.5 (the upper one)


def test_fewer_workers_than_slots_take_a_round_trip_per_wave():
    # 4 slots free, 1 worker, 1 s per request: one after the other.
    assert budget_seconds_left(4, snapshot(), concurrency=1, round_trip=1.0) == 4.0


def test_rows_to_send_counts_the_queue_and_the_unread_rows_at_the_valid_share():
    tally = Tally(rows_read=1000, valid=800, invalid=100, local_duplicates=100, created=300)
    # 500 valid rows wait; 9,000 unread rows at 80 % valid.
    assert rows_to_send(tally, 10_000) == 500 + 9000 * 0.8
    assert rows_to_send(tally, None) is None


def test_a_dry_run_estimates_from_its_rate():
    clock = Clock()
    eta = Eta(batch_size=1000, concurrency=4, window=10.0, clock=clock)
    assert eta.by_rate(0, 100) is None
    clock.now = 2.0
    assert eta.rate(50) == 25.0
    assert eta.by_rate(50, 100) == 2.0
    assert eta.by_rate(50, None) is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "ETA -:--:--"),
        (0.0, "ETA 0:00:00"),
        (0.2, "ETA 0:00:01"),
        (65.0, "ETA 0:01:05"),
        (3 * 3600 + 7, "ETA 3:00:07"),
        (math.inf, "ETA -:--:--"),
    ],
)
def test_eta_has_one_form(seconds, text):
    assert format_eta(seconds) == text


def test_rate_form():
    assert format_rate(1234.4) == "1,234 rows/s"
    assert format_rate(None) == "- rows/s"


def test_before_a_slot_is_reused_the_servers_bar_is_taken_as_every_turns_delay():
    # Every slot ended, the first frees locally in 2 s; the server's view (its reset read in
    # whole seconds, plus the margin) lets the next request go in 2.75 s.
    snap = snapshot(floor=0.2, frees=(2.0, 2.1, 2.2, 2.3), used=4, next_slot=2.75)
    assert first_turn_delay(snap) == pytest.approx(0.75)
    eta = Eta(batch_size=1000, concurrency=4, window=10.0, clock=Clock())
    # 8 requests: two turns, each 0.75 s later than the local log allows.
    tally = Tally(rows_read=8000, valid=8000)
    expected = budget_seconds_left(8, snap, concurrency=4, round_trip=None, delay=0.75)
    assert eta.live(tally, 8000, snap) == pytest.approx(expected)
    assert expected > budget_seconds_left(8, snap, concurrency=4, round_trip=None) + 0.7
    # A penalty is not a delay of every turn; nor a bar while ours are in flight, nor one
    # with a slot free.
    assert first_turn_delay(snapshot(frees=(2.0, 2.1, 2.2, 2.3), next_slot=30.0)) == 0.0
    assert first_turn_delay(snapshot(frees=(2.0,) * 3, flying=(0.1,), next_slot=2.75)) == 0.0
    assert first_turn_delay(snapshot(frees=(2.0, 2.1, 2.2), next_slot=2.75)) == 0.0
