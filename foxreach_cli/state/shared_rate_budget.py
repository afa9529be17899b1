"""One rate budget for every foxreach process on this machine that uses the same API key.

:class:`SharedBudget` wraps this process's :class:`~foxreach_cli.rate_budget.RateBudget` and
adds a log of requests shared through ``<state_dir>/budget-<key fingerprint>.json`` under a
file lock, following the same expiry rule, so that two cron jobs on one key stay under the
key's limit together; a 429 seen by one process pauses them all. File format, expiry of dead
processes' entries and clock handling: docs/rate-budget.md.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

from filelock import FileLock

from ..errors import storage_errors
from ..rate_budget import BudgetSnapshot, RateBudget, RateInfo
from . import ensure_private_dir

_FILE_VERSION = 2
#: An entry without an answer stops counting this many windows after its start.
_LAPSE = 2.0
_FINGERPRINT = re.compile(r"[A-Za-z0-9_-]{1,64}")


class _Request(NamedTuple):
    """One request in the shared log (wall-clock seconds)."""

    start: float
    token: str
    end: float | None  # counted by the server by then at the latest; None while in flight

    def expiry(self, window: float) -> float:
        """When it stops counting: a window after ``end``, or its lapse if still in flight."""
        return self.end + window if self.end is not None else self.start + _LAPSE * window


@dataclass
class _Log:
    """The shared file's content."""

    requests: list[_Request] = field(default_factory=list)  # in start order
    penalty_until: float = 0.0  # wall time before which nobody starts a request

    def prune(self, now: float, window: float) -> None:
        """Drop requests that no longer count, and ones from a clock that has since gone back."""
        self.requests = sorted(
            r for r in self.requests if now < r.expiry(window) and r.start <= now + window
        )
        if self.penalty_until > now + 3600:  # a clock that went back by a lot
            self.penalty_until = 0.0

    def wait_time(self, now: float, window: float, limit: int) -> float:
        """Seconds until one more request fits (<= 0: now)."""
        waits = [self.penalty_until - now]
        excess = len(self.requests) - limit + 1
        if excess > 0:
            # A request still in flight may be counted as late as its answer, so it frees
            # nothing sooner than ``now + window`` (or its lapse, if its process died).
            expiries = sorted(
                r.expiry(window) if r.end is not None else min(now + window, r.expiry(window))
                for r in self.requests
            )
            waits.append(expiries[excess - 1] - now)
        return max(waits)

    def find(self, token: str) -> int | None:
        """The position of the request with ``token``, if the log holds it."""
        for i, r in enumerate(self.requests):
            if r.token == token:
                return i
        return None


class SharedBudget:
    """A :class:`~foxreach_cli.rate_budget.Budget` shared by processes through ``state_dir``.

    ``inner`` is this process's budget; ``key_fingerprint`` names the shared file (use
    :func:`foxreach_cli.state.journal.key_fingerprint`: never the key). ``limit`` and ``window``
    are the configured limit (the inner budget's, lowered by the server's ``Limit`` once
    known, wins if lower). ``wall`` is unix seconds, ``sleep`` how waiting happens: with the
    default ``time.sleep`` a waiter sleeps on a condition that :meth:`wake` interrupts; an
    injected one (tests with a fake clock) is called with the wait.
    """

    def __init__(
        self,
        inner: RateBudget,
        state_dir: Path,
        key_fingerprint: str,
        *,
        limit: int,
        window: float,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        if not (math.isfinite(window) and window > 0):
            raise ValueError(f"window must be a positive number of seconds, got {window}")
        if not _FINGERPRINT.fullmatch(key_fingerprint):
            raise ValueError(f"key_fingerprint must be a short name: {key_fingerprint!r}")
        self._inner = inner
        self._limit = limit
        self.window = window
        self._wall = wall
        self._sleep = sleep
        self._real_sleep = sleep is time.sleep
        self.dir = Path(state_dir)
        self.path = self.dir / f"budget-{key_fingerprint}.json"
        with storage_errors(self.dir, option="state_dir", action="created"):
            ensure_private_dir(self.dir)
        # thread_local=False: one lock for the whole process, taken by one thread at a time
        # (self._mutex), never re-entered. fallback_to_soft=False: a soft lock left by a crashed
        # process would stop every later run.
        self._file_lock = FileLock(
            f"{self.path}.lock", mode=0o600, thread_local=False, fallback_to_soft=False
        )
        self._mutex = threading.Lock()  # threads of this process: one file access at a time
        self._cond = threading.Condition()  # waiters sleep here; wake() notifies
        # Inner start time -> our entries in the shared log, (token, wall start) (a fake clock
        # can repeat a time). Its own lock: observe() looks here before taking the file.
        self._tokens: dict[float, list[tuple[str, float]]] = {}
        self._mutex_tokens = threading.Lock()
        self._prefix = f"{os.getpid()}-{secrets.token_hex(4)}-"
        self._counter = 0

    @property
    def limit(self) -> int:
        """The configured limit, lowered by the server's ``X-RateLimit-Limit`` once known."""
        return min(self._limit, self._inner.limit)

    # -- the Budget protocol ---------------------------------------------------------------

    def acquire(self, *, cancel: threading.Event | None = None) -> float | None:
        """Block until this process's budget and the shared log both allow a request now.

        Returns the inner budget's start time (pass it to :meth:`observe` or
        :meth:`release_unused`), or ``None``, holding nothing, once ``cancel`` is set.
        """
        sent_at = self._inner.acquire(cancel=cancel)
        if sent_at is None:
            return None
        try:
            while True:
                if cancel is not None and cancel.is_set():
                    self._inner.release_unused(sent_at)
                    return None
                wait = self._try_take(sent_at)
                if wait <= 0:
                    return sent_at
                self._pause(wait, cancel)
        except BaseException:
            self._inner.release_unused(sent_at)
            raise

    def release_unused(self, sent_at: float) -> None:
        """Give back the slot taken at ``sent_at``, here and in the shared log."""
        self._inner.release_unused(sent_at)
        mine = self._forget(sent_at)
        if mine is not None:
            with self._locked() as log:
                log.requests = [r for r in log.requests if r.token != mine[0]]

    def observe(
        self, info: RateInfo | None, *, sent_at: float, round_trip: float | None = None
    ) -> None:
        """Record the end of a request: its shared entry counts for one more window.

        The shared end is written before the inner budget's, so it is never the later of the
        two: one process alone is never held back by the file.
        """
        mine = self._forget(sent_at)
        try:
            if mine is not None:
                token, start = mine
                lead = 0.0 if round_trip is None else self._inner.lead(round_trip)
                with self._locked() as log:
                    counted_by = max(start, self._wall() - lead)
                    answered_entry = _Request(start, token, counted_by)
                    i = log.find(token)
                    if i is None:  # lapsed while in flight: it counts again, from its answer
                        log.requests.append(answered_entry)
                        log.requests.sort()
                    else:
                        log.requests[i] = answered_entry
        finally:
            # Even if the file cannot be written, this process's budget learns of the answer.
            self._inner.observe(info, sent_at=sent_at, round_trip=round_trip)

    def penalise(self, retry_after: float) -> None:
        """After a 429: no process on this key starts a request for ``retry_after`` seconds."""
        self._inner.penalise(retry_after)
        with self._locked() as log:
            log.penalty_until = max(log.penalty_until, self._wall() + max(0.0, retry_after))

    def wake(self) -> None:
        """Wake every waiter (here and in the inner budget) to check its ``cancel`` event."""
        self._inner.wake()
        with self._cond:
            self._cond.notify_all()

    def spent(self) -> bool:
        """This process's budget is spent for now, with requests in flight (the shared file is
        not read: this only decides whether to build batches ahead)."""
        return self._inner.spent()

    def snapshot(self) -> BudgetSnapshot:
        """The inner budget's state, with ``used`` and ``next_slot`` covering every process."""
        inner = self._inner.snapshot()
        now = self._wall()
        log = self._read()  # no lock: the file is only ever replaced whole
        log.prune(now, self.window)
        limit = self.limit
        wait = log.wait_time(now, self.window, limit)
        return replace(
            inner,
            limit=limit,
            used=max(inner.used, len(log.requests)),
            next_slot=max(inner.next_slot, wait, 0.0),
        )

    # -- internals -----------------------------------------------------------------------

    def _try_take(self, sent_at: float) -> float:
        """Append our request to the shared log if it has room; else return the wait."""
        with self._locked() as log:
            now = self._wall()
            wait = log.wait_time(now, self.window, self.limit)
            if wait > 0:
                return wait
            self._counter += 1
            token = f"{self._prefix}{self._counter}"
            log.requests.append(_Request(now, token, None))
            with self._mutex_tokens:
                self._tokens.setdefault(sent_at, []).append((token, now))
            return 0.0

    def _forget(self, sent_at: float) -> tuple[str, float] | None:
        """Drop (and return) the token and wall start of one request started at ``sent_at``."""
        with self._mutex_tokens:
            tokens = self._tokens.get(sent_at)
            if not tokens:
                return None
            token = tokens.pop()
            if not tokens:
                del self._tokens[sent_at]
            return token

    def _pause(self, wait: float, cancel: threading.Event | None) -> None:
        if self._real_sleep:
            with self._cond:
                # Checked under the condition so that a wake() right after cancel.set() is
                # never lost; wake() cuts the wait short.
                if cancel is None or not cancel.is_set():
                    self._cond.wait(timeout=wait)
        else:
            self._sleep(wait)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[_Log]:
        """Read, prune and yield the log under the file lock; write it back if it changed."""
        # The storage boundary: a lock or write that fails (disk full, folder removed) is one
        # sentence naming the file, and stops the run like any fatal error of the sender.
        with storage_errors(self.path, option="state_dir"), self._mutex, self._file_lock:
            log = self._read()
            log.prune(self._wall(), self.window)
            before = (list(log.requests), log.penalty_until)
            yield log
            if (log.requests, log.penalty_until) != before:
                self._write(log)

    def _read(self) -> _Log:
        try:
            data = json.loads(self.path.read_bytes())
            if "requests" in data:
                requests = [
                    _Request(float(t), str(tok), None if end is None else float(end))
                    for t, tok, end in data["requests"]
                ]
            else:  # version 1 (starts only): as if answered when they started
                requests = [_Request(float(t), str(tok), float(t)) for t, tok in data["starts"]]
            penalty = float(data.get("penalty_until", 0.0))
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return _Log()  # missing or corrupt: start afresh rather than block for ever
        requests = [
            r
            for r in requests
            if math.isfinite(r.start) and (r.end is None or math.isfinite(r.end))
        ]
        return _Log(requests=requests, penalty_until=penalty if math.isfinite(penalty) else 0.0)

    def _write(self, log: _Log) -> None:
        payload = {
            "version": _FILE_VERSION,
            "requests": [list(r) for r in log.requests],
            "penalty_until": log.penalty_until,
        }
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:  # mkstemp: mode 0o600
                json.dump(payload, fh, separators=(",", ":"))
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
