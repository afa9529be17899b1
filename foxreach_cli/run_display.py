"""A run's progress display: the counters, the expected total and the ETA, refreshed as the
stages go and while a live run waits."""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import ExitStack
from typing import TYPE_CHECKING

from .eta import Eta
from .read import estimate_data_rows
from .row_count import RowCounter

if TYPE_CHECKING:
    from .progress import Progress
    from .rate_budget import Budget
    from .read import Source
    from .report import ReportFold
    from .send import SendPolicy

TICK_SECONDS = 0.2  # the display's refresh while a live run waits (the log's cadence)


class RunDisplay:
    """Shows the fold's counters on ``progress``, with the ETA when someone watches."""

    def __init__(
        self, progress: Progress, fold: ReportFold, send: SendPolicy, *, watched: bool
    ) -> None:
        self.progress = progress
        self.fold = fold
        self.budget: Budget | None = None  # set once sending starts: it paces the ETA
        self.total: int | None = None  # the rows the display expects (None: unknown)
        self.counter: RowCounter | None = None  # counts the rows exactly (a live run)
        self.eta = Eta(
            batch_size=send.batch_size, concurrency=send.concurrency, window=send.rate_window
        )
        self.watched = watched  # someone watches: refresh the ETA (else counts only)
        self._shown = 0.0  # when the display was last refreshed (monotonic)

    def expect(
        self, sources: Sequence[Source], *, limit: int | None, live: bool, stack: ExitStack
    ) -> None:
        """Set the rows to expect: an estimate, made exact by a row counter in a live run
        (``stack`` stops it before the sources close)."""
        if not self.watched:
            self.total = limit  # nobody watches: don't read the files an extra time to count
            return
        estimate = estimate_data_rows(sources)
        if live:
            # Paced by the budget: the exact count arrives long before the first tenth of the
            # run (docs/rate-budget.md, "The ETA").
            self.counter = stack.enter_context(RowCounter(sources, limit).start())
        self.total = estimate if limit is None else min(limit, estimate or limit)

    def show(self) -> None:
        """Refresh the display from the counters (the budget's state and the ETA only when
        someone watches: the shared budget's snapshot reads its file)."""
        tally = self.fold.tally
        if not self.watched:
            self.progress.update(tally)
            return
        self._shown = time.monotonic()
        counter = self.counter
        if counter is not None and counter.total is not None:
            self.total, self.counter = counter.total, None  # exact: no longer an estimate
        total = None if self.total is None else max(self.total, tally.rows_read)
        if self.budget is None:  # not sending (yet, or a dry run): the ETA from the rate
            self.progress.update(tally, "", self.eta.by_rate(tally.settled, total), total)
            return
        snapshot = self.budget.snapshot()
        eta = self.eta.live(tally, total, snapshot)
        self.progress.update(tally, snapshot.describe(), eta, total)

    def tick(self) -> None:
        """Refresh the display while the run waits (for the budget, for answers), at most
        every TICK_SECONDS: the log's lines must come on time also when nothing happens."""
        if self.watched and time.monotonic() - self._shown >= TICK_SECONDS:
            self.show()
