"""How long a run has left, for the progress display: ``ETA h:mm:ss`` and rows/s.

A live import larger than one window's budget is paced by the rate budget, not by the
network: its early burst rate says nothing about the time left. So the time left follows
from the requests left, the limit and the window. Every slot of the budget is a chain: a
request takes the slot when it frees, is answered one round trip later, and the slot frees
again a window after that answer less the fastest round trip (docs/rate-budget.md). The
budget's snapshot says when each slot frees now; the measured round trips say how long each
turn of a chain takes, and the measured starts how much later than the local log allows the
slots are reused (the server's views). A dry run is paced by the CPU: its ETA comes from its
rate so far.

The functions are pure; :class:`Eta` keeps the run's measurements on an injected clock.
"""

from __future__ import annotations

import bisect
import heapq
import math
import time
from collections import deque
from collections.abc import Callable, Sequence

from .rate_budget import BudgetSnapshot
from .stage_data import Tally

#: How many recent round trips the mean is taken over (about one window's answers).
ROUND_TRIPS_KEPT = 100
#: How many recent waits beyond the local log the median delay is taken over.
DELAYS_KEPT = 100
#: The longest bar beyond the local log taken as a delay of every turn before one is
#: measured: a server's whole-second reset read rounded up, plus the budget's 0.25 s margin.
#: A longer bar is a penalty (a 429's Retry-After), which holds the next turn only.
FIRST_DELAY_CAP = 1.5


def format_eta(seconds: float | None) -> str:
    """``ETA h:mm:ss``, rounded up to the second; ``ETA -:--:--`` when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "ETA -:--:--"
    whole = math.ceil(max(0.0, seconds))
    hours, rest = divmod(whole, 3600)
    return f"ETA {hours}:{rest // 60:02d}:{rest % 60:02d}"


def format_rate(rows_per_second: float | None) -> str:
    """``1,234 rows/s`` (``- rows/s`` before anything is settled)."""
    if rows_per_second is None:
        return "- rows/s"
    return f"{rows_per_second:,.0f} rows/s"


def rows_to_send(tally: Tally, total: int | None) -> float | None:
    """Rows still to go over the wire: the valid rows read and not answered yet, plus the
    rows not read yet at the share of valid unique rows seen so far. ``None`` when the total
    is unknown."""
    if total is None:
        return None
    read = tally.rows_read
    answered = (
        tally.created
        + tally.restored
        + tally.server_duplicates
        + tally.server_errors
        + tally.not_sent
    )
    queued = max(0, tally.valid - answered)
    share = tally.valid / read if read else 1.0
    return queued + max(0, total - read) * share


def first_turn_delay(snapshot: BudgetSnapshot) -> float:
    """Before any slot is reused, how much later than the local log the next turn may go:
    the budget's ``next_slot`` beyond the first of our slots to free, when we hold every
    slot and none is in flight (with ours in flight, ``next_slot`` may be theirs), up to
    :data:`FIRST_DELAY_CAP`."""
    frees = snapshot.frees
    if snapshot.flying or not frees or len(frees) < snapshot.limit:
        return 0.0
    beyond = snapshot.next_slot - max(0.0, frees[0])
    return beyond if 0.0 < beyond <= FIRST_DELAY_CAP else 0.0


def budget_seconds_left(
    requests: int,
    snapshot: BudgetSnapshot,
    *,
    concurrency: int,
    round_trip: float | None,
    delay: float = 0.0,
) -> float:
    """Seconds until the last answer when ``requests`` more requests must start (besides
    those in flight) under the budget of ``snapshot``.

    Slot ``j`` frees at ``g[j]`` (from the snapshot; a request in flight is assumed answered
    one mean ``round_trip`` after it started; a slot free now waits for ``next_slot``). A
    chain then turns every ``window + round_trip - floor`` seconds, so the ``q``-th request
    to start takes the slot free soonest. With fewer workers than slots (``concurrency <
    limit``) a request also waits for a worker. The first two turns are simulated request
    by request; beyond them every chain keeps its place in the window.

    ``delay`` is how much later than the local log allows a slot is reused, as measured:
    something else holds the pace too (the server's ``X-RateLimit-Reset``, read rounded up
    and with a margin; the reading of the input). Every turn, the current one included, is
    that much longer.
    """
    limit, window = snapshot.limit, snapshot.window
    rtt = round_trip if round_trip is not None else (snapshot.floor or 0.0)
    floor = min(rtt, snapshot.floor) if snapshot.floor is not None else rtt
    answers = [max(0.0, rtt - age) for age in snapshot.flying]
    frees = list(snapshot.frees)
    frees += [max(-age, due - floor) + window for age, due in zip(snapshot.flying, answers)]
    delay = max(0.0, delay)
    turn = window + max(0.0, rtt - floor) + delay
    frees = [f + delay for f in frees]
    # A slot nobody holds frees now; with more held than the limit (the server lowered it),
    # the excess must free first.
    frees += [0.0] * max(0, limit - len(frees))
    slots = sorted(frees)[len(frees) - limit :]
    # A slot free by our own log may still be barred (a 429 penalty, the server's view,
    # another process on the key). While requests of ours are in flight the bar may be theirs
    # and lift at their answers: the server's view counts every request in flight against
    # its allowance, and ``next_slot`` reads a whole window when they hold every slot.
    if not snapshot.flying:
        slots = [max(s, snapshot.next_slot) for s in slots]
    last = max(answers, default=0.0)
    if requests <= 0:
        return last
    # The next two turns exactly: a request starts when a slot and a worker are both free,
    # so a wait for a worker delays its slot's next turn too.
    workers = answers + [0.0] * max(0, concurrency - len(answers))
    heapq.heapify(workers)
    heapq.heapify(slots)
    exact = min(requests, 2 * limit)
    for _ in range(exact):
        start = max(heapq.heappop(slots), heapq.heappop(workers))
        heapq.heappush(workers, start + rtt)
        heapq.heappush(slots, start + turn)
        last = max(last, start + rtt)
    # Then every chain keeps its place, one turn per window (or slower, when the workers
    # cannot spend a window's budget within the window).
    rest = requests - exact
    if rest:
        period = max(turn, limit * rtt / concurrency)
        after = sorted(slots)
        for q in range(max(0, rest - limit), rest):
            last = max(last, after[q % limit] + (q // limit) * period + rtt)
    return last


class Eta:
    """The run's ETA: keeps the measured round trips, the starts and the answers.

    ``clock`` is monotonic seconds (injected in tests). :meth:`live` is for an import paced by
    the budget, :meth:`by_rate` for a dry run. The sender's events feed it: :meth:`started`
    for every request, :meth:`answered` for every end, :meth:`merged` for every batch merged.
    """

    def __init__(
        self,
        *,
        batch_size: int,
        concurrency: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.window = window
        self._clock = clock
        self._started = clock()
        self._round_trips: deque[float] = deque(maxlen=ROUND_TRIPS_KEPT)
        self._open: set[int] = set()  # batches with a request started, not merged yet
        self._starts: list[float] = []  # when each request started, in order
        self._frees: list[float] = []  # when each ended request's slot frees, ascending
        self._floor = math.inf  # the fastest round trip
        self._delays: deque[float] = deque(maxlen=DELAYS_KEPT)
        self._measured = 0  # starts whose delay was measured (or cannot be)
        self._first_delay = 0.0  # the delay of every turn until one is measured

    def round_trip(self, seconds: float) -> None:
        """Record how long one request took, from its start to its answer."""
        self._round_trips.append(max(0.0, seconds))

    def started(self, seq: int) -> None:
        """A request of batch ``seq`` went out (a batch's retries and halves count once as a
        batch in progress, every request as a start)."""
        self._open.add(seq)
        self._starts.append(self._clock())

    def answered(self, round_trip: float | None) -> None:
        """A request ended now: answered after ``round_trip`` seconds, or (None) without an
        answer."""
        end = self._clock()
        if round_trip is None:
            free = end + self.window  # as the budget keys a request that got no answer
        else:
            self.round_trip(round_trip)
            self._floor = min(self._floor, round_trip)
            free = end - self._floor + self.window
        bisect.insort(self._frees, free)

    def merged(self, seq: int) -> None:
        """Batch ``seq``'s answer is in the counters."""
        self._open.discard(seq)

    def delay(self, limit: int) -> float:
        """The median wait beyond the local log: request ``i`` may start once ``i - limit``
        slots have freed, the ``k``-th freeing a window after the ``k``-th end (less the
        fastest round trip, for an answer); how much later it started is the delay. 0 until
        a slot has been reused."""
        frees = self._frees
        # Only starts whose slot's freeing is known; each measured once, as it comes.
        while self._measured < len(self._starts):
            i = self._measured
            if i >= limit:
                if i - limit >= len(frees):
                    break
                self._delays.append(max(0.0, self._starts[i] - frees[i - limit]))
            self._measured += 1
        if not self._delays:
            return 0.0
        delays = sorted(self._delays)
        return delays[len(delays) // 2]

    @property
    def mean_round_trip(self) -> float | None:
        """The mean of the recent round trips (None before the first answer)."""
        trips: Sequence[float] = self._round_trips
        return sum(trips) / len(trips) if trips else None

    def live(self, tally: Tally, total: int | None, snapshot: BudgetSnapshot) -> float | None:
        """Seconds left for an import paced by the budget (None when the total is unknown)."""
        rows = rows_to_send(tally, total)
        if rows is None:
            return None
        # The budget hears of an answer (in a worker thread) before the counters do: a batch
        # answered but not merged yet holds a slot and must not be counted as still to send.
        # The sender's events can lag the budget too, hence the larger of the two counts.
        started = max(len(self._open), len(snapshot.flying))
        requests = math.ceil(rows / self.batch_size) - started
        delay = self.delay(snapshot.limit)
        if not self._delays:
            # No slot reused yet: what the server's view said of the next turn, once it held
            # every slot (kept: the bar is gone once the slots start to free).
            self._first_delay = first_turn_delay(snapshot) or self._first_delay
            delay = self._first_delay
        return budget_seconds_left(
            max(0, requests),
            snapshot,
            concurrency=self.concurrency,
            round_trip=self.mean_round_trip,
            delay=delay,
        )

    def by_rate(self, done: int, total: int | None) -> float | None:
        """Seconds left at the rate so far (a dry run: paced by the CPU, not the budget)."""
        rate = self.rate(done)
        if total is None or not rate:
            return None
        return max(0, total - done) / rate

    def rate(self, done: int) -> float | None:
        """Rows per second since the start (None before any time has passed)."""
        elapsed = self._clock() - self._started
        return done / elapsed if elapsed > 0 else None
