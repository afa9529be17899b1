"""The three displays give the time left in one form, ``ETA h:mm:ss``, with rows/s."""

from __future__ import annotations

import io
from dataclasses import dataclass

from rich.console import Console

from foxreach_cli.progress import FanOut, LogProgress, RichProgress
from foxreach_cli.stage_data import Tally


@dataclass
class Clock:
    now: float = 100.0

    def __call__(self) -> float:
        return self.now


def log_progress(clock: Clock, interval: float = 5.0) -> tuple[LogProgress, io.StringIO]:
    out = io.StringIO()
    return LogProgress(out, interval=interval, clock=clock, stamp=lambda: "STAMP"), out


def test_log_lines_carry_rows_per_second_and_the_eta():
    clock = Clock()
    progress, out = log_progress(clock)
    progress.start(total_rows=150_000, label="Importing")
    clock.now += 4.0
    progress.update(Tally(created=1000), "49/50 req/10s left", eta=60.0)  # within the interval
    clock.now += 1.0
    tally = Tally(rows_read=20_000, valid=19_000, invalid=1000, created=14_000, batches=14)
    progress.update(tally, "0/50 req/10s left, next in 8s", eta=44.2)
    clock.now += 5.0
    progress.update(tally, eta=None)
    clock.now += 2.0
    progress.stop()
    assert out.getvalue().splitlines() == [
        "STAMP Importing (about 150,000 rows)",
        "STAMP 15,000/150,000 rows done, 3,000 rows/s, ETA 0:00:45; 14 batches: 14,000 created, "
        "0 restored, 0 duplicates, 1,000 errors; budget 0/50 req/10s left, next in 8s",
        "STAMP 15,000/150,000 rows done, 1,500 rows/s, ETA -:--:--; 14 batches: 14,000 created, "
        "0 restored, 0 duplicates, 1,000 errors",
        "STAMP 15,000/150,000 rows done, 1,250 rows/s, ETA 0:00:00; 14 batches: 14,000 created, "
        "0 restored, 0 duplicates, 1,000 errors",
    ]


def test_a_log_line_before_any_time_passed_has_no_rate():
    clock = Clock()
    progress, out = log_progress(clock, interval=0.0)
    progress.start(total_rows=None, label="Checking")
    progress.update(Tally(rows_read=10, valid=10, not_sent=10), eta=None)
    assert out.getvalue().splitlines()[1] == (
        "STAMP 10 rows done, - rows/s, ETA -:--:--; 0 batches: 0 created, 0 restored, "
        "0 duplicates, 0 errors"
    )


def rich_line(progress: RichProgress, console: Console) -> str:
    bar = progress._bar
    console.print(bar.make_tasks_table(bar.tasks))
    return console.export_text().strip()


def test_the_rich_bar_counts_the_eta_down_between_updates():
    clock = Clock()
    console = Console(file=io.StringIO(), record=True, width=200, force_terminal=False)
    progress = RichProgress(console, clock=clock)
    progress.start(total_rows=150_000, label="Importing")
    try:
        clock.now += 10.0
        progress.update(Tally(rows_read=30_000, valid=30_000, created=30_000), eta=40.0)
        line = rich_line(progress, console)
        assert "3,000 rows/s ETA 0:00:40" in line
        assert "30,000 rows" in line
        clock.now += 8.0  # no update: the budget waits for the next window
        assert "3,000 rows/s ETA 0:00:32" in rich_line(progress, console)
        clock.now += 60.0  # late: never a negative time
        assert "ETA 0:00:00" in rich_line(progress, console)
    finally:
        progress.stop()


def test_the_rich_bar_without_an_estimate_says_so():
    clock = Clock()
    console = Console(file=io.StringIO(), record=True, width=200, force_terminal=False)
    progress = RichProgress(console, clock=clock)
    progress.start(total_rows=None, label="Importing")
    try:
        assert "- rows/s ETA -:--:--" in rich_line(progress, console)
    finally:
        progress.stop()


def test_fan_out_passes_the_eta_to_every_display():
    clock = Clock()
    first, out1 = log_progress(clock, interval=0.0)
    second, out2 = log_progress(clock, interval=0.0)
    both = FanOut(first, second)
    both.start(total_rows=10, label="Importing")
    clock.now += 1.0
    both.update(Tally(created=5), eta=3725.0)
    for out in (out1, out2):
        assert "5/10 rows done, 5 rows/s, ETA 1:02:05;" in out.getvalue()


def test_a_short_run_logs_every_tenth_of_it_and_the_counted_total_replaces_the_estimate():
    clock = Clock()
    progress, out = log_progress(clock, interval=10.0)
    progress.start(total_rows=4_831, label="Importing")  # a line count: quoted line breaks
    tally = Tally(rows_read=1_000, valid=1_000, created=500, batches=5)
    lines = []
    # A 20 s run: a line every 2 s (a tenth of it), not every 10 s.
    for second, eta in ((1.0, 19.0), (2.0, 18.0), (3.0, 17.0), (4.0, 16.0), (5.5, 14.5)):
        clock.now = 100.0 + second
        progress.update(tally, eta=eta, total=3_000)
        lines.append(len(out.getvalue().splitlines()))
    assert lines == [1, 2, 2, 3, 3]
    assert out.getvalue().splitlines()[1].startswith("STAMP 500/3,000 rows done, 250 rows/s")
    # Never more often than once a second, whatever the run's length.
    clock.now = 106.0
    progress.update(tally, eta=0.5)
    clock.now = 106.9
    progress.update(tally, eta=0.1)
    assert len(out.getvalue().splitlines()) == 4
