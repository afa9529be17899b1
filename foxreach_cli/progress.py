"""Progress display as a pluggable collector: a rich bar, plain log lines, or nothing.

The pipeline only calls the methods of ``Progress``; it never knows whether a terminal is
attached. ``RichProgress`` is for a person at a terminal, ``LogProgress`` for cron (periodic
plain lines, no escape codes), ``Progress`` itself is silent (``--quiet``, ``--json``).
All of them show the time left in one form, ``ETA h:mm:ss``, with rows/s since the start
(:mod:`foxreach_cli.eta` computes the time left; the pipeline passes it to :meth:`update`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    ProgressColumn,
    Task,
    TaskID,
    TaskProgressColumn,
    TextColumn,
)
from rich.progress import Progress as RichBar
from rich.text import Text

from .eta import format_eta, format_rate
from .stage_data import Tally


class Progress:
    """The silent collector; subclasses draw."""

    def start(self, *, total_rows: int | None, label: str) -> None:
        """A run begins; ``total_rows`` is an estimate (None when unknown)."""

    def update(
        self, tally: Tally, budget: str = "", eta: float | None = None, total: int | None = None
    ) -> None:
        """New figures are available: the run's counters, the rate budget in words, the
        seconds left as of now (None when unknown), and the rows expected in all as now known
        (None: as before; once counted exactly it replaces the estimate given to
        :meth:`start`)."""

    def note(self, text: str) -> None:
        """A line worth showing now (a retry, a wait, a stop)."""

    def stop(self) -> None:
        """The run is over; leave the terminal clean."""


class LogProgress(Progress):
    """Plain timestamped lines every ``interval`` seconds, or every tenth of the run when that
    is sooner (the run's length as the ETA expects it; never more often than ``shortest``):
    for cron and pipes, so a short run logs its progress more than once.

    ``clock`` (monotonic seconds) paces the lines and the rows/s; ``stamp`` gives each line's
    timestamp. Both are injected in tests.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        interval: float = 5.0,
        shortest: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        stamp: Callable[[], str] = lambda: time.strftime("%Y-%m-%d %H:%M:%S"),
    ) -> None:
        self.stream = stream
        self.interval = interval
        self.shortest = shortest
        self._clock = clock
        self._stamp = stamp
        self._started = 0.0
        self._last = 0.0
        self._total: int | None = None
        self._tally = Tally()
        self._budget = ""
        self._eta: float | None = None

    def _line(self, text: str) -> None:
        self.stream.write(f"{self._stamp()} {text}\n")
        self.stream.flush()

    def start(self, *, total_rows: int | None, label: str) -> None:
        self._total = total_rows
        self._started = self._last = self._clock()
        about = f" (about {total_rows:,} rows)" if total_rows else ""
        self._line(f"{label}{about}")

    def update(
        self, tally: Tally, budget: str = "", eta: float | None = None, total: int | None = None
    ) -> None:
        self._tally, self._budget, self._eta = tally, budget, eta
        if total is not None:
            self._total = total
        now = self._clock()
        if now - self._last >= self._due(now):
            self._last = now
            self._line(self._describe(now))

    def _due(self, now: float) -> float:
        """Seconds between lines: ``interval``, or a tenth of the run as expected now."""
        if self._eta is None:
            return self.interval
        tenth = (now - self._started + max(0.0, self._eta)) / 10
        return min(self.interval, max(self.shortest, tenth))

    def _describe(self, now: float) -> str:
        t = self._tally
        of = f"/{self._total:,}" if self._total else ""
        elapsed = now - self._started
        rate = format_rate(t.settled / elapsed if elapsed > 0 else None)
        text = (
            f"{t.settled:,}{of} rows done, {rate}, {format_eta(self._eta)}; "
            f"{t.batches:,} batches: {t.created:,} created, {t.restored:,} restored, "
            f"{t.duplicates:,} duplicates, {t.errors:,} errors"
        )
        return f"{text}; budget {self._budget}" if self._budget else text

    def note(self, text: str) -> None:
        self._line(text)

    def stop(self) -> None:
        self._eta = 0.0  # the run is over, whatever the last estimate said
        self._line(self._describe(self._clock()))


class _EtaColumn(ProgressColumn):
    """``ETA h:mm:ss`` counting down between updates: the task holds the clock time the run
    should end (``eta_at``), so the bar stays right while the budget waits for a window."""

    def render(self, task: Task) -> Text:
        at = task.fields.get("eta_at")
        return Text(format_eta(None if at is None else at - task.get_time()))


class RichProgress(Progress):
    """A live rich progress bar on a terminal (written to stderr); ``clock`` is injected in
    tests."""

    def __init__(self, console: Console, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.console = console
        self._clock = clock
        self._bar = RichBar(
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=20),
            TaskProgressColumn(),
            TextColumn("{task.fields[pace]}"),
            _EtaColumn(),
            TextColumn("{task.fields[line]}"),
            console=console,
            transient=False,
            get_time=clock,
        )
        self._task: TaskID | None = None
        self._started = 0.0

    def start(self, *, total_rows: int | None, label: str) -> None:
        self._bar.start()
        self._started = self._clock()
        self._task = self._bar.add_task(
            label, total=total_rows, line="", pace=format_rate(None), eta_at=None
        )

    def update(
        self, tally: Tally, budget: str = "", eta: float | None = None, total: int | None = None
    ) -> None:
        if self._task is None:
            return
        now = self._clock()
        elapsed = now - self._started
        pace = format_rate(tally.settled / elapsed if elapsed > 0 else None)
        eta_at = None if eta is None else now + eta
        parts = [f"{tally.settled:,} rows", f"[green]{tally.created:,}[/] new"]
        if tally.restored:
            parts.append(f"[cyan]{tally.restored:,}[/] restored")
        parts += [f"[yellow]{tally.duplicates:,}[/] dup", f"[red]{tally.errors:,}[/] err"]
        if budget:
            parts.append(f"[dim]{budget}[/]")
        bar_total = self._current().total if total is None else total
        if bar_total is not None and tally.rows_read > bar_total:
            bar_total = tally.rows_read  # the line-count estimate was low (quoted newlines)
        self._bar.update(
            self._task,
            completed=tally.settled,
            total=bar_total,
            line=" · ".join(parts),
            pace=pace,
            eta_at=eta_at,
        )

    def note(self, text: str) -> None:
        self._bar.console.print(f"[dim]{text}[/]", highlight=False)

    def stop(self) -> None:
        if self._task is not None:
            task = self._current()
            self._bar.update(self._task, total=task.completed, eta_at=self._clock())
        self._bar.stop()

    def _current(self) -> Task:
        return next(task for task in self._bar.tasks if task.id == self._task)


class FanOut(Progress):
    """Sends every call to several collectors (the display and a --log-file)."""

    def __init__(self, *collectors: Progress) -> None:
        self.collectors = collectors

    def start(self, *, total_rows: int | None, label: str) -> None:
        for c in self.collectors:
            c.start(total_rows=total_rows, label=label)

    def update(
        self, tally: Tally, budget: str = "", eta: float | None = None, total: int | None = None
    ) -> None:
        for c in self.collectors:
            c.update(tally, budget, eta, total)

    def note(self, text: str) -> None:
        for c in self.collectors:
            c.note(text)

    def stop(self) -> None:
        for c in self.collectors:
            c.stop()
