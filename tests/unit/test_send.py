"""The sender: every item of every batch ends in exactly one bucket, whatever the server does."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from foxreach_cli.client import FoxReachClient
from foxreach_cli.defaults import default_concurrency
from foxreach_cli.errors import AuthError, PlanLimitError, TransientError
from foxreach_cli.rate_budget import RateBudget
from foxreach_cli.send import (
    AUTH_REASON,
    PLAN_LIMIT_REASON,
    RateLimited,
    RetryScheduled,
    Sender,
    SendEvent,
    SendOutcome,
    SendPolicy,
    Splitting,
)
from foxreach_cli.stage_data import Batch, BatchResult

BASE = "https://api.foxreach.io/api/v1"
KEY = "otr_live_5f2c9e1d7a3b4c8e9f0a3f9a"
Handler = Callable[[httpx.Request], httpx.Response]


class FakeTime:
    """Monotonic + wall clock and a sleep that advances them (thread-safe; it yields the GIL
    but takes no real time)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def wall(self) -> float:
        return 1_706_140_000.0 + self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds
        time.sleep(0)


def make_batch(n: int, seq: int = 0, prefix: str = "u") -> Batch:
    emails = [f"{prefix}{seq}-{i}@example.com" for i in range(n)]
    return Batch.of(
        seq=seq,
        files=["leads.csv"] * n,
        rows=list(range(2, n + 2)),
        emails=emails,
        leads=[{"email": e, "customFields": {"Row #": str(i)}} for i, e in enumerate(emails)],
    )


def ok(n: int, **extra: Any) -> httpx.Response:
    data = {"created": n, "restored": 0, "duplicates": 0, "errors": 0}
    data |= {"duplicateEmails": [], "errorDetails": []} | extra
    return httpx.Response(200, json={"data": data})


def leads_of(request: httpx.Request) -> list[dict[str, Any]]:
    return json.loads(request.content)["leads"]


class Harness:
    """A FoxReachClient over a MockTransport, a fake-clock budget, and a recording sender."""

    def __init__(
        self,
        handler: Handler,
        policy: SendPolicy | None = None,
        limit: int = 100,
        budget_type: type[RateBudget] = RateBudget,
    ):
        self.time = FakeTime()
        self.requests: list[list[dict[str, Any]]] = []
        self.events: list[SendEvent] = []
        self.event_threads: set[int] = set()
        self.result_threads: set[int] = set()
        self.results: list[tuple[Batch, BatchResult]] = []
        self._lock = threading.Lock()

        def recording(request: httpx.Request) -> httpx.Response:
            with self._lock:
                self.requests.append(leads_of(request))
            return handler(request)

        self.client = FoxReachClient(BASE, KEY, transport=httpx.MockTransport(recording))
        self.budget = budget_type(
            limit, 60.0, clock=self.time.clock, wall=self.time.wall, sleep=self.time.sleep
        )
        self.sender = Sender(
            self.client,
            self.budget,
            policy or SendPolicy(concurrency=1),
            sleep=self.time.sleep,
            rng=random.Random(7),
            on_event=self._on_event,
        )

    def _on_event(self, event: SendEvent) -> None:
        self.event_threads.add(threading.get_ident())
        self.events.append(event)

    def _on_result(self, batch: Batch, result: BatchResult) -> None:
        self.result_threads.add(threading.get_ident())
        check_accounting(batch, result)
        self.results.append((batch, result))

    def run(self, batches: Any) -> SendOutcome:
        try:
            return self.sender.run(batches, self._on_result)
        finally:
            self.client.close()

    def result(self, seq: int = 0) -> BatchResult:
        return next(r for b, r in self.results if b.seq == seq)


def check_accounting(batch: Batch, result: BatchResult) -> None:
    """Every item of the batch in exactly one of replies / rejected / not_sent."""
    seen: list[int] = [i for reply in result.replies for i in reply.indices]
    seen += [i for i, _ in result.rejected]
    seen += list(result.not_sent)
    assert sorted(seen) == list(range(len(batch)))


def imported_emails(h: Harness) -> list[str]:
    return [b.emails[i] for b, r in h.results for reply in r.replies for i in reply.indices]


# -- the plain path ---------------------------------------------------------------------------


def test_every_batch_imported_and_reported_in_the_calling_thread() -> None:
    h = Harness(lambda req: ok(len(leads_of(req))), SendPolicy(concurrency=3))
    batches = [make_batch(50, seq=s) for s in range(7)]
    outcome = h.run(iter(batches))
    assert outcome == SendOutcome(fatal=None, interrupted=False)
    assert sorted(b.seq for b, _ in h.results) == list(range(7))
    assert h.result_threads == {threading.get_ident()}
    assert h.event_threads <= {threading.get_ident()}
    assert all(r.requests == 1 and r.retries == 0 for _, r in h.results)
    assert sorted(imported_emails(h)) == sorted(e for b in batches for e in b.emails)
    # The leads go out as the batch holds them: customFields keys untouched.
    assert sorted(lead["email"] for req in h.requests for lead in req) == sorted(imported_emails(h))
    assert h.requests[0][0]["customFields"] == {"Row #": "0"}


def test_reply_data_passes_through_untouched_with_more_than_100_duplicates() -> None:
    listed = [f"d{i}@x.io" for i in range(100)]
    h = Harness(lambda req: ok(850, duplicates=150, created=850, duplicateEmails=listed))
    h.run([make_batch(1000)])
    (reply,) = h.result().replies
    assert reply.indices == list(range(1000))
    assert reply.data["duplicates"] == 150
    assert reply.data["duplicateEmails"] == listed


# -- retries ----------------------------------------------------------------------------------


def scripted(*steps: Any) -> Handler:
    """Answer with each step in turn (a Response, a status, or an exception), then 200."""
    queue = list(steps)

    def handler(request: httpx.Request) -> httpx.Response:
        if queue:
            step = queue.pop(0)
            if isinstance(step, BaseException):
                raise step
            if isinstance(step, int):
                return httpx.Response(step, json={"detail": "boom"})
            return step
        return ok(len(leads_of(request)))

    return handler


def test_5xx_then_200_retries_with_jittered_backoff() -> None:
    policy = SendPolicy(concurrency=1, backoff_base=0.5, backoff_cap=30.0)
    h = Harness(scripted(500, 503, 500), policy)
    h.run([make_batch(10)])
    result = h.result()
    assert (result.requests, result.retries) == (4, 3)
    assert [len(r.replies) for r in [result]] == [1]
    assert result.replies[0].ambiguous is False
    # Full jitter: the n-th wait is uniform in [0, 0.5 * 2**(n-1)], drawn from the seeded rng.
    rng = random.Random(7)
    expected = [rng.uniform(0, 0.5), rng.uniform(0, 1.0), rng.uniform(0, 2.0)]
    assert h.time.sleeps == pytest.approx(expected)
    retries = [e for e in h.events if isinstance(e, RetryScheduled)]
    assert [e.message for e in retries] == [
        f"batch 0: retrying in {expected[0]:.1f}s after: The server failed (500): boom.",
        f"batch 0: retrying in {expected[1]:.1f}s after: The server failed (503): boom.",
        f"batch 0: retrying in {expected[2]:.1f}s after: The server failed (500): boom.",
    ]


def test_backoff_is_capped() -> None:
    policy = SendPolicy(concurrency=1, max_retries=8, backoff_base=1.0, backoff_cap=3.0)
    h = Harness(scripted(*[500] * 8), policy)
    h.run([make_batch(1)])
    assert len(h.time.sleeps) == 8
    assert max(h.time.sleeps) <= 3.0


def test_read_timeout_then_200_gives_an_ambiguous_reply() -> None:
    h = Harness(scripted(httpx.ReadTimeout("timed out")))
    h.run([make_batch(5)])
    (reply,) = h.result().replies
    assert reply.ambiguous is True
    assert h.result().retries == 1


def test_dropped_connection_then_200_gives_an_ambiguous_reply() -> None:
    h = Harness(scripted(httpx.RemoteProtocolError("Server disconnected")))
    h.run([make_batch(5)])
    assert h.result().replies[0].ambiguous is True


def test_connect_error_then_200_is_not_ambiguous() -> None:
    h = Harness(scripted(httpx.ConnectError("refused")))
    h.run([make_batch(5)])
    assert h.result().replies[0].ambiguous is False


def test_retries_exhausted_stops_the_run_and_keeps_the_rows() -> None:
    h = Harness(
        lambda req: httpx.Response(500, json={"detail": "db down"}),
        SendPolicy(concurrency=1, max_retries=2),
    )
    batches = iter([make_batch(4, seq=s) for s in range(5)])
    outcome = h.run(batches)
    assert isinstance(outcome.fatal, TransientError)
    assert str(outcome.fatal) == (
        "The server could not be reached or kept failing after 3 attempts: "
        "The server failed (500): db down. Run the import again later."
    )
    first = h.result(0)
    assert first.requests == 3
    assert {r.text for r in first.not_sent.values()} == {
        "server unreachable after 3 attempts: The server failed (500): db down."
    }
    # At most one batch was read ahead; it is reported as not sent, the rest stay unread.
    assert len(h.results) <= 2
    assert all(not r.replies for _, r in h.results)
    assert len(list(batches)) >= 3


# -- 429 --------------------------------------------------------------------------------------


def too_many(retry_after: str = "7") -> httpx.Response:
    return httpx.Response(
        429,
        headers={"Retry-After": retry_after},
        json={"error": "Rate limit exceeded", "code": "rate_limit_exceeded", "details": {}},
    )


def test_429_waits_retry_after_then_resends() -> None:
    sent_at: list[float] = []
    h: Harness

    def handler(request: httpx.Request) -> httpx.Response:
        sent_at.append(h.time.now)
        return too_many("7") if len(sent_at) == 1 else ok(len(leads_of(request)))

    # max_retries=0: a 429 does not use up a retry.
    h = Harness(handler, SendPolicy(concurrency=1, max_retries=0))
    outcome = h.run([make_batch(3)])
    assert outcome.fatal is None
    assert len(sent_at) == 2
    assert 7.0 <= sent_at[1] - sent_at[0] < 7.5
    result = h.result()
    assert (result.requests, result.retries, result.rate_limited) == (2, 1, 1)
    assert result.replies[0].ambiguous is False
    assert [e.delay for e in h.events if isinstance(e, RateLimited)] == [7.0]


def test_endless_429s_end_the_run_after_a_bound() -> None:
    policy = SendPolicy(concurrency=1, max_retries=1, free_rate_limited=2)
    h = Harness(lambda req: too_many("1"), policy)
    outcome = h.run([make_batch(3)])
    assert isinstance(outcome.fatal, TransientError)
    # 2 free 429s, then 1 retry allowed, then the 4th answer exhausts it.
    assert h.result().requests == 4
    assert h.result().rate_limited == 4
    assert len(h.result().not_sent) == 3


# -- 402 --------------------------------------------------------------------------------------


class PlanServer:
    """Stores leads until the plan's capacity; a request that does not fit gets 402."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.stored: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        leads = leads_of(request)
        with self.lock:
            if len(self.stored) + len(leads) > self.capacity:
                return httpx.Response(402, json={"detail": "Plan contact limit reached"})
            self.stored += [lead["email"] for lead in leads]
        return ok(len(leads))


def test_402_bisection_fills_the_plan_then_stops() -> None:
    server = PlanServer(capacity=300)
    h = Harness(server, SendPolicy(concurrency=1))
    batches = iter([make_batch(1000, seq=0), make_batch(1000, seq=1), make_batch(1000, seq=2)])
    outcome = h.run(batches)
    assert isinstance(outcome.fatal, PlanLimitError)
    assert len(server.stored) == 300
    assert sorted(imported_emails(h)) == sorted(server.stored)
    first = h.result(0)
    assert len(first.not_sent) == 700
    assert set(first.not_sent.values()) == {PLAN_LIMIT_REASON}
    for batch, result in h.results[1:]:
        assert result.not_sent == dict.fromkeys(range(len(batch)), PLAN_LIMIT_REASON)
    # Halving costs about two requests per level, not one per lead.
    assert first.requests <= 2 * 10 + 2
    assert any(isinstance(e, Splitting) and e.status == 402 for e in h.events)


def test_402_without_filling_sends_nothing_more() -> None:
    server = PlanServer(capacity=300)
    h = Harness(server, SendPolicy(concurrency=1, fill_plan_capacity=False))
    outcome = h.run([make_batch(1000)])
    assert isinstance(outcome.fatal, PlanLimitError)
    assert server.stored == []
    assert h.result().requests == 1
    assert len(h.result().not_sent) == 1000


def test_402_with_concurrency_keeps_every_row_accounted() -> None:
    server = PlanServer(capacity=1234)
    h = Harness(server, SendPolicy(concurrency=4))
    outcome = h.run(iter([make_batch(500, seq=s) for s in range(8)]))
    assert isinstance(outcome.fatal, PlanLimitError)
    assert sorted(imported_emails(h)) == sorted(server.stored)
    assert len(server.stored) == 1234


# -- 403 --------------------------------------------------------------------------------------


def test_403_stops_at_once_without_showing_the_key() -> None:
    h = Harness(
        lambda req: httpx.Response(403, json={"detail": "API key lacks write scope"}),
        SendPolicy(concurrency=1),
    )
    batches = iter([make_batch(10, seq=s) for s in range(5)])
    outcome = h.run(batches)
    assert isinstance(outcome.fatal, AuthError)
    assert KEY not in str(outcome.fatal) and KEY not in repr(outcome.fatal)
    assert str(outcome.fatal) == (
        "The API key otr_…3f9a was refused (403): API key lacks write scope. "
        "Check FOXREACH_API_KEY (or --api-key) and that the key has the write scope."
    )
    assert len(h.requests) == 1
    assert set(h.result(0).not_sent.values()) == {AUTH_REASON}
    assert all(r.not_sent == dict.fromkeys(range(10), AUTH_REASON) for _, r in h.results)
    assert len(list(batches)) >= 3


# -- 422 --------------------------------------------------------------------------------------


def rejecting(bad: set[str]) -> Handler:
    """422 for any request holding one of the ``bad`` emails, like a field-type error."""

    def handler(request: httpx.Request) -> httpx.Response:
        leads = leads_of(request)
        if any(lead["email"] in bad for lead in leads):
            return httpx.Response(
                422, json={"detail": [{"loc": ["body", "leads", 0, "phone"], "msg": "bad type"}]}
            )
        return ok(len(leads))

    return handler


@pytest.mark.parametrize("bad_positions", [[637], [3, 998], [0, 1, 2]])
def test_422_bisection_isolates_the_bad_rows_and_imports_the_rest(
    bad_positions: list[int],
) -> None:
    batch = make_batch(1000)
    bad = {batch.emails[i] for i in bad_positions}
    h = Harness(rejecting(bad))
    outcome = h.run([batch])
    assert outcome.fatal is None
    result = h.result()
    assert result.rejected == [(i, "phone: bad type") for i in bad_positions]
    assert sorted(imported_emails(h)) == sorted(set(batch.emails) - bad)
    # Each reply's indices are exactly the leads its request carried, in order.
    carried = {tuple(lead["email"] for lead in req) for req in h.requests}
    for reply in result.replies:
        assert tuple(batch.emails[i] for i in reply.indices) in carried
    k = len(bad_positions)
    assert result.requests <= 1 + 2 * k * 10


# -- concurrency and the budget ---------------------------------------------------------------


def test_batches_are_built_ahead_while_every_worker_waits() -> None:
    release = threading.Event()

    waited: list[bool] = []

    def handler(request: httpx.Request) -> httpx.Response:
        # Without building ahead only 3 batches are pulled and nobody sets `release`.
        waited.append(release.wait(3))
        return ok(len(leads_of(request)))

    h = Harness(handler, SendPolicy(concurrency=2, prefetch=4))
    pulled = 0

    def batches() -> Iterator[Batch]:
        nonlocal pulled
        for s in range(10):
            pulled += 1
            if pulled == 6:  # 2 in flight + 4 built ahead, before any answer
                release.set()
            yield make_batch(5, seq=s)

    outcome = h.run(batches())
    assert outcome.fatal is None
    assert len(h.results) == 10
    assert all(waited)


@pytest.mark.parametrize(("limit", "default"), [(1, 1), (50, 50), (100, 100), (1000, 100)])
def test_default_concurrency_sends_a_whole_window_at_once_up_to_100(
    limit: int, default: int
) -> None:
    assert default_concurrency(limit) == default


def test_the_budget_learns_the_round_trip_of_answers_and_none_for_failures() -> None:
    answers = iter(
        [httpx.Response(503, json={"detail": "busy"}), httpx.ConnectError("refused"), ok(5)]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    h = Harness(handler)
    observed: list[float | None] = []
    observe = h.budget.observe

    def spy(info: Any, *, sent_at: float, round_trip: float | None = None) -> None:
        observed.append(round_trip)
        observe(info, sent_at=sent_at, round_trip=round_trip)

    h.budget.observe = spy  # type: ignore[method-assign]
    outcome = h.run([make_batch(5)])
    assert outcome.fatal is None
    assert [r.data["created"] for r in h.result().replies] == [5]
    # 503 and 200 were answers (timed); the refused connection was not.
    assert [rt is not None for rt in observed] == [True, False, True]


def test_rate_budget_is_never_exceeded_in_a_simulated_run() -> None:
    starts: list[float] = []
    h: Harness

    def handler(request: httpx.Request) -> httpx.Response:
        starts.append(h.time.now)
        h.time.sleep(0.5)  # half a second of server time per request
        return ok(len(leads_of(request)))

    h = Harness(handler, SendPolicy(concurrency=4), limit=5)
    outcome = h.run([make_batch(3, seq=s) for s in range(23)])
    assert outcome.fatal is None
    assert len(starts) == 23
    starts.sort()
    for i in range(len(starts) - 5):
        assert starts[i + 5] - starts[i] >= 60.0 - 1e-9
