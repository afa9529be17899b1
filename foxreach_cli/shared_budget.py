"""One rate budget for every foxreach process on this machine that uses the same API key.

Two cron jobs on one key must together stay under the server's limit. :class:`SharedBudget`
wraps this process's :class:`~foxreach_cli.ratelimit.RateBudget` (which knows the server's
headers, this process's requests in flight and 429 penalties) and adds a log of request
starts shared through a small JSON file in the state directory::

    <state_dir>/budget-<key fingerprint>.json       {"version": 1, "starts": [[t, token], ...],
    <state_dir>/budget-<key fingerprint>.json.lock   "penalty_until": t}   (t: unix seconds)

:meth:`SharedBudget.acquire` first takes the inner budget's slot, then, under the file lock,
reads the log, drops starts older than ``window + margin``, and appends its own start if fewer
than ``limit`` remain. Otherwise it waits, *outside* the file lock, until the oldest start
expires, and tries again. So no ``window + margin`` span holds more than ``limit`` starts of
all the processes together. ``margin`` (default 5 % of the window) covers the time between a
request's start and its arrival, since the server counts a request when it arrives.

Times in the file are wall-clock (``time.time``): monotonic clocks are not comparable between
processes. A step of the system clock can stretch or shorten one window; entries that claim to
lie more than one span in the future (the clock went back) are dropped.

A 429 seen by one process is shared too: :meth:`SharedBudget.penalise` records
``penalty_until`` in the file and every process waits for it, since the limit is the key's.

Each acquire costs one file lock and a small JSON read and write (at most ``limit`` entries);
the file is replaced atomically, so a reader never sees half of it, and a missing or corrupt
file is taken as empty.
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

from filelock import FileLock

from .config import ensure_private_dir
from .ratelimit import BudgetSnapshot, RateBudget, RateInfo

_FILE_VERSION = 1
_FINGERPRINT = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass
class _Log:
    """The shared file's content."""

    starts: list[tuple[float, str]] = field(default_factory=list)  # (wall time, token), sorted
    penalty_until: float = 0.0  # wall time before which nobody starts a request

    def prune(self, now: float, span: float) -> None:
        """Drop starts that no longer count, and ones from a clock that has since gone back."""
        self.starts = sorted(s for s in self.starts if now - span < s[0] <= now + span)
        if self.penalty_until > now + 3600:  # a clock that went back by a lot
            self.penalty_until = 0.0

    def wait_time(self, now: float, span: float, limit: int) -> float:
        """Seconds until one more start fits (<= 0: now)."""
        waits = [self.penalty_until - now]
        excess = len(self.starts) - limit + 1
        if excess > 0:
            waits.append(self.starts[excess - 1][0] + span - now)
        return max(waits)


class SharedBudget:
    """A :class:`~foxreach_cli.ratelimit.Budget` shared by processes through ``state_dir``.

    ``inner`` is this process's budget; ``key_fingerprint`` names the shared file (use
    :func:`foxreach_cli.journal.key_fingerprint`: never the key). ``limit`` and ``window``
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
        margin: float | None = None,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        if not (math.isfinite(window) and window > 0):
            raise ValueError(f"window must be a positive number of seconds, got {window}")
        if margin is None:
            margin = 0.05 * window
        if not (math.isfinite(margin) and margin >= 0):
            raise ValueError(f"margin must be 0 or more seconds, got {margin}")
        if not _FINGERPRINT.fullmatch(key_fingerprint):
            raise ValueError(f"key_fingerprint must be a short name: {key_fingerprint!r}")
        self._inner = inner
        self._limit = limit
        self.window = window
        self.margin = margin
        self._wall = wall
        self._sleep = sleep
        self._real_sleep = sleep is time.sleep
        self.dir = ensure_private_dir(Path(state_dir))
        self.path = self.dir / f"budget-{key_fingerprint}.json"
        # thread_local=False: one lock for the whole process, taken by one thread at a time
        # (self._mutex), never re-entered. fallback_to_soft=False: a soft lock left by a crashed
        # process would stop every later run.
        self._file_lock = FileLock(
            f"{self.path}.lock", mode=0o600, thread_local=False, fallback_to_soft=False
        )
        self._mutex = threading.Lock()  # threads of this process: one file access at a time
        self._cond = threading.Condition()  # waiters sleep here; wake() notifies
        # Inner start time -> our entries in the shared log (a fake clock can repeat a time).
        self._tokens: dict[float, list[str]] = {}
        self._prefix = f"{os.getpid()}-{secrets.token_hex(4)}-"
        self._counter = 0

    @property
    def span(self) -> float:
        """How long a start counts in the shared log: ``window + margin`` seconds."""
        return self.window + self.margin

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
        token = self._forget(sent_at)
        if token is not None:
            with self._locked() as log:
                log.starts = [s for s in log.starts if s[1] != token]

    def observe(self, info: RateInfo | None, *, sent_at: float) -> None:
        """Record the end of a request; its shared entry expires ``span`` after its start."""
        self._forget(sent_at)
        self._inner.observe(info, sent_at=sent_at)

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

    def snapshot(self) -> BudgetSnapshot:
        """The inner budget's state, with ``used`` and ``next_slot`` covering every process."""
        inner = self._inner.snapshot()
        now = self._wall()
        log = self._read()  # no lock: the file is only ever replaced whole
        log.prune(now, self.span)
        limit = self.limit
        wait = log.wait_time(now, self.span, limit)
        return replace(
            inner,
            limit=limit,
            used=max(inner.used, len(log.starts)),
            next_slot=max(inner.next_slot, wait, 0.0),
        )

    # -- internals -----------------------------------------------------------------------

    def _try_take(self, sent_at: float) -> float:
        """Append our start to the shared log if it has room; else return the wait."""
        with self._locked() as log:
            now = self._wall()
            wait = log.wait_time(now, self.span, self.limit)
            if wait > 0:
                return wait
            self._counter += 1
            token = f"{self._prefix}{self._counter}"
            log.starts.append((now, token))
            self._tokens.setdefault(sent_at, []).append(token)
            return 0.0

    def _forget(self, sent_at: float) -> str | None:
        """Drop (and return) the token of one request started at ``sent_at``."""
        with self._mutex:
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
        with self._mutex, self._file_lock:
            log = self._read()
            log.prune(self._wall(), self.span)
            before = (list(log.starts), log.penalty_until)
            yield log
            if (log.starts, log.penalty_until) != before:
                self._write(log)

    def _read(self) -> _Log:
        try:
            data = json.loads(self.path.read_bytes())
            starts = [(float(t), str(tok)) for t, tok in data["starts"]]
            penalty = float(data.get("penalty_until", 0.0))
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return _Log()  # missing or corrupt: start afresh rather than block for ever
        starts = [s for s in starts if math.isfinite(s[0])]
        return _Log(starts=starts, penalty_until=penalty if math.isfinite(penalty) else 0.0)

    def _write(self, log: _Log) -> None:
        payload = {
            "version": _FILE_VERSION,
            "starts": [[t, tok] for t, tok in log.starts],
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
