"""The import pipeline: read -> map -> validate -> dedup -> hygiene -> batch -> send -> report.

:func:`run_import` only wires the stages together (see docs/architecture.md), in four steps:
prepare (open and map every input, :mod:`.input_files`), open (the report's fold, the hygiene
rules, the journal and the display), stream (the local stages of :mod:`.local_stages`, then
:mod:`.live_send` for a live run) and finish (the report, the outputs of :mod:`.run_outputs`,
the journal's end). Each stage's result goes to the report's one fold
(:class:`report.ReportFold`); a failed write goes to the run's :class:`StopSignal`. It knows
nothing of the terminal (progress is a collector it is handed) and returns a
:class:`RunResult` that the CLI renders. Every row read ends in exactly one bucket of the
report, also when the run is stopped by the API or by Ctrl-C: the rows not sent are read to
the end locally and reported as ``notSent`` with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO

from . import reasons
from .errors import STORAGE_EXCEPTIONS, FoxReachImportError, StorageError, storage_error
from .hygiene.stage import load_rules
from .import_config import ImportConfig, reading_record
from .input_files import PreparedFile, prepare_files, refused_note, whole_files
from .local_stages import unique_rows
from .optout_updates import NOT_DONE, WOULD_CHECK
from .outputs import check_outputs, move_done
from .progress import Progress
from .report import FileSummary, ImportReport, ReportFold
from .run_display import RunDisplay
from .run_outputs import write_outputs
from .run_state import RunState
from .stop_signal import StopSignal

if TYPE_CHECKING:
    import httpx

    from .batch import UniqueRows
    from .details import DetailPart
    from .resume import Resume
    from .stage_data import Batch


@dataclass
class RunResult:
    """The report and why the run ended early, if it did."""

    report: ImportReport
    fatal: FoxReachImportError | None = None
    interrupted: bool = False
    moved: list[str] = field(default_factory=list)  # files moved by --move-done
    sent: bool = False  # this run sent requests (a stop or refusal is then exit 7, not 2)
    # Outputs that could not be written besides the one ``fatal`` names (one disk, full).
    also_failed: list[StorageError] = field(default_factory=list)

    @property
    def refused(self) -> list[FileSummary]:
        """The input files that could not be read or mapped (the others were imported)."""
        return [f for f in self.report.files if f.refused]


@dataclass
class _Ending:
    """How the stream ended: what stopped it, whether by Ctrl-C, whether it read everything."""

    fatal: FoxReachImportError | None = None
    interrupted: bool = False
    complete: bool = True


def run_import(
    cfg: ImportConfig,
    *,
    progress: Progress | None = None,
    stdin: BinaryIO | None = None,
    transport: httpx.BaseTransport | None = None,
    on_batch: Callable[[Batch, DetailPart], None] | None = None,
) -> RunResult:
    """Run one import (or dry run) and return its report. ``on_batch(batch, details)`` is
    called with each answered batch and its rows not imported (``import --campaign``).

    Raises ``FoxReachImportError`` for problems found before anything is sent (bad input,
    unwritable outputs); problems met while sending end the run early and come back in
    ``RunResult.fatal`` with every row still accounted for.
    """
    stop = StopSignal()
    try:
        return _run_import(cfg, progress or Progress(), stdin, transport, stop, on_batch)
    except FoxReachImportError as exc:
        # Raised after leads were sent (an output or the journal failing at the end): the
        # CLI must not say "nothing was sent".
        exc.sent = exc.sent or stop.sent
        raise
    except STORAGE_EXCEPTIONS as exc:  # a writer outside the boundary: the same, by name
        error = storage_error(exc, None)
        error.sent = stop.sent
        raise error from exc


def _run_import(
    cfg: ImportConfig,
    progress: Progress,
    stdin: BinaryIO | None,
    transport: httpx.BaseTransport | None,
    stop: StopSignal,
    on_batch: Callable[[Batch, DetailPart], None] | None,
) -> RunResult:
    started = time.monotonic()
    check_outputs(cfg)
    with ExitStack() as stack:
        files, refused = _prepare(cfg, stack, stdin, progress)
        run = _open(cfg, files, refused, stack, progress, stop)
        run.on_batch = on_batch
        ending = _stream(run, files, transport)
        report, done_files = _finish(run, files, ending, time.monotonic() - started)
    moved: list[str] = []
    if cfg.state.move_done and ending.fatal is None and not ending.interrupted and ending.complete:
        moved = move_done(whole_files(done_files, files), cfg.state.move_done)
    return RunResult(
        report=report,
        fatal=ending.fatal,
        interrupted=ending.interrupted,
        moved=moved,
        sent=stop.sent,
        also_failed=stop.also_failed,
    )


def _prepare(
    cfg: ImportConfig, stack: ExitStack, stdin: BinaryIO | None, progress: Progress
) -> tuple[list[PreparedFile], dict[str, str]]:
    """Open and map every input; say which were refused and what the readers decided."""
    files, refused = prepare_files(cfg, stack, stdin)
    for name, reason in refused.items():
        progress.note(refused_note(name, reason))
    for f in files:
        for text in f.source.info.notes:  # the reader's decisions: type by content, formats
            progress.note(text)
    return files, refused


def _open(
    cfg: ImportConfig,
    files: list[PreparedFile],
    refused: dict[str, str],
    stack: ExitStack,
    progress: Progress,
    stop: StopSignal,
) -> RunState:
    """The run's fold, hygiene rules, journal and display, before any row is read."""
    summaries = [f.summary() for f in files]
    summaries += [FileSummary(file=name, refused=reason) for name, reason in refused.items()]
    fold = ReportFold(summaries, dry_run=cfg.dry_run, sandbox=cfg.sandbox)
    # From here on, a failed log write stops sending instead of ending the run.
    watched = type(progress) is not Progress  # a silent run needs no ETA
    display = RunDisplay(stop.guard(progress), fold, cfg.send, watched=watched)
    run = RunState(cfg, fold, display, stop)
    if not cfg.replay:  # runs show reproduces what the journal says, not today's rules
        run.hygiene = load_rules(
            cfg.hygiene, state_dir=cfg.state.state_dir, stack=stack, note=progress.note
        )
    run.resume = _resume(cfg, files, stack, progress)
    if run.resume is not None:
        for info in run.resume.history:
            fold.add(info)
    run.open_opt_outs()
    display.expect([f.source for f in files], limit=cfg.limit, live=cfg.live, stack=stack)
    display.progress.start(
        total_rows=display.total, label="Checking" if cfg.dry_run else "Importing"
    )
    return run


def _stream(
    run: RunState, files: list[PreparedFile], transport: httpx.BaseTransport | None
) -> _Ending:
    """Every row through the local stages, then (a live run) to the API."""
    cfg, ending = run.cfg, _Ending()
    try:
        parts = unique_rows(run, files)
        if cfg.dry_run:
            for _ in parts:
                pass
            run.opt_outs.leave(WOULD_CHECK)
        elif cfg.replay:
            run.not_sent(parts, reasons.UNFINISHED)
        else:
            ending.fatal, ending.interrupted = _send(run, parts, transport)
    except KeyboardInterrupt:
        ending.interrupted, ending.complete = True, False
    finally:
        run.display.progress.stop()
    # Updates the run did not get to (it stopped, or `runs show`): the next run does them.
    run.opt_outs.leave(NOT_DONE, "the run stopped before the lead was updated")
    ending.fatal = run.stop.fatal(ending.fatal, imported=run.imported, journal=run.journal_state())
    # A trial on the first --limit rows has not read the whole file: never mark it finished
    # or move it away.
    ending.complete = ending.complete and not run.truncated
    return ending


def _send(
    run: RunState, parts: Iterator[UniqueRows], transport: httpx.BaseTransport | None
) -> tuple[FoxReachImportError | None, bool]:
    """A live run's SEND (:mod:`.live_send`), then the opt-out updates of leads already in
    the workspace (with the same client and budget, once every batch is answered)."""
    from .live_send import send_rows  # httpx: only a live run loads it

    return send_rows(run, parts, transport)


def _finish(
    run: RunState, files: list[PreparedFile], ending: _Ending, elapsed: float
) -> tuple[ImportReport, list[str]]:
    """The report, then the outputs, then the journal's end: a file is marked finished only
    once its report and rejected rows are safely written, so a rerun can still produce them.
    Each is tried whatever became of the others (a full disk may be another's), and the
    journal still records how the run ended. Returns the report and the files finished."""
    if ending.fatal is not None:
        stopped: str | None = str(ending.fatal)
    else:
        stopped = "interrupted" if ending.interrupted else None
    if run.hygiene is not None:
        run.fold.hygiene = run.hygiene.summary([c for f in files for c in f.verdict_columns()])
    report = run.fold.finish(elapsed=elapsed, stopped_because=stopped, complete=ending.complete)
    failed = write_outputs(run.cfg, report, files)
    done_files: list[str] = []
    if run.resume is not None:
        try:
            done_files = run.resume.finish(
                report,
                ok=ending.fatal is None
                and not failed
                and not ending.interrupted
                and ending.complete,
                interrupted=ending.interrupted or not ending.complete,
            )
        except StorageError as exc:
            run.resume.journal = None
            failed.append(exc)
    if failed and ending.fatal is None:
        ending.fatal = run.stop.fatal(
            failed.pop(0), imported=run.imported, journal=run.journal_state()
        )
    run.stop.also_failed = failed
    return report, done_files


def _resume(
    cfg: ImportConfig, files: list[PreparedFile], stack: ExitStack, progress: Progress
) -> Resume | None:
    """The journal of this run: read only for ``runs show``, kept with ``--resume``.

    Every live run first takes the work locks of its files (:meth:`resume.Work.lock`), with
    or without the journal: two runs never import one file to one workspace at once.
    """
    creds = cfg.credentials
    if creds is None or not (cfg.replay or cfg.live):
        return None  # a dry run: no lock, no journal (nor their modules)
    from .resume import Resume, Work
    from .state.journal import reserve_bytes

    named = [(f.name, f.source.path) for f in files]
    # --sheet all: each sheet of a workbook is its own work (resume.content_hashes).
    sheets = {f.name: f.source.info.sheet or "" for f in files if f.source.info.origin}
    if cfg.replay:
        assert creds.destination
        return Resume.replay(creds.destination, named, cfg.state.state_dir, progress.note, sheets)
    work = Work.identify(creds, named, sheets)
    stack.enter_context(work.lock(cfg.state.state_dir, cfg.state.lock_timeout))
    if not cfg.resume:
        return None
    return Resume.open(
        work,
        cfg.state.state_dir,
        stack,
        lock_timeout=cfg.state.lock_timeout,
        # Room to record the answers of every request in flight once the disk is full.
        reserve_bytes=reserve_bytes(cfg.send.concurrency, cfg.send.batch_size),
        force=cfg.state.force,
        options=reading_record(cfg),
        paths={f.name: f.real_path for f in files},
        note=progress.note,
    )
