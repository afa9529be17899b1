"""The sender's threads in real time: how many requests are in flight, when batches are built
ahead, and Ctrl-C while requests are out (tests/unit/test_send.py holds the rest, on a fake
clock). Each waits a fraction of a second for something that must not happen meanwhile."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx

from foxreach_cli.rate_budget import RateBudget
from foxreach_cli.send import INTERRUPTED_REASON, SendPolicy
from foxreach_cli.stage_data import Batch
from tests.unit.test_send import Harness, leads_of, make_batch, ok


def test_never_more_than_concurrency_in_flight_and_backpressure() -> None:
    in_flight = 0
    peak = 0
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.02)
        with lock:
            in_flight -= 1
        return ok(len(leads_of(request)))

    h = Harness(handler, SendPolicy(concurrency=3, prefetch=2))
    pulled_ahead: list[int] = []

    def batches() -> Iterator[Batch]:
        for s in range(15):
            pulled_ahead.append(s - len(h.results))
            yield make_batch(20, seq=s)

    outcome = h.run(batches())
    assert outcome.fatal is None
    assert len(h.results) == 15
    assert 2 <= peak <= 3
    # Never more than concurrency + prefetch batches pulled and not yet reported.
    assert max(pulled_ahead) <= 3 + 2
    assert h.result_threads == {threading.get_ident()}


class SpentBudget(RateBudget):
    """A budget that always says its window is spent with answers due."""

    def spent(self) -> bool:
        return True


def test_no_batches_built_ahead_while_the_budget_is_spent() -> None:
    release = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        release.wait(3)
        return ok(len(leads_of(request)))

    # Batches for the workers are still pulled when a worker is free; none beyond them.
    h = Harness(handler, SendPolicy(concurrency=2, prefetch=4), budget_type=SpentBudget)
    answered_before_pull: list[bool] = []

    def batches() -> Iterator[Batch]:
        for s in range(6):
            answered_before_pull.append(release.is_set())
            if s == 1:
                threading.Timer(0.3, release.set).start()
            yield make_batch(5, seq=s)

    outcome = h.run(batches())
    assert outcome.fatal is None
    assert len(h.results) == 6
    assert answered_before_pull == [False, False, True, True, True, True]


# -- Ctrl-C -----------------------------------------------------------------------------------


def test_interrupt_while_reading_lets_requests_in_flight_finish() -> None:
    release = threading.Event()
    started = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        started.set()
        release.wait(5)
        return ok(len(leads_of(request)))

    h = Harness(handler, SendPolicy(concurrency=2))

    def batches() -> Iterator[Batch]:
        yield make_batch(10, seq=0)
        yield make_batch(10, seq=1)
        started.wait(5)
        threading.Timer(0.05, release.set).start()
        raise KeyboardInterrupt

    outcome = h.run(batches())
    assert outcome.interrupted is True
    assert outcome.fatal is None
    assert sorted(b.seq for b, _ in h.results) == [0, 1]
    # Both had gone out before Ctrl-C: both were imported and reported.
    assert all(len(r.replies) == 1 and not r.not_sent for _, r in h.results)


def test_interrupt_stops_retrying_and_keeps_the_rows() -> None:
    h = Harness(
        lambda req: httpx.Response(500, json={"detail": "down"}),
        SendPolicy(concurrency=1, max_retries=50),
    )
    in_backoff = threading.Event()
    release = threading.Event()

    def blocking_sleep(seconds: float) -> None:
        in_backoff.set()
        release.wait(5)

    h.sender._sleep = blocking_sleep

    def batches() -> Iterator[Batch]:
        yield make_batch(4, seq=0)
        in_backoff.wait(5)  # the worker is waiting to retry when Ctrl-C comes
        threading.Timer(0.05, release.set).start()
        raise KeyboardInterrupt

    outcome = h.run(batches())
    assert outcome.interrupted is True
    assert h.result(0).requests == 1
    assert h.result(0).not_sent == dict.fromkeys(range(4), INTERRUPTED_REASON)
