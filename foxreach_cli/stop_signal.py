"""The one place a run learns that it must stop sending because a write failed.

Any write of a run may fail (the journal, the dedup's spill file in TMPDIR, the shared rate
budget, the ``--log-file``): :meth:`StopSignal.failed` records the first failure and tells the
sender to stop taking batches (requests in flight finish, and their answers are still merged
and journaled). The signal also knows whether a request of the run reached (or may have
reached) the API, so that a failure after that says what a rerun will do
(:meth:`StopSignal.fatal`), and keeps the outputs that fail besides the first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

from .errors import FoxReachImportError, StorageError
from .progress import Progress
from .reasons import ReasonCode

if TYPE_CHECKING:
    from .reasons import Rejection
    from .stage_data import Tally


class Stoppable(Protocol):
    """What the signal stops: the sender (:meth:`send.Sender.stop`)."""

    def stop(self, error: StorageError, reason: Rejection) -> None: ...


class StopSignal:
    """Whether a write of this run failed, which one first, and who must stop."""

    def __init__(self) -> None:
        self.failure: StorageError | None = None  # the first write that failed
        self.also_failed: list[StorageError] = []  # outputs that failed besides it
        self.sent = False  # a request of this run reached (or may have reached) the API
        self._sender: Stoppable | None = None

    @property
    def stopped(self) -> bool:
        """Whether a write failed: nothing more is sent."""
        return self.failure is not None

    def sending(self, sender: Stoppable) -> None:
        """From now on a failure also stops ``sender``."""
        self._sender = sender

    def failed(self, exc: StorageError) -> None:
        """A write failed: stop sending (once; the stop's own note may be what fails)."""
        if self.failure is not None:
            return
        self.failure = exc
        if self._sender is not None:
            self._sender.stop(exc, self.reason())

    def fatal(
        self, error: FoxReachImportError | None, *, imported: int, journal: str
    ) -> FoxReachImportError | None:
        """What ended the run: ``error``, else the first failed write; a failed write after
        leads were sent says so (:meth:`errors.StorageError.after_sending`)."""
        fatal = error or self.failure
        if isinstance(fatal, StorageError) and self.sent:
            return fatal.after_sending(imported, journal=journal)
        return fatal

    def reason(self) -> Rejection:
        """Why the rows not sent were not sent."""
        assert self.failure is not None
        return ReasonCode.NOT_SENT_STOPPED.of(self.failure)

    def guard(self, progress: Progress) -> Progress:
        """``progress`` whose failed writes (a ``--log-file``) stop sending instead of ending
        the run with answers not merged."""
        return _GuardedProgress(progress, self)


class _GuardedProgress(Progress):
    """A progress display whose :class:`StorageError` goes to a :class:`StopSignal`."""

    def __init__(self, inner: Progress, signal: StopSignal) -> None:
        self.inner = inner
        self._signal = signal

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except StorageError as exc:
            self._signal.failed(exc)

    def start(self, *, total_rows: int | None, label: str) -> None:
        with self._guard():
            self.inner.start(total_rows=total_rows, label=label)

    def update(
        self, tally: Tally, budget: str = "", eta: float | None = None, total: int | None = None
    ) -> None:
        with self._guard():
            self.inner.update(tally, budget, eta, total)

    def note(self, text: str) -> None:
        with self._guard():
            self.inner.note(text)

    def stop(self) -> None:
        with self._guard():
            self.inner.stop()
