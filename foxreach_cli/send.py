"""The SEND stage: batches in, one ``BatchResult`` per batch out, under the rate budget.

:class:`Sender` keeps up to ``concurrency`` batches in flight on worker threads while the
calling thread builds the next ones, and hands every finished batch back in the calling
thread. Per request: transient failures (5xx, timeouts, dropped connections) are retried with
full-jitter backoff; a 429 pauses every worker for ``Retry-After``; a 422 is bisected down to
the refused leads; a 402 is split to import what still fits, then stops the run; a 403 stops
the run at once; Ctrl-C lets requests in flight finish. Every item of a batch ends in exactly
one of replies, rejected or not sent. Costs and the reasoning behind the default concurrency:
docs/reconciliation.md and docs/rate-budget.md.
"""

from __future__ import annotations

import queue
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import defaults, reasons
from .errors import (
    ApiError,
    AuthError,
    FoxReachImportError,
    PlanLimitError,
    RequestRejectedError,
    StorageError,
    TransientError,
    rate_of,
    round_trip_of,
)
from .rate_budget import Budget, RateInfo
from .reasons import ReasonCode, Rejection
from .stage_data import Batch, BatchResult, Reply

if TYPE_CHECKING:
    # httpx is loaded by the runs that send (the config reads SendPolicy in a dry run too).
    from .client import FoxReachClient

PLAN_LIMIT_REASON = reasons.PLAN_LIMIT
AUTH_REASON = reasons.AUTH_REFUSED
INTERRUPTED_REASON = reasons.INTERRUPTED
SERVER_FAILED_REASON = reasons.SERVER_FAILED
UNANSWERED_REASON = reasons.UNANSWERED
_POLL = 0.1  # seconds between deliveries of events while the calling thread waits


@dataclass(frozen=True)
class SendPolicy:
    """How a run sends: the config's send part, with the defaults of :mod:`.defaults`
    (``concurrency`` without ``--concurrency`` is sized by the rate limit instead:
    :func:`defaults.default_concurrency`). The pipeline reads the batch size, rate and
    timeout; the :class:`Sender` the rest."""

    batch_size: int = defaults.BATCH_SIZE  # leads per request (lowered for --exact-report)
    rate_limit: int = defaults.RATE_LIMIT  # requests per window this run may use
    rate_window: float = defaults.RATE_WINDOW  # seconds
    timeout: float = defaults.TIMEOUT  # seconds to wait for an answer before retrying
    restore: bool = defaults.RESTORE  # restoreSoftDeleted
    concurrency: int = defaults.default_concurrency(defaults.RATE_LIMIT)  # requests in flight
    max_retries: int = 5  # per request, for transient failures
    backoff_base: float = defaults.RETRY_BACKOFF  # s; the n-th retry waits up to base * 2**(n-1)
    backoff_cap: float = 30.0  # seconds
    fill_plan_capacity: bool = True  # on 402, split to import what still fits
    free_rate_limited: int = 10  # consecutive 429s per request that cost no retry
    max_retry_after: float = 300.0  # longest single wait a 429 can impose, in seconds
    prefetch: int | None = None  # batches built ahead of the workers (None: = concurrency)


@dataclass
class SendOutcome:
    """How the run ended."""

    # AuthError / PlanLimitError / TransientError (retries exhausted) / ApiError that stopped
    # the run, else None.
    fatal: FoxReachImportError | None = None
    interrupted: bool = False


# -- events (delivered to on_event in the calling thread) -------------------------------------


@dataclass(frozen=True)
class RequestStarted:
    """An HTTP request for ``size`` leads of batch ``seq`` is going out."""

    seq: int
    size: int

    @property
    def message(self) -> str | None:
        return None


@dataclass(frozen=True)
class RequestFinished:
    """A request ended: ``status`` is None when no HTTP answer came."""

    seq: int
    size: int
    status: int | None
    seconds: float

    @property
    def message(self) -> str | None:
        return None


@dataclass(frozen=True)
class RetryScheduled:
    """A transient failure: the same leads go again after ``delay`` seconds."""

    seq: int
    size: int
    delay: float
    reason: str

    @property
    def message(self) -> str:
        return f"batch {self.seq}: retrying in {self.delay:.1f}s after: {self.reason}"


@dataclass(frozen=True)
class RateLimited:
    """A 429: every request waits ``delay`` seconds."""

    seq: int
    delay: float

    @property
    def message(self) -> str:
        return f"batch {self.seq}: rate limited (429); waiting {self.delay:.1f}s"


@dataclass(frozen=True)
class Splitting:
    """A 422 or 402 for ``size`` leads: they go again as two halves."""

    seq: int
    size: int
    status: int

    @property
    def message(self) -> str:
        why = "refused rows" if self.status == 422 else "what still fits the plan"
        return f"batch {self.seq}: {self.status} for {self.size} leads; splitting to find {why}"


@dataclass(frozen=True)
class Stopping:
    """The run stops sending: ``reason`` is what the items not sent will say."""

    reason: Rejection
    error: FoxReachImportError | None

    @property
    def message(self) -> str:
        why = self.error if self.error is not None else self.reason.text
        return f"stopping: {why}"


SendEvent = RequestStarted | RequestFinished | RetryScheduled | RateLimited | Splitting | Stopping


class _Stopped(Exception):
    """The run is stopping: leave the remaining items not sent."""

    def __init__(self, ambiguous: bool = False) -> None:
        super().__init__()
        # An earlier attempt went out and got no answer: it may have been stored.
        self.ambiguous = ambiguous


class _Exhausted(Exception):
    def __init__(self, error: TransientError, attempts: int, ambiguous: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.attempts = attempts
        self.ambiguous = ambiguous


class Retries:
    """One request's transient failures and the wait before its next attempt, as the sender
    and every other budgeted request stage retry: a 429 waits its ``Retry-After`` (else
    backoff) and costs a retry only past ``policy.free_rate_limited`` in a row; any other
    transient failure waits full-jitter backoff; ``policy.max_retries`` failures end it."""

    def __init__(self, policy: SendPolicy, rng: random.Random) -> None:
        self._policy = policy
        self._rng = rng
        self._failures = 0  # transient failures that cost a retry
        self._limited_in_a_row = 0

    def delay_after(self, error: TransientError) -> float | None:
        """Seconds to wait before the next attempt after ``error``; None when none is left."""
        policy = self._policy
        if error.status == 429:
            self._limited_in_a_row += 1
            if self._limited_in_a_row > policy.free_rate_limited:
                self._failures += 1
            if self._failures > policy.max_retries:
                return None
            delay = error.retry_after
            if delay is None:
                delay = self._backoff(self._limited_in_a_row)
            return min(delay, policy.max_retry_after)
        self._limited_in_a_row = 0
        self._failures += 1
        if self._failures > policy.max_retries:
            return None
        return self._backoff(self._failures)

    def _backoff(self, n: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**(n-1))]."""
        ceiling = min(self._policy.backoff_cap, self._policy.backoff_base * 2 ** min(n - 1, 62))
        return self._rng.uniform(0.0, ceiling)


class Sender:
    """Sends batches concurrently under a rate budget; see the module docstring."""

    def __init__(
        self,
        client: FoxReachClient,
        budget: Budget,
        policy: SendPolicy,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        on_event: Callable[[SendEvent], None] | None = None,
    ) -> None:
        self._client = client
        self._budget = budget
        self.policy = policy
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._on_event = on_event
        self._events: queue.SimpleQueue[SendEvent] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._stop_reason: Rejection | None = None
        self._fatal: FoxReachImportError | None = None

    # -- the calling thread ------------------------------------------------------------------

    def run(
        self,
        batches: Iterable[Batch],
        on_result: Callable[[Batch, BatchResult], None],
        *,
        on_idle: Callable[[], None] | None = None,
    ) -> SendOutcome:
        """Send every batch; call ``on_result`` (in this thread) once per batch pulled, and
        ``on_idle`` (in this thread too) every turn of the loop, at least every 0.1 s while it
        waits for answers or the budget (the progress display's clock).

        Pulls from ``batches`` in this thread, at most ``concurrency + 1`` ahead of the
        answers. Returns when every pulled batch has been reported. Batches never pulled (after
        a stop or Ctrl-C) stay in the caller's iterator.
        """
        self._stop.clear()
        self._stop_reason, self._fatal = None, None
        conc = self.policy.concurrency
        depth = self.policy.prefetch if self.policy.prefetch is not None else conc
        it: Iterator[Batch] = iter(batches)
        pending: dict[Future[BatchResult], Batch] = {}
        # Batches built ahead while every worker waits for the budget, so that when the
        # window opens the requests go out at once instead of one build at a time.
        ahead: deque[Batch] = deque()
        exhausted = False
        interrupted = False
        executor = ThreadPoolExecutor(max_workers=conc, thread_name_prefix="foxreach-send")
        try:
            try:
                while True:
                    while not self._stop.is_set() and len(pending) < conc:
                        if not ahead and not exhausted:
                            batch = next(it, None)
                            exhausted = batch is None
                            if batch is not None:
                                ahead.append(batch)
                        # Building the batch may have stopped the run (a write failed).
                        if not ahead or self._stop.is_set():
                            break
                        batch = ahead.popleft()
                        pending[executor.submit(self._send_batch, batch)] = batch
                    # Build ahead unless the window's budget is spent and answers are due:
                    # those batches wait for the next window anyway, and building them now
                    # takes CPU from the answers (measured against a sandbox on the same
                    # machine: with 50 in flight its answers came ~0.4 s later).
                    more = (
                        not self._stop.is_set()
                        and not exhausted
                        and len(ahead) < depth
                        and not self._budget.spent()
                    )
                    if more:
                        # Read the next batch while the requests fly.
                        batch = next(it, None)
                        exhausted = batch is None
                        if batch is not None:
                            ahead.append(batch)
                    self._deliver_events()
                    if not pending and (self._stop.is_set() or not ahead):
                        break
                    # Don't wait for answers while there is building ahead left to do.
                    self._collect(pending, on_result, timeout=0 if more else _POLL)
                    if on_idle is not None:
                        on_idle()
            except KeyboardInterrupt:
                interrupted = True
                self._halt(None, INTERRUPTED_REASON)
            while pending:
                try:
                    self._collect(pending, on_result)
                    if on_idle is not None:
                        on_idle()
                except KeyboardInterrupt:
                    # Already stopping; requests in flight end within their timeout.
                    interrupted = True
            reason = self._stop_reason or INTERRUPTED_REASON
            while ahead:
                batch = ahead.popleft()
                on_result(batch, BatchResult(not_sent=dict.fromkeys(range(len(batch)), reason)))
        except BaseException:
            # on_result or a worker raised (a bug): no new requests, let the others end.
            self._halt(None, reasons.RUN_FAILED)
            raise
        finally:
            executor.shutdown(wait=True)
            self._deliver_events()
        return SendOutcome(fatal=self._fatal, interrupted=interrupted)

    def _collect(
        self,
        pending: dict[Future[BatchResult], Batch],
        on_result: Callable[[Batch, BatchResult], None],
        *,
        timeout: float = _POLL,
    ) -> None:
        if not pending:
            return
        done, _ = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
        self._deliver_events()
        for future in sorted(done, key=lambda f: pending[f].seq):
            batch = pending.pop(future)
            on_result(batch, future.result())

    def _deliver_events(self) -> None:
        while True:
            try:
                event = self._events.get_nowait()
            except queue.Empty:
                return
            if self._on_event is not None:
                self._on_event(event)

    # -- worker threads --------------------------------------------------------------------

    def _emit(self, event: SendEvent) -> None:
        if self._on_event is not None:
            self._events.put(event)

    def stop(self, error: FoxReachImportError, reason: Rejection) -> None:
        """Stop sending from outside (e.g. the journal failed): no new requests; those in
        flight finish; items not sent get ``reason``; ``error`` becomes the run's fatal one."""
        self._halt(error, reason)

    def _halt(self, error: FoxReachImportError | None, reason: Rejection) -> None:
        """Stop sending; the first reason is what the items not sent will say."""
        with self._lock:
            first = not self._stop.is_set()
            if first:
                self._stop_reason = reason
            if error is not None and self._fatal is None:
                self._fatal = error
            self._stop.set()
        self._budget.wake()
        if first or error is not None:
            self._emit(Stopping(reason=reason, error=error))

    def _stopped_reason(self) -> Rejection | None:
        with self._lock:
            return self._stop_reason if self._stop.is_set() else None

    def _send_batch(self, batch: Batch) -> BatchResult:
        """Every item of ``batch`` into exactly one of replies / rejected / not_sent."""
        result = BatchResult()
        groups: deque[list[int]] = deque([list(range(len(batch)))])
        while groups:
            idx = groups.popleft()
            stopped = self._stopped_reason()
            if stopped is not None:
                _not_sent(result, idx, stopped)
                continue
            try:
                result.replies.append(self._request(batch, idx, result))
            except _Stopped as exc:
                reason = UNANSWERED_REASON if exc.ambiguous else None
                _not_sent(result, idx, reason or self._stopped_reason() or INTERRUPTED_REASON)
            except RequestRejectedError as exc:
                if len(idx) == 1:
                    result.rejected.append((idx[0], exc.message))
                else:
                    self._split(batch, idx, groups, 422)
            except PlanLimitError as exc:
                if self.policy.fill_plan_capacity and len(idx) > 1:
                    self._split(batch, idx, groups, 402)
                else:
                    self._halt(exc, PLAN_LIMIT_REASON)
                    _not_sent(result, idx, PLAN_LIMIT_REASON)
            except AuthError as exc:
                self._halt(exc, AUTH_REASON)
                _not_sent(result, idx, AUTH_REASON)
            except _Exhausted as exc:
                fatal = TransientError(
                    f"The server could not be reached or kept failing after {exc.attempts} "
                    f"attempts: {exc.error}",
                    status=exc.error.status,
                    ambiguous=exc.error.ambiguous,
                    hint="Run the import again later.",
                )
                self._halt(fatal, SERVER_FAILED_REASON)
                code = (
                    ReasonCode.NOT_SENT_NO_ANSWER
                    if exc.ambiguous
                    else ReasonCode.NOT_SENT_UNREACHABLE
                )
                _not_sent(result, idx, code.of(exc.attempts, exc.error))
            except (ApiError, StorageError) as exc:
                # StorageError: the shared budget's file failed before the request went out.
                self._halt(exc, ReasonCode.NOT_SENT_STOPPED.of(exc))
                _not_sent(result, idx, ReasonCode.NOT_SENT_ERROR.of(exc))
        return result

    def _observe(self, rate: RateInfo | None, sent_at: float, round_trip: float | None) -> None:
        """Tell the budget of an answer; a shared-budget file that cannot be written stops
        the run, but never loses the answer already in hand."""
        try:
            self._budget.observe(rate, sent_at=sent_at, round_trip=round_trip)
        except StorageError as exc:
            self._halt(exc, ReasonCode.NOT_SENT_STOPPED.of(exc))

    def _split(self, batch: Batch, idx: list[int], groups: deque[list[int]], status: int) -> None:
        self._emit(Splitting(seq=batch.seq, size=len(idx), status=status))
        half = len(idx) // 2
        # Depth first, in file order: the first half is settled before the second is tried.
        groups.appendleft(idx[half:])
        groups.appendleft(idx[:half])

    def _request(self, batch: Batch, idx: list[int], result: BatchResult) -> Reply:
        """Send ``idx`` of ``batch`` until it gets an answer other than a transient failure."""
        payload = batch.payload(idx)
        policy = self.policy
        attempts = 0
        retries = Retries(policy, self._rng)
        ambiguous = False
        while True:
            sent_at = self._budget.acquire(cancel=self._stop)
            if sent_at is None:
                raise _Stopped(ambiguous)
            if self._stop.is_set():
                self._budget.release_unused(sent_at)
                raise _Stopped(ambiguous)
            attempts += 1
            result.requests += 1
            self._emit(RequestStarted(seq=batch.seq, size=len(idx)))
            started = time.monotonic()
            try:
                response = self._client.import_encoded(payload, len(idx), restore=policy.restore)
            except BaseException as exc:
                self._observe(rate_of(exc), sent_at, round_trip_of(exc))
                status = exc.status if isinstance(exc, ApiError) else None
                self._emit(RequestFinished(batch.seq, len(idx), status, time.monotonic() - started))
                if not isinstance(exc, TransientError):
                    raise
                error = exc
            else:
                self._observe(response.rate, sent_at, response.round_trip)
                self._emit(RequestFinished(batch.seq, len(idx), 200, time.monotonic() - started))
                return Reply(indices=list(idx), data=response.data, ambiguous=ambiguous)

            ambiguous = ambiguous or error.ambiguous
            if error.status == 429:
                result.rate_limited += 1
            delay = retries.delay_after(error)
            if delay is None:
                raise _Exhausted(error, attempts, ambiguous)
            result.retries += 1
            if error.status == 429:
                self._emit(RateLimited(seq=batch.seq, delay=delay))
                # Everyone waits: acquire() blocks until the penalty is over.
                self._budget.penalise(delay)
                continue
            self._emit(RetryScheduled(batch.seq, len(idx), delay, str(error)))
            if self._pause(delay):
                raise _Stopped(ambiguous)

    def _pause(self, delay: float) -> bool:
        """Wait ``delay`` seconds; True when the run was stopped meanwhile."""
        if self._sleep is time.sleep:
            return self._stop.wait(delay)
        self._sleep(delay)
        return self._stop.is_set()


def _not_sent(result: BatchResult, idx: list[int], reason: Rejection) -> None:
    for i in idx:
        result.not_sent[i] = reason
