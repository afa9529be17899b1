"""The rate budget: never more than the limit in any window span, and the server's word wins."""

from __future__ import annotations

import heapq
import math
import threading
from dataclasses import dataclass, field

import pytest
from hypothesis import strategies as st

from foxreach_cli.rate_budget import BudgetSnapshot, RateBudget, RateInfo

EPOCH = 1_706_140_000.0  # the fake wall clock at monotonic 0


@dataclass
class FakeTime:
    """A monotonic clock, a wall clock ``EPOCH`` ahead, and a sleep that only moves them."""

    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def wall(self) -> float:
        return EPOCH + self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def budget_for(t: FakeTime, limit: int = 100, window: float = 60.0, **kw: float) -> RateBudget:
    return RateBudget(limit, window, clock=t.clock, wall=t.wall, sleep=t.sleep, **kw)


def test_small_imports_go_at_once() -> None:
    t = FakeTime()
    budget = budget_for(t, limit=100)
    for _ in range(100):
        budget.acquire()
    assert t.sleeps == []
    assert t.now == 0.0


def test_limit_plus_one_waits_a_window_after_the_first_answer() -> None:
    t = FakeTime()
    budget = budget_for(t, limit=3, window=60)
    starts = [budget.acquire() for _ in range(3)]
    t.now = 2.5  # the first request's answer arrives 2.5 s after it started
    budget.observe(None, sent_at=starts[0])
    for s in starts[1:]:
        budget.observe(None, sent_at=s)
    assert budget.acquire() == pytest.approx(62.5)


def test_expiry_counts_from_the_failure_when_no_answer_came() -> None:
    # A request that failed without an answer may have reached the server just before it
    # failed: its slot frees a window after the failure, not after the start.
    t = FakeTime()
    budget = budget_for(t, limit=1, window=10)
    first = budget.acquire()
    t.now = 4.0
    budget.observe(None, sent_at=first)
    assert budget.acquire() == pytest.approx(14.0)


def test_answered_slot_frees_a_window_after_the_answer_less_the_fastest_round_trip() -> None:
    t = FakeTime()
    budget = budget_for(t, limit=1, window=10)
    first = budget.acquire()
    t.now = 0.4
    budget.observe(None, sent_at=first, round_trip=0.4)
    second = budget.acquire()
    assert second == pytest.approx(10.0)  # the answer (0.4) - the floor (0.4) + the window
    t.now = 11.5  # a slower answer: queued somewhere, so counted up to 1.1 s after it was sent
    budget.observe(None, sent_at=second, round_trip=1.5)
    assert budget.acquire() == pytest.approx(21.1)  # 11.5 - 0.4 + 10


def test_a_faster_answer_lowers_the_floor_for_the_slots_already_answered() -> None:
    t = FakeTime()
    budget = budget_for(t, limit=2, window=10)
    slow, fast = budget.acquire(), budget.acquire()
    t.now = 2.0
    budget.observe(None, sent_at=slow, round_trip=2.0)  # floor 2.0: slow counted by 0.0
    t.now = 2.5
    budget.observe(None, sent_at=fast, round_trip=0.5)  # floor 0.5: slow counted by 1.5
    assert budget.acquire() == pytest.approx(11.5)
    assert budget.acquire() == pytest.approx(12.0)  # fast: 2.5 - 0.5 + 10


def test_the_wire_round_trip_can_only_lower_the_floor_never_free_a_slot_before_its_start() -> None:
    # A round trip reported longer than the time since acquire (a clock mix-up) is clamped:
    # the slot still counts for a whole window from its start.
    t = FakeTime()
    budget = budget_for(t, limit=1, window=10)
    first = budget.acquire()
    t.now = 0.2
    budget.observe(None, sent_at=first, round_trip=5.0)
    assert budget.acquire() == pytest.approx(10.0)


def test_slot_held_by_a_request_in_flight_waits_for_its_answer() -> None:
    waiting = threading.Event()

    class WaitingTime(FakeTime):
        def sleep(self, seconds: float) -> None:
            waiting.set()  # acquire() is waiting for the slot
            super().sleep(seconds)

    t = WaitingTime()
    budget = budget_for(t, limit=1, window=5)
    first = budget.acquire()
    answered = threading.Event()

    def answer_later() -> None:
        assert waiting.wait(timeout=10)
        budget.observe(None, sent_at=first)
        answered.set()

    threading.Thread(target=answer_later).start()
    second = budget.acquire()
    assert answered.is_set()
    assert second is not None and second >= 5.0


def test_server_remaining_lower_than_local_waits_for_reset() -> None:
    # Another process on the same key used most of the window: the server's word wins.
    t = FakeTime()
    budget = budget_for(t, limit=100, margin=1.0)
    sent = budget.acquire()
    t.now = 1.0
    budget.observe(RateInfo(limit=100, remaining=2, reset=EPOCH + 30), sent_at=sent)
    assert budget.acquire() == 1.0
    assert budget.acquire() == 1.0
    third = budget.acquire()
    assert third == pytest.approx(31.0)  # Reset (30 s on the wall clock) + 1 s margin


def test_requests_started_after_the_answered_one_count_against_remaining() -> None:
    t = FakeTime()
    budget = budget_for(t, limit=100, margin=0.0)
    a = budget.acquire()
    t.now = 0.1
    budget.acquire()  # b and c started after a, before a's answer: not in a's Remaining
    budget.acquire()
    t.now = 0.5
    budget.observe(RateInfo(100, 3, EPOCH + 20), sent_at=a)
    assert budget.acquire() == 0.5  # 3 - 2 in flight = 1 more
    assert budget.acquire() == pytest.approx(20.0)


def test_answers_in_any_order_the_lowest_remaining_bounds() -> None:
    # b was counted first (it says 10 left), a after it (1 left): one more, then the reset.
    t = FakeTime()
    budget = budget_for(t, limit=100, margin=0.0)
    a = budget.acquire()
    b = budget.acquire()
    t.now = 1.0
    budget.observe(RateInfo(100, 10, EPOCH + 30), sent_at=b)
    budget.observe(RateInfo(100, 1, EPOCH + 30), sent_at=a)  # the older answer says less
    assert budget.acquire() == 1.0
    assert budget.acquire() == pytest.approx(30.0)


def test_answered_requests_are_not_counted_twice_against_remaining() -> None:
    # 16 requests in flight, answered out of order: each answer with headers was counted
    # before the one that says the least, so that least is exactly what is left.
    t = FakeTime()
    budget = budget_for(t, limit=100, margin=0.0)
    starts = [budget.acquire() for _ in range(16)]
    t.now = 1.0
    counted = list(range(16))  # the server counted them in start order ...
    for i in reversed(counted):  # ... and the answers come back newest first
        budget.observe(RateInfo(100, 20 - 1 - i, EPOCH + 30), sent_at=starts[i])
    # The server counted 16 and said 4 left after the last: 4 more now, not fewer.
    assert [budget.acquire() for _ in range(4)] == [1.0] * 4
    assert budget.acquire() == pytest.approx(30.0)


def test_request_in_flight_started_earlier_counts_against_a_later_answer() -> None:
    # a is still in flight when b's answer says 1 left: a may land on it, so nothing goes.
    t = FakeTime()
    budget = budget_for(t, limit=100, margin=0.0)
    a = budget.acquire()
    t.now = 0.1
    b = budget.acquire()
    t.now = 1.0
    budget.observe(RateInfo(100, 1, EPOCH + 30), sent_at=b)
    assert budget.snapshot().remaining == 0
    t.now = 2.0
    budget.observe(RateInfo(100, 2, EPOCH + 30), sent_at=a)  # a was counted before b
    assert budget.acquire() == 2.0
    assert budget.acquire() == pytest.approx(30.0)


def test_failure_without_headers_counts_against_answers_that_started_before_it() -> None:
    t = FakeTime()
    budget = budget_for(t, limit=100, margin=0.0)
    a = budget.acquire()
    b = budget.acquire()
    t.now = 0.5
    budget.observe(None, sent_at=a)  # dropped connection: the server may have counted it
    t.now = 1.0
    budget.observe(RateInfo(100, 1, EPOCH + 30), sent_at=b)
    assert budget.acquire() == pytest.approx(30.0)


def test_server_limit_lowers_the_local_limit() -> None:
    t = FakeTime()
    budget = budget_for(t, limit=100, window=60)
    first = budget.acquire()
    budget.observe(RateInfo(limit=2, remaining=None, reset=None), sent_at=first)
    assert budget.limit == 2
    assert budget.acquire() == 0.0
    assert budget.acquire() > 0.0


def test_configured_limit_below_the_server_wins() -> None:
    t = FakeTime()
    budget = budget_for(t, limit=10)
    first = budget.acquire()
    budget.observe(RateInfo(limit=100, remaining=99, reset=EPOCH + 60), sent_at=first)
    assert budget.limit == 10


def test_reset_far_away_is_clamped_to_a_window() -> None:
    # A wall clock hours off must not stall the run for hours.
    t = FakeTime()
    budget = budget_for(t, limit=100, window=60, margin=1.0)
    first = budget.acquire()
    budget.observe(RateInfo(100, 0, EPOCH + 7200), sent_at=first)
    assert budget.acquire() == pytest.approx(61.0)


def full_window_alone(t: FakeTime, limit_header: int | None = 2) -> RateBudget:
    """Two requests fill a 10 s window, sent at 0 and 1 s, each answered 0.3 s later; the
    server counted the first at 0.1 s and says it leaves at the whole second after 10.1 s."""
    budget = budget_for(t, limit=2, window=10.0)
    a = budget.acquire()
    t.now = 0.3
    budget.observe(RateInfo(limit_header, 1, EPOCH + 11), sent_at=a, round_trip=0.3)
    t.now = 1.0
    b = budget.acquire()
    t.now = 1.3
    budget.observe(RateInfo(limit_header, 0, EPOCH + 11), sent_at=b, round_trip=0.3)
    return budget


def test_alone_a_full_window_gives_a_slot_back_a_window_after_our_answer() -> None:
    # The count is ours alone: the oldest left one window after it was counted, so by one
    # window after its answer at the latest, not at Reset rounded up (plus the margin).
    t = FakeTime()
    budget = full_window_alone(t)
    assert budget.acquire() == pytest.approx(10.3)


def test_after_a_429_every_view_binds_for_a_window() -> None:
    # Something else spends the key: the server's Reset is heeded again, in full.
    t = FakeTime()
    budget = full_window_alone(t)
    budget.penalise(1.0)
    assert budget.acquire() == pytest.approx(11.25)


def test_without_the_servers_limit_no_count_is_known_and_every_view_binds() -> None:
    t = FakeTime()
    budget = full_window_alone(t, limit_header=None)
    assert budget.acquire() == pytest.approx(11.25)


def test_a_count_beyond_our_requests_binds_every_view_for_a_window() -> None:
    # b's answer counts three, of which ours are two: another client. Later views that our
    # requests explain still bind in full until one window after that answer.
    t = FakeTime()
    budget = budget_for(t, limit=3, window=10.0)
    a, b = budget.acquire(), budget.acquire()
    t.now = 0.3
    budget.observe(RateInfo(3, 1, EPOCH + 11), sent_at=a, round_trip=0.3)
    t.now = 1.0
    budget.observe(RateInfo(3, 0, EPOCH + 5), sent_at=b, round_trip=1.0)
    c = budget.acquire()
    assert c == pytest.approx(5.25)  # the other request left at 5 s
    t.now = 5.55
    budget.observe(RateInfo(3, 0, EPOCH + 11), sent_at=c, round_trip=0.3)
    assert budget.acquire() == pytest.approx(11.0)  # alone it would be a's answer + 10 s


def test_429_penalty_holds_everyone() -> None:
    t = FakeTime()
    budget = budget_for(t, limit=100)
    budget.acquire()
    t.now = 3.0
    budget.penalise(7.0)
    budget.penalise(2.0)  # a shorter penalty does not shorten the longer one
    assert budget.acquire() == pytest.approx(10.0)


def test_release_unused_gives_the_slot_back() -> None:
    t = FakeTime()
    budget = budget_for(t, limit=1)
    sent = budget.acquire()
    assert sent is not None
    budget.release_unused(sent)
    assert budget.acquire() == 0.0


def test_cancel_returns_none_without_counting() -> None:
    t = FakeTime()
    budget = budget_for(t, limit=1)
    budget.acquire()
    stop = threading.Event()
    stop.set()
    assert budget.acquire(cancel=stop) is None
    assert budget.snapshot().used == 1


def test_spent_only_while_no_slot_is_free_and_answers_are_due() -> None:
    t = FakeTime()
    budget = budget_for(t, limit=2)
    first = budget.acquire()
    assert not budget.spent()  # a slot is still free
    second = budget.acquire()
    assert budget.spent()  # no slot, two answers due
    assert first is not None and second is not None
    budget.observe(None, sent_at=first, round_trip=0.1)
    assert budget.spent()  # the answer frees its slot only a window later
    budget.observe(None, sent_at=second, round_trip=0.1)
    assert not budget.spent()  # still no slot, but nothing is due any more
    t.now += 60.0
    assert not budget.spent()


def test_snapshot_and_describe() -> None:
    t = FakeTime()
    budget = budget_for(t, limit=100, margin=0.0)
    sent = budget.acquire()
    t.now += 0.5
    budget.acquire()
    t.now += 0.25
    budget.observe(RateInfo(100, 87, EPOCH + 30), sent_at=sent, round_trip=0.75)
    t.now += 1.0
    snap = budget.snapshot()
    # The answered slot counts until its answer less the fastest round trip, plus a window.
    assert snap == BudgetSnapshot(
        limit=100,
        window=60.0,
        used=2,
        in_flight=1,
        remaining=86,
        next_slot=0.0,
        frees=(58.25,),
        flying=(1.25,),
        floor=0.75,
    )
    assert snap.describe() == "86/100 req/min left"
    budget.penalise(4.2)
    assert budget.snapshot().describe() == "86/100 req/min left, next in 5s"


# -- property: a simulated server never says 429, under either reading --------------------------


class SimServer:
    """The server's limiter (cf. docs/api.md): counts a request when it arrives."""

    def __init__(self, mode: str, limit: int, window: float, round_reset: str) -> None:
        self.mode, self.limit, self.window, self.round_reset = mode, limit, window, round_reset
        self.fixed: tuple[float, int] = (-1.0, 0)
        self.log: list[float] = []
        self.refused = 0

    def hit(self, wall: float) -> RateInfo:
        rnd = math.ceil if self.round_reset == "ceil" else math.floor
        if self.mode == "fixed":
            start = math.floor(wall / self.window) * self.window
            window_start, count = self.fixed
            if window_start != start:
                count = 0
            if count >= self.limit:
                self.refused += 1
            else:
                count += 1
            self.fixed = (start, count)
            return RateInfo(self.limit, self.limit - count, rnd(start + self.window))
        self.log = [x for x in self.log if x > wall - self.window]
        if len(self.log) >= self.limit:
            self.refused += 1
        else:
            self.log.append(wall)
        return RateInfo(self.limit, self.limit - len(self.log), rnd(self.log[0] + self.window))


class Simulation:
    """Single-threaded discrete events: arrivals at the server and answers to the budget."""

    def __init__(
        self,
        budget_limit: int,
        server: SimServer,
        window: float,
        offset: float,
        *,
        report_round_trip: bool = False,
    ) -> None:
        self.now = 0.0
        self.offset = offset
        self.server = server
        self.report_round_trip = report_round_trip  # else every answer is observed as a failure
        # (time, tie-breaker, kind, sent_at, latency, info)
        self.events: list[tuple[float, int, str, float, float, RateInfo | None]] = []
        self.n = 0
        self.arrivals: list[float] = []
        self.budget = RateBudget(
            budget_limit,
            window,
            clock=lambda: self.now,
            wall=lambda: self.offset + self.now,
            sleep=self.sleep,
        )

    def sleep(self, seconds: float) -> None:
        self.run_until(self.now + seconds)

    def run_until(self, target: float) -> None:
        while self.events and self.events[0][0] <= target:
            at, _, kind, sent_at, latency, info = heapq.heappop(self.events)
            self.now = at
            if kind == "arrive":
                self.arrivals.append(at)
                answer = self.server.hit(self.offset + at)
                self.push(sent_at + latency, "answer", sent_at, latency, answer)
            else:
                round_trip = latency if self.report_round_trip else None
                self.budget.observe(info, sent_at=sent_at, round_trip=round_trip)
        self.now = max(self.now, target)

    def push(
        self, at: float, kind: str, sent_at: float, latency: float, info: RateInfo | None
    ) -> None:
        self.n += 1
        heapq.heappush(self.events, (at, self.n, kind, sent_at, latency, info))

    def send(self, latency: float, upload_share: float) -> float:
        sent_at = self.budget.acquire()
        assert sent_at is not None
        self.push(sent_at + latency * upload_share, "arrive", sent_at, latency, None)
        return sent_at


requests_strategy = st.lists(
    st.tuples(
        st.floats(0.0, 3.0),  # gap before the next request is wanted
        st.floats(0.01, 8.0),  # latency of its answer
        st.floats(0.0, 1.0),  # share of the latency before the server counts it
    ),
    min_size=1,
    max_size=120,
)
