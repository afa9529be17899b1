"""The request budget of one API key in this process: never more than ``limit`` requests in
any ``window``, under both readings of the API's limit (fixed or sliding window).

:class:`RateBudget` keeps a sliding log of this process's requests, each counting until one
window after the server counted it (its answer less the fastest round trip seen), and a view
per answer's ``X-RateLimit-Remaining``/``-Reset`` headers, since other clients may spend the
same key; a view whose count our own requests can make up gives a slot back a window after
each of their answers, until an answer or a 429 shows another client; a 429 pauses every
caller. :class:`Budget` is the protocol the sender relies on;
:mod:`foxreach_cli.state.shared_rate_budget` is its cross-process twin. The safety argument and
the measurements behind each rule are in docs/rate-budget.md.
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

#: How long a waiter that cannot compute its wake-up time (every slot held by a request still
#: in flight) sleeps before it looks again, when the sleep function is injected (tests).
#: The API's budget per key: requests per window, and the window in seconds.
API_RATE_LIMIT = 100
API_RATE_WINDOW = 60.0
_IDLE_POLL = 0.05


@dataclass(frozen=True)
class RateInfo:
    """The ``X-RateLimit-*`` headers of one response; ``None`` where absent or unreadable."""

    limit: int | None
    remaining: int | None
    reset: float | None  # unix epoch seconds

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateInfo | None:
        """Parse the headers of a response (any case); ``None`` when none of them is present."""
        limit = _parse_int(headers.get("x-ratelimit-limit"))
        remaining = _parse_int(headers.get("x-ratelimit-remaining"))
        reset = _parse_float(headers.get("x-ratelimit-reset"))
        if limit is None and remaining is None and reset is None:
            return None
        return cls(limit=limit, remaining=remaining, reset=reset)


def _parse_int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return number if number >= 0 else None


def _parse_float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


@dataclass(frozen=True)
class BudgetSnapshot:
    """The budget as the progress display shows it."""

    limit: int  # requests allowed per window (after the server's Limit)
    window: float  # seconds
    used: int  # requests counted in the current span (in flight included)
    in_flight: int  # started, no response yet
    remaining: int | None  # what the server's latest headers still allow, if known
    next_slot: float  # seconds until a request may start (0: now)
    # For the ETA (foxreach_cli/eta.py): this process's own slots. ``frees`` holds, ascending,
    # the seconds until each slot of an ended request stops counting; ``flying`` the seconds
    # since each request in flight started; ``floor`` the fastest round trip (None: none yet).
    frees: tuple[float, ...] = ()
    flying: tuple[float, ...] = ()
    floor: float | None = None

    def describe(self) -> str:
        """One short phrase, e.g. ``"87/100 req/min left"`` or ``"0/100 left, next in 4s"``."""
        left = self.limit - self.used
        if self.remaining is not None:
            left = min(left, self.remaining)
        left = max(0, left)
        per = "min" if self.window == 60 else f"{self.window:g}s"
        text = f"{left}/{self.limit} req/{per} left"
        if self.next_slot > 0:
            text += f", next in {math.ceil(self.next_slot)}s"
        return text


class Budget(Protocol):
    """What the sender needs of a rate budget (one process today, several later)."""

    def acquire(self, *, cancel: threading.Event | None = None) -> float | None:
        """Block until one more request may start; return its start time (or None if cancelled)."""
        ...

    def release_unused(self, sent_at: float) -> None:
        """Give back a slot that was acquired but never used for a request."""
        ...

    def observe(
        self, info: RateInfo | None, *, sent_at: float, round_trip: float | None = None
    ) -> None:
        """Record that the request started at ``sent_at`` ended; ``round_trip`` is the wire time
        of its HTTP answer (any status), ``None`` when it failed without one."""
        ...

    def penalise(self, retry_after: float) -> None:
        """After a 429: nobody starts a request for ``retry_after`` seconds."""
        ...

    def wake(self) -> None:
        """Make every blocked :meth:`acquire` look at its ``cancel`` event again."""
        ...

    def spent(self) -> bool:
        """True while no request may start now and some of ours still await their answer."""
        ...

    def snapshot(self) -> BudgetSnapshot:
        """The current state, for display."""
        ...


@dataclass
class _Entry:
    start: float
    end: float | None = None  # when the response (or failure) came back
    answered: bool = False  # a response came: the server counted it a floor before, or sooner


@dataclass(frozen=True)
class _ServerView:
    """One response's ``Remaining``, a constraint until ``until`` (local monotonic time).

    ``remaining`` less the requests the server may not have counted when it answered: those
    in flight now and those that failed without headers after ``start`` (see the module
    docstring). An *explained* view's count could be ours alone; while no other client has
    shown itself it also gives back one slot for each of ours it counted, one window after
    that request ended (``frees``, ascending), the first ``slack`` of them excepted: those
    may be requests of ours the server no longer counted.
    """

    remaining: int
    start: float  # when the answered request started
    until: float
    explained: bool = False
    frees: tuple[float, ...] = ()
    slack: int = 0

    def allowance(self, in_flight: int, blind_ends: list[float], now: float, *, alone: bool) -> int:
        """How many more may start now by this view (``alone``: nobody else on the key)."""
        left = self.remaining - in_flight - sum(1 for end in blind_ends if end > self.start)
        if alone and self.explained:
            left += max(0, bisect.bisect_right(self.frees, now) - self.slack)
        return left

    def lifts(
        self, in_flight: int, blind_ends: list[float], now: float, alone_from: float
    ) -> float:
        """When this view lets one more request start (``now`` or earlier: at once), if
        nobody else is seen on the key from ``alone_from`` on."""
        left = self.allowance(in_flight, blind_ends, now, alone=False)
        if left > 0:
            return now
        if not self.explained:
            return self.until
        # Each of ``frees`` past the slack gives one slot back: the one that makes it one.
        needed = self.slack + 1 - left
        freed = self.frees[needed - 1] if needed <= len(self.frees) else math.inf
        return min(self.until, max(alone_from, freed))

    def covers(self, other: _ServerView) -> bool:
        """True if this view is at least as strict as ``other`` at every moment ``other`` lives
        (an explained view, which may give slots back, never stands in for another)."""
        return (
            not self.explained
            and self.remaining <= other.remaining
            and self.until >= other.until
            and self.start <= other.start
        )


class RateBudget:
    """Thread-safe request budget for one API key in this process (see the module docstring).

    ``clock`` is monotonic seconds, ``wall`` unix seconds (only to convert the server's
    ``X-RateLimit-Reset``), ``sleep`` how waiting happens. With the default ``time.sleep`` a
    waiter sleeps on a condition and wakes early when a response or :meth:`wake` changes the
    picture; an injected ``sleep`` (tests with a fake clock) is called with the wait instead.
    """

    def __init__(
        self,
        limit: int = API_RATE_LIMIT,
        window: float = API_RATE_WINDOW,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        margin: float = 0.25,
    ) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        if not (math.isfinite(window) and window > 0):
            raise ValueError(f"window must be a positive number of seconds, got {window}")
        self._configured = limit
        self._server_limit: int | None = None
        self.window = window
        self.margin = margin
        self._clock = clock
        self._wall = wall
        self._sleep = sleep
        self._real_sleep = sleep is time.sleep
        self._cond = threading.Condition()
        self._log: list[_Entry] = []  # in start order
        self._views: list[_ServerView] = []
        self._in_flight = 0  # entries of the log with no answer yet
        # Ends of requests that failed without rate headers: the server may have counted them
        # at any moment before they ended, so they weigh on every view that started earlier.
        self._blind_ends: list[float] = []
        self._penalty_until = -math.inf
        self._floor = math.inf  # the fastest round trip that got an answer
        # When each of our requests that ended did (answer or failure), while the server may
        # still count it: how many of ours an answer's Remaining can be made of.
        self._ends: deque[float] = deque()
        # Until then every view binds: an answer showed more requests than ours, or a 429 came.
        self._shared_until = -math.inf

    @property
    def limit(self) -> int:
        """Requests allowed per window: the configured limit, lowered by the server's."""
        if self._server_limit is None:
            return self._configured
        return min(self._configured, self._server_limit)

    # -- the sender's side ---------------------------------------------------------------

    def acquire(self, *, cancel: threading.Event | None = None) -> float | None:
        """Block until one more request may start now, and count it as started.

        Returns the start time on the budget's clock: pass it back as ``observe(sent_at=...)``
        when the request ends (or to :meth:`release_unused` if it is never sent). Returns
        ``None`` without counting anything when ``cancel`` is set while waiting.
        """
        with self._cond:
            while True:
                if cancel is not None and cancel.is_set():
                    return None
                now = self._clock()
                wait = self._wait_time(now)
                if wait <= 0:
                    self._log.append(_Entry(start=now))
                    self._in_flight += 1
                    return now
                if self._real_sleep:
                    # Wakes early on observe()/wake(); the loop re-evaluates.
                    self._cond.wait(timeout=None if math.isinf(wait) else wait)
                else:
                    # Injected sleep (a fake clock): when every slot is held by a request in
                    # flight only a response can free one, so look again after a short while.
                    self._cond.release()
                    try:
                        self._sleep(_IDLE_POLL if math.isinf(wait) else wait)
                    finally:
                        self._cond.acquire()

    def release_unused(self, sent_at: float) -> None:
        """Forget the slot taken at ``sent_at`` by :meth:`acquire`: no request went out."""
        with self._cond:
            for i in range(len(self._log) - 1, -1, -1):
                entry = self._log[i]
                if entry.end is None and entry.start == sent_at:
                    del self._log[i]
                    self._in_flight -= 1
                    break
            self._cond.notify_all()

    def observe(
        self, info: RateInfo | None, *, sent_at: float, round_trip: float | None = None
    ) -> None:
        """Record the end of the request started at ``sent_at`` and the server's headers.

        Call it once for every acquired slot that was used, whatever the outcome (``info`` is
        ``None`` when no response came, or one came without rate headers). ``round_trip`` is
        the seconds from the request's first byte on the wire to its whole answer, whatever
        the status, or ``None`` when no answer came: the slot then stops counting one window
        after now less the fastest round trip seen, else one window after now.
        """
        with self._cond:
            now = self._clock()
            for entry in self._log:
                if entry.end is None and entry.start == sent_at:
                    entry.end = now
                    entry.answered = round_trip is not None
                    self._in_flight -= 1
                    self._ends.append(now)
                    break
            if round_trip is not None:
                self._floor = min(self._floor, max(0.0, round_trip))
            if info is not None and info.limit is not None and info.limit > 0:
                self._server_limit = info.limit
            if info is not None and info.remaining is not None:
                self._learn(info.remaining, info.reset, sent_at, now)
            else:
                self._blind_ends.append(now)
            self._prune_ends(now)
            self._cond.notify_all()

    def lead(self, round_trip: float) -> float:
        """How long before its answer the server counted, at the latest, a request answered
        after ``round_trip`` seconds: the fastest round trip seen, this one included."""
        with self._cond:
            return max(0.0, min(self._floor, round_trip))

    def penalise(self, retry_after: float) -> None:
        """After a 429: no request starts before ``now + retry_after`` (the longest one wins)."""
        with self._cond:
            until = self._clock() + max(0.0, retry_after)
            self._penalty_until = max(self._penalty_until, until)
            # Something spends the key beside us (or counts differently): heed every view.
            self._shared_until = max(self._shared_until, until + self.window)
            self._cond.notify_all()

    def wake(self) -> None:
        """Wake every waiter so that it checks its ``cancel`` event."""
        with self._cond:
            self._cond.notify_all()

    def spent(self) -> bool:
        """True while no request may start now and some of ours still await their answer."""
        with self._cond:
            return self._in_flight > 0 and self._wait_time(self._clock()) > 0

    def snapshot(self) -> BudgetSnapshot:
        """Limit, requests counted now, in flight, the server's remaining, next free slot."""
        with self._cond:
            now = self._clock()
            wait = self._wait_time(now)  # prunes the log
            allowance = self._server_allowance(now)
            floor = 0.0 if math.isinf(self._floor) else self._floor
            frees = sorted(
                self._expiry(e, floor, self.window) - now for e in self._log if e.end is not None
            )
            return BudgetSnapshot(
                limit=self.limit,
                window=self.window,
                used=len(self._log),
                in_flight=self._in_flight,
                remaining=None if allowance is None else max(0, allowance),
                next_slot=0.0 if wait <= 0 else (self.window if math.isinf(wait) else wait),
                frees=tuple(frees),
                flying=tuple(now - e.start for e in self._log if e.end is None),
                floor=None if math.isinf(self._floor) else self._floor,
            )

    # -- internals (caller holds the lock) ---------------------------------------------------

    def _learn(self, remaining: int, reset: float | None, sent_at: float, now: float) -> None:
        if reset is not None:
            # Clamp: a Reset more than a window away can only be clock skew.
            ahead = min(max(0.0, reset - self._wall()), self.window)
        else:
            # Anything the server counted leaves its window (either reading) within one window.
            ahead = self.window
        view = self._view(remaining, sent_at, until=now + ahead + self.margin)
        if not view.explained:
            self._shared_until = max(self._shared_until, now + self.window)
        if any(v.covers(view) for v in self._views):
            return  # an earlier answer already says as much, for as long
        self._views = [v for v in self._views if not view.covers(v)]
        self._views.append(view)

    def _view(self, remaining: int, sent_at: float, *, until: float) -> _ServerView:
        """The view of an answer to the request started at ``sent_at``.

        The server counted that request after ``sent_at``, and each of ours by its end: so
        the count behind ``remaining`` can hold, of ours, only those in flight and those that
        ended less than a window before ``sent_at``. If it holds no more than that, it may be
        ours alone (explained). Without the server's ``Limit`` the count is unknown.
        """
        ends = [end for end in self._ends if end + self.window > sent_at]
        ours = self._in_flight + len(ends)
        if self._server_limit is None or self._server_limit - remaining > ours:
            return _ServerView(remaining=remaining, start=sent_at, until=until)
        return _ServerView(
            remaining=remaining,
            start=sent_at,
            until=until,
            explained=True,
            frees=tuple(sorted(end + self.window for end in ends)),
            slack=ours - (self._server_limit - remaining),
        )

    def _prune_ends(self, now: float) -> None:
        """Drop the ends no answer still to come can be counted with."""
        oldest = min((e.start for e in self._log if e.end is None), default=now)
        while self._ends and self._ends[0] + self.window <= oldest:
            self._ends.popleft()

    @staticmethod
    def _expiry(entry: _Entry, floor: float, window: float) -> float:
        """When an answered or failed request stops counting (see the module docstring)."""
        assert entry.end is not None
        counted_by = entry.end - floor if entry.answered else entry.end
        return max(entry.start, counted_by) + window

    def _server_allowance(self, now: float) -> int | None:
        """How many more may start by the server's live views (``None``: no view)."""
        if not self._views:
            return None
        alone = now >= self._shared_until
        return min(
            v.allowance(self._in_flight, self._blind_ends, now, alone=alone) for v in self._views
        )

    def _wait_time(self, now: float) -> float:
        """Seconds until one more request may start (<= 0: now; inf: when a response comes)."""
        waits = [self._penalty_until - now]
        window = self.window
        floor = 0.0 if math.isinf(self._floor) else self._floor
        # Re-keyed with the floor as it stands: it only ever shrinks, so expiries only move later.
        live: list[_Entry] = []
        expiries: list[float] = []  # of the live entries that ended
        for e in self._log:
            if e.end is None:
                live.append(e)
                continue
            expiry = self._expiry(e, floor, window)
            if expiry > now:
                live.append(e)
                expiries.append(expiry)
        self._log = live
        excess = len(live) - self.limit + 1
        if excess > 0:
            expiries.sort()
            waits.append(expiries[excess - 1] - now if len(expiries) >= excess else math.inf)
        self._views = [v for v in self._views if v.until > now]
        if self._blind_ends:
            # A blind end matters while a live view, or a request that may yet bring one,
            # started before it.
            oldest = min(
                [v.start for v in self._views] + [e.start for e in self._log if e.end is None],
                default=math.inf,
            )
            self._blind_ends = [end for end in self._blind_ends if end > oldest]
        # Blocked until every view that says no lets one more go (an answer that changes the
        # picture sooner wakes the waiters).
        if self._views:
            lifts = max(
                v.lifts(self._in_flight, self._blind_ends, now, self._shared_until)
                for v in self._views
            )
            waits.append(lifts - now)
        return max(waits)
