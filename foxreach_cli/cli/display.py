"""What a command shows of a run: the progress display, the finished report and the log lines
(shared by ``import`` and ``runs show``)."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from ..outputs import LogFile
from ..progress import FanOut, LogProgress, Progress, RichProgress
from ..render import (
    final_line,
    flagged_lines,
    mapping_notes,
    mapping_warnings,
    one_line,
    opt_out_lines,
    render_report,
)
from .errors import describe, err_console
from .option_groups import View

if TYPE_CHECKING:
    from ..pipeline import RunResult


def show_run(
    result: RunResult,
    view: View,
    *,
    report_path: str | None,
    rejected_path: str | None,
    log: LogFile | None,
) -> None:
    """Show a finished run: the report (rich, one line, or JSON) and the log file's lines.

    The rich report ends with one line: the outcome in words, then where the details are.
    """
    rep = result.report
    errors = [describe(e) for e in [result.fatal, *result.also_failed] if e is not None]
    out = Console(highlight=False, soft_wrap=True)
    if view.json_out:
        # Piece by piece from the detail store: the whole text is never held at once.
        for piece in rep.iter_json():
            sys.stdout.write(piece)
        sys.stdout.write("\n")
    elif view.quiet:
        # A status-like column not used for the status is said even under -q.
        for line in mapping_warnings(rep):
            err_console().print(f"Warning: {line}", markup=False, highlight=False)
        out.print(one_line(rep), markup=False)
    else:
        render_report(out, rep, show_mapping=rep.dry_run or view.verbose)
        out.print(
            final_line(rep, report_path=report_path, rejected_path=rejected_path), markup=False
        )
    if not view.json_out:
        for text in errors:
            err_console().print(f"[red]Error:[/] {escape(text)}")
    # The log last: a log file that cannot be written takes nothing else with it.
    if log is not None:
        for line in (*mapping_notes(rep), *flagged_lines(rep), *opt_out_lines(rep)):
            log_line(log, line)
        log_line(log, one_line(rep))
        for text in errors:
            log_line(log, f"error: {text}")
        for path in result.moved:
            log_line(log, f"moved to {path}")


def log_line(stream: LogFile, text: str) -> None:
    """One timestamped line of the ``--log-file``."""
    stream.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {text}\n")
    stream.flush()


def progress_display(silent: bool, log: LogFile | None) -> Progress:
    """The display: silent, a rich bar on a terminal, or plain lines; plus the log file."""
    if silent:
        progress = Progress()
    elif sys.stderr.isatty():
        progress = RichProgress(err_console())
    else:
        progress = LogProgress(sys.stderr)
    if log is not None:
        # A line every 10 s at most (a tenth of the run when shorter): docs/rate-budget.md.
        progress = FanOut(progress, LogProgress(log, interval=10.0))  # type: ignore[arg-type]
    return progress
