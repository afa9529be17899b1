"""Progress display as a pluggable collector: a rich bar, plain log lines, or nothing.

The pipeline only calls the methods of ``Progress``; it never knows whether a terminal is
attached. ``RichProgress`` is for a person at a terminal, ``LogProgress`` for cron (periodic
plain lines, no escape codes), ``Progress`` itself is silent (``--quiet``, ``--json``).
"""

from __future__ import annotations

import time
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichBar

from .models import Tally


class Progress:
    """The silent collector; subclasses draw."""

    def start(self, *, total_rows: int | None, label: str) -> None:
        """A run begins; ``total_rows`` is an estimate (None when unknown)."""

    def update(self, tally: Tally, budget: str = "") -> None:
        """New figures are available: the run's counters and the rate budget in words."""

    def note(self, text: str) -> None:
        """A line worth showing now (a retry, a wait, a stop)."""

    def stop(self) -> None:
        """The run is over; leave the terminal clean."""


class LogProgress(Progress):
    """Plain timestamped lines every ``interval`` seconds: for cron and pipes."""

    def __init__(self, stream: TextIO, *, interval: float = 5.0) -> None:
        self.stream = stream
        self.interval = interval
        self._last = 0.0
        self._label = ""
        self._total: int | None = None
        self._tally = Tally()
        self._budget = ""

    def _line(self, text: str) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        self.stream.write(f"{stamp} {text}\n")
        self.stream.flush()

    def start(self, *, total_rows: int | None, label: str) -> None:
        self._label = label
        self._total = total_rows
        self._last = time.monotonic()
        about = f" (about {total_rows:,} rows)" if total_rows else ""
        self._line(f"{label}{about}")

    def update(self, tally: Tally, budget: str = "") -> None:
        self._tally, self._budget = tally, budget
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self._line(self._describe())

    def _describe(self) -> str:
        t = self._tally
        of = f"/{self._total:,}" if self._total else ""
        text = (
            f"{t.settled:,}{of} rows done, {t.batches:,} batches: {t.created:,} created, "
            f"{t.restored:,} restored, {t.duplicates:,} duplicates, {t.errors:,} errors"
        )
        return f"{text}; budget {self._budget}" if self._budget else text

    def note(self, text: str) -> None:
        self._line(text)

    def stop(self) -> None:
        self._line(self._describe())


class RichProgress(Progress):
    """A live rich progress bar on a terminal (written to stderr)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._bar = RichBar(
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=20),
            TaskProgressColumn(),
            TextColumn("{task.fields[line]}"),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._task: int | None = None

    def start(self, *, total_rows: int | None, label: str) -> None:
        self._bar.start()
        self._task = self._bar.add_task(label, total=total_rows, line="")

    def update(self, tally: Tally, budget: str = "") -> None:
        if self._task is None:
            return
        parts = [f"{tally.settled:,} rows", f"[green]{tally.created:,}[/] new"]
        if tally.restored:
            parts.append(f"[cyan]{tally.restored:,}[/] restored")
        parts += [f"[yellow]{tally.duplicates:,}[/] dup", f"[red]{tally.errors:,}[/] err"]
        if budget:
            parts.append(f"[dim]{budget}[/]")
        total = self._bar.tasks[self._task].total
        if total is not None and tally.rows_read > total:
            total = tally.rows_read  # the line-count estimate was low (quoted newlines)
        self._bar.update(self._task, completed=tally.settled, total=total, line=" · ".join(parts))

    def note(self, text: str) -> None:
        self._bar.console.print(f"[dim]{text}[/]", highlight=False)

    def stop(self) -> None:
        if self._task is not None:
            task = self._bar.tasks[self._task]
            self._bar.update(self._task, total=task.completed)
        self._bar.stop()


class FanOut(Progress):
    """Sends every call to several collectors (the display and a --log-file)."""

    def __init__(self, *collectors: Progress) -> None:
        self.collectors = collectors

    def start(self, *, total_rows: int | None, label: str) -> None:
        for c in self.collectors:
            c.start(total_rows=total_rows, label=label)

    def update(self, tally: Tally, budget: str = "") -> None:
        for c in self.collectors:
            c.update(tally, budget)

    def note(self, text: str) -> None:
        for c in self.collectors:
            c.note(text)

    def stop(self) -> None:
        for c in self.collectors:
            c.stop()
