"""The import pipeline: read -> map -> validate -> dedup -> batch -> send -> report.

:func:`run_import` only wires the stages together (see docs/architecture.md). It knows nothing
of the terminal (progress is a collector it is handed) and returns a :class:`RunResult` that
the CLI renders. Every row read ends in exactly one bucket of the report, also when the run is
stopped by the API or by Ctrl-C: the rows not sent are read to the end locally and reported as
``notSent`` with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import BinaryIO

import httpx
import numpy as np

from .batch import Batcher, UniqueRows
from .client import FoxReachClient
from .config import ImportConfig, reading_record
from .credentials import Credentials
from .dedup import Deduper
from .errors import FoxReachImportError, InputError, StorageError, UsageError
from .eta import Eta
from .mapping import Mapping, build_mapping, mapping_rows
from .mapping_file import check_drift, load_mapping_file
from .models import DUPLICATE, INVALID, NOT_SENT, Batch, BatchResult, Chunk, Tally
from .outputs import (
    check_dir_writable,
    check_file_writable,
    move_done,
    write_rejected_csv,
    write_report,
)
from .progress import Progress
from .rate_budget import Budget, RateBudget
from .read import Source, estimate_data_rows, expand_inputs, read_rows
from .readers.base import display_name
from .reconcile import reconcile
from .report import FileSummary, ImportReport, ReportBuilder
from .send import RequestFinished, RequestStarted, Sender, SendPolicy
from .state.journal import (
    FINISHED,
    INTERRUPTED,
    REPRODUCED,
    STOPPED,
    FileHistory,
    Journal,
    destination_id,
    file_hash,
    key_fingerprint,
)
from .state.locks import WorkLocks
from .state.shared_rate_budget import SharedBudget
from .validate import validate_chunk

REPLAY_NOT_SENT_REASON = (
    "not sent yet: the import of this file has not finished (foxreach import resumes it)"
)
DRY_RUN_CHUNK_ROWS = 50_000
LIVE_CHUNK_ROWS = 10_000


@dataclass
class RunResult:
    """The report and why the run ended early, if it did."""

    report: ImportReport
    fatal: FoxReachImportError | None = None
    interrupted: bool = False
    moved: list[str] = field(default_factory=list)  # files moved by --move-done

    @property
    def refused(self) -> list[FileSummary]:
        """The input files that could not be read or mapped (the others were imported)."""
        return [f for f in self.report.files if f.refused]


@dataclass
class PreparedFile:
    """An opened input and the mapping it will be read with."""

    source: Source
    mapping: Mapping

    @property
    def name(self) -> str:
        """The file as the user named it ('-' for stdin)."""
        return self.source.info.file


def check_outputs(cfg: ImportConfig) -> None:
    """Prove every path the run will write can be written, before anything is read or sent."""
    for path, option in ((cfg.report_path, "report_path"), (cfg.rejected_path, "rejected_path")):
        if path is not None:
            check_file_writable(path, option=option)
    if cfg.move_done is not None:
        check_dir_writable(cfg.move_done, option="move_done")
    if cfg.live:
        check_dir_writable(cfg.state_dir, option="state_dir", private=True)


def prepare_files(
    cfg: ImportConfig, stack: ExitStack, stdin: BinaryIO | None
) -> tuple[list[PreparedFile], dict[str, str]]:
    """Open every input and build its mapping, before anything is sent.

    Returns the files to import and the ones refused, with the reason. A single file that
    cannot be read or mapped stops the run here (nothing reaches the API); in a folder or a
    list of files it is refused, and the others are imported.
    """
    opts = cfg.read
    saved = load_mapping_file(opts.mapping_file) if opts.mapping_file else None
    paths = expand_inputs(cfg.files)
    several = len(paths) > 1 or any(f != "-" and Path(f).is_dir() for f in cfg.files)
    prepared: list[PreparedFile] = []
    refused: dict[str, str] = {}
    for path in paths:
        try:
            source = opts.open(
                path,
                stdin=stdin,
                # A live import is paced by the API: small chunks get the first request out
                # sooner; a dry run is paced by the CPU: large chunks amortise per-chunk work.
                chunk_rows=DRY_RUN_CHUNK_ROWS if cfg.dry_run else LIVE_CHUNK_ROWS,
            )
        except InputError as exc:
            if not several:
                raise
            refused[path] = str(exc)
            continue
        stack.enter_context(source)
        try:
            if saved is not None:
                check_drift(saved, source.info, allow_new_columns=cfg.allow_new_columns)
            mapping = build_mapping(
                source.info, overrides=opts.maps, mapping_file=saved, unmapped=opts.unmapped
            )
        except (InputError, UsageError) as exc:
            if not several:
                raise
            refused[path] = exc.describe()
            continue
        prepared.append(PreparedFile(source, mapping))
    return prepared, refused


class _Run:
    """One run's moving parts: the report builder (with the one set of counters), the
    progress display with its ETA, and the journal when the run keeps one."""

    def __init__(self, cfg: ImportConfig, progress: Progress) -> None:
        self.cfg = cfg
        self.progress = progress
        self.builder = ReportBuilder(dry_run=cfg.dry_run, sandbox=cfg.sandbox)
        self.budget: Budget | None = None  # set once sending starts: it paces the ETA
        self.total: int | None = None  # the rows the display expects (None: unknown)
        self.eta = Eta(
            batch_size=cfg.batch_size, concurrency=cfg.concurrency, window=cfg.rate_window
        )
        self._watched = type(progress) is not Progress  # a silent run needs no ETA
        self.settled: dict[str, np.ndarray] = {}  # rows answered in earlier runs, per file
        self.journal: Journal | None = None
        self.destination = ""
        self.hashes: dict[str, str] = {}  # file -> content hash
        self.sender: Sender | None = None
        self.storage_failure: StorageError | None = None
        self.truncated = False  # --limit stopped reading before the end of the input
        self.imported_at: dict[str, str] = {}  # files imported fully before: when
        self.run_ids: dict[str, int] = {}  # file -> its run's id in the journal
        self._journal_ids: dict[int, int] = {}  # batch seq -> journal batch id

    def show(self) -> None:
        """Refresh the progress display from the counters (the budget's state and the ETA
        only when someone watches: the shared budget's snapshot reads its file)."""
        tally = self.builder.tally
        if not self._watched:
            self.progress.update(tally)
            return
        total = None if self.total is None else max(self.total, tally.rows_read)
        if self.budget is None:  # not sending (yet, or a dry run): the ETA from the rate
            self.progress.update(tally, "", self.eta.by_rate(tally.settled, total))
            return
        snapshot = self.budget.snapshot()
        self.progress.update(tally, snapshot.describe(), self.eta.live(tally, total, snapshot))

    def unique_rows(self, files: list[PreparedFile]) -> Iterator[UniqueRows]:
        """Read, validate and dedup every file; yield each chunk's unique valid rows."""
        cfg, b = self.cfg, self.builder
        deduper = Deduper()
        left = cfg.limit
        for prepared in files:
            for chunk in prepared.source.chunks():
                if left is not None:
                    if left <= 0:
                        self.truncated = True
                        self.total = b.tally.rows_read
                        return
                    if len(chunk.frame) > left:
                        self.truncated = True
                        chunk = Chunk(chunk.file, chunk.frame.iloc[:left], chunk.rows[:left])
                    left -= len(chunk.frame)
                b.add_read(chunk.file, len(chunk.frame))
                checked = validate_chunk(chunk, prepared.mapping, cfg.defaults)
                b.add_local(chunk.file, checked.invalid, INVALID)
                unique, duplicates = deduper.split(checked)
                b.add_local(chunk.file, duplicates, DUPLICATE)
                b.add_valid(chunk.file, len(unique))
                settled = self.settled.get(chunk.file)
                if settled is not None and len(settled):
                    unique = unique[~unique["row"].isin(settled)]
                if cfg.dry_run:
                    b.add_unsent_valid(chunk.file, len(unique))
                self.show()
                yield UniqueRows(chunk.file, checked.cells, unique)
        # Every row is read: the count replaces the estimate (a line count, off by a few rows
        # in either direction), so the ETA counts no phantom batch.
        self.total = b.tally.rows_read

    def journaled(self, batches: Iterator[Batch]) -> Iterator[Batch]:
        """Record each batch in the journal before it is handed to the sender."""
        for batch in batches:
            if self.journal is not None:
                try:
                    self._journal_ids[batch.seq] = self.journal.batch_sent(
                        self.destination, self.hashes[batch.files[0]], batch.rows
                    )
                except StorageError as exc:
                    # Nothing may be sent that the journal does not know of: stop, and
                    # account for this batch and the rest as not sent.
                    self._storage_failed(exc)
                    self.on_result(batch, _all_not_sent(batch, f"not sent: {exc}"))
                    return
            yield batch

    def on_result(self, batch: Batch, result: BatchResult) -> None:
        """Merge one batch's answer, journal it, and refresh the display."""
        b = self.builder
        file = batch.files[0]  # a batch holds one file's rows
        b.add_requests(file, result.requests, result.retries, result.rate_limited)
        outcome = reconcile(batch, result, uncertain=b.uncertain)
        b.add_reconciled(file, outcome)
        self.eta.merged(batch.seq)
        journal_id = self._journal_ids.pop(batch.seq, None)
        if self.journal is not None and journal_id is not None:
            try:
                self.journal.batch_done(journal_id, outcome.outcome)
            except StorageError as exc:
                self._storage_failed(exc)
        self.show()

    def not_sent(self, parts: Iterator[UniqueRows], reason: str) -> None:
        """Account for rows that will not be sent."""
        for part in parts:
            self.builder.add_not_sent_frame(part.file, part.rows[["row", "email"]], reason)
            self.show()

    def _storage_failed(self, exc: StorageError) -> None:
        """The journal cannot be written: stop sending (requests in flight finish)."""
        if self.storage_failure is None:
            self.storage_failure = exc
        self.journal = None
        if self.sender is not None:
            self.sender.stop(exc, f"not sent: the run stopped ({exc})")


def _all_not_sent(batch: Batch, reason: str) -> BatchResult:
    return BatchResult(not_sent=dict.fromkeys(range(len(batch)), reason))


def run_import(
    cfg: ImportConfig,
    *,
    progress: Progress | None = None,
    stdin: BinaryIO | None = None,
    transport: httpx.BaseTransport | None = None,
) -> RunResult:
    """Run one import (or dry run) and return its report.

    Raises ``FoxReachImportError`` for problems found before anything is sent (bad input,
    unwritable outputs); problems met while sending end the run early and come back in
    ``RunResult.fatal`` with every row still accounted for.
    """
    progress = progress or Progress()
    started = time.monotonic()
    check_outputs(cfg)
    run = _Run(cfg, progress)
    fatal: FoxReachImportError | None = None
    interrupted = False
    complete = True
    done_files: list[str] = []
    with ExitStack() as stack:
        files, refused = prepare_files(cfg, stack, stdin)
        for name, reason in refused.items():
            progress.note(f"{display_name(name)} refused: {reason}")
        for f in files:
            info = f.source.info
            for text in info.notes:  # the reader's decisions: type by content, formats
                progress.note(text)
            run.builder.add_file(
                FileSummary(
                    file=info.file,
                    format=info.format,
                    encoding=info.encoding,
                    delimiter=info.delimiter,
                    sheet=info.sheet,
                    mapping=mapping_rows(f.mapping),
                    header_row=info.header_row,
                )
            )
        for name, reason in refused.items():
            run.builder.add_file(FileSummary(file=name, refused=reason))
        if cfg.replay:
            _replay_journal(cfg, run, files)
        elif cfg.resume and cfg.credentials is not None:
            _open_journal(cfg, cfg.credentials, run, files, stack)
        for summary in run.builder.files:
            summary.imported_at = run.imported_at.get(summary.file)
        if cfg.limit is not None:
            total: int | None = cfg.limit
        elif type(progress) is Progress:
            total = None  # nobody watches: don't read the files an extra time to count rows
        else:
            total = estimate_data_rows([f.source for f in files])
        run.total = total
        progress.start(total_rows=total, label="Checking" if cfg.dry_run else "Importing")
        try:
            parts = run.unique_rows(files)
            if cfg.dry_run:
                for _ in parts:
                    pass
            elif cfg.replay:
                run.not_sent(parts, REPLAY_NOT_SENT_REASON)
            else:
                fatal, interrupted = _send(cfg, run, parts, transport)
        except KeyboardInterrupt:
            interrupted, complete = True, False
        finally:
            progress.stop()
        # A trial on the first --limit rows has not read the whole file: never mark it
        # finished or move it away.
        complete = complete and not run.truncated
        stopped = None
        if fatal is not None:
            stopped = str(fatal)
        elif interrupted:
            stopped = "interrupted"
        report = run.builder.finish(
            elapsed=time.monotonic() - started, stopped_because=stopped, complete=complete
        )
        # Outputs first, then the journal: a file is marked finished only once its report
        # and rejected rows are safely written, so a rerun can still produce them.
        if cfg.report_path:
            write_report(cfg.report_path, report)
        if cfg.rejected_path:
            write_rejected_csv(
                cfg.rejected_path,
                report,
                [(f.name, f.source.info.headers, partial(read_rows, f.source)) for f in files],
            )
        if run.journal is not None:
            done_files = _record_runs(
                run,
                files,
                report,
                ok=fatal is None and not interrupted and complete,
                interrupted=interrupted or not complete,
            )
    moved: list[str] = []
    if cfg.move_done and fatal is None and not interrupted and complete:
        moved = move_done(done_files, cfg.move_done)
    return RunResult(report=report, fatal=fatal, interrupted=interrupted, moved=moved)


def _open_journal(
    cfg: ImportConfig,
    creds: Credentials,
    run: _Run,
    files: list[PreparedFile],
    stack: ExitStack,
) -> None:
    """Lock this run's work, open the journal, merge what earlier runs did, and record the
    run of each file.

    A file imported fully before is not sent again: its answers come from the journal and its
    local rejections from reading it again, so its report is reproduced as it was.
    """
    assert creds.api_key
    run.destination = creds.destination or destination_id(creds.base_url, creds.api_key)
    for f in files:
        run.hashes[f.name] = file_hash(f.source.path)
    names = {f"{run.destination}|{h}": name for name, h in run.hashes.items()}
    stack.enter_context(
        WorkLocks(
            cfg.state_dir, sorted(names), timeout=cfg.lock_timeout, describe=names.__getitem__
        )
    )
    journal = run.journal = stack.enter_context(Journal(cfg.state_dir))
    options = reading_record(cfg)
    for f in files:
        digest = run.hashes[f.name]
        if cfg.force:
            journal.forget_file(run.destination, digest)
        _merge_history(run, f, journal.history(run.destination, digest))
        if f.name not in run.imported_at:
            journal.start_file(run.destination, digest, f.name)
        path = None if f.name == "-" else str(Path(f.name).resolve())
        run.run_ids[f.name] = journal.run_started(run.destination, digest, f.name, path, options)


def _replay_journal(cfg: ImportConfig, run: _Run, files: list[PreparedFile]) -> None:
    """Merge what the journal knows of each file, reading it only (``foxreach runs show``)."""
    assert cfg.credentials is not None and cfg.credentials.destination
    run.destination = cfg.credentials.destination
    journal = Journal.read_only(cfg.state_dir)
    if journal is None:
        raise UsageError(f"{cfg.state_dir} holds no import history.", option="state_dir")
    with journal:
        for f in files:
            run.hashes[f.name] = file_hash(f.source.path)
            _merge_history(run, f, journal.history(run.destination, run.hashes[f.name]))


def _merge_history(run: _Run, f: PreparedFile, history: FileHistory) -> None:
    """Take what earlier runs did to a file into this run's report: a resume, or, for a file
    imported fully before, a reproduction of its report (nothing of it is sent again)."""
    if history.done:
        when = datetime.fromtimestamp(history.finished_at or 0).astimezone()
        run.imported_at[f.name] = when.isoformat(timespec="seconds")
        run.progress.note(
            f"{f.name}: imported on {when:%Y-%m-%d %H:%M}; nothing sent, its report is "
            "reproduced (--force imports it again)."
        )
        summary = history.summary
        run.builder.add_requests(
            f.name,
            summary.get("requests", 0),
            summary.get("retries", 0),
            summary.get("rateLimited", 0),
            batches=summary.get("batches", 0),
        )
    for outcome in history.answered:
        run.builder.add_previous(f.name, outcome.counts, outcome.rows, reproduced=history.done)
    run.builder.uncertain.update((f.name, r) for r in history.uncertain)
    run.settled[f.name] = history.settled


def _record_runs(
    run: _Run, files: list[PreparedFile], report: ImportReport, *, ok: bool, interrupted: bool
) -> list[str]:
    """Mark the files whose every row is accounted for finished, and record how the run of
    each file ended; returns the finished files."""
    assert run.journal is not None
    unfinished = set(report.details.loc[report.details["kind"] == NOT_SENT, "file"])
    done = []
    for f in files:
        summary = _file_summary(run.builder.by_file[f.name])
        digest = run.hashes[f.name]
        if ok and f.name not in unfinished:
            if f.name in run.imported_at:
                status = REPRODUCED
            else:
                run.journal.finish_file(run.destination, digest, summary)
                status = FINISHED
            done.append(f.name)
        else:
            status = INTERRUPTED if interrupted else STOPPED
        run.journal.run_ended(run.run_ids[f.name], status, summary)
    return done


def _file_summary(tally: Tally) -> dict[str, int]:
    """One file's counts, as the journal keeps them and ``foxreach runs`` shows them."""
    return {
        "rowsRead": tally.rows_read,
        "created": tally.created,
        "restored": tally.restored,
        "duplicates": tally.duplicates,
        "errors": tally.errors,
        "notSent": tally.not_sent,
        "requests": tally.requests,
        "retries": tally.retries,
        "rateLimited": tally.rate_limited,
        "batches": tally.batches,
    }


def _send(
    cfg: ImportConfig,
    run: _Run,
    parts: Iterator[UniqueRows],
    transport: httpx.BaseTransport | None,
) -> tuple[FoxReachImportError | None, bool]:
    """Stream batches to the API; on an early stop, account for the rest as not sent."""
    creds = cfg.credentials
    assert creds is not None and creds.api_key, "a live run's config carries credentials"
    batcher = Batcher(parts, cfg.batch_size)
    # One budget per key on this machine: concurrent runs share it through the state directory.
    budget = SharedBudget(
        RateBudget(limit=cfg.rate_limit, window=cfg.rate_window),
        cfg.state_dir,
        key_fingerprint(creds.api_key),
        limit=cfg.rate_limit,
        window=cfg.rate_window,
    )
    run.budget = budget
    policy = SendPolicy(
        restore=cfg.restore, concurrency=cfg.concurrency, max_retries=cfg.max_retries
    )
    with FoxReachClient(
        creds.base_url,
        creds.api_key,
        timeout=cfg.timeout,
        transport=transport,
        # A request must never wait for a connection after it took its rate slot.
        max_connections=cfg.concurrency,
    ) as client:
        sender = run.sender = Sender(client, budget, policy, on_event=partial(_on_event, run))
        outcome = sender.run(run.journaled(iter(batcher)), run.on_result)
    fatal = outcome.fatal or run.storage_failure
    if fatal is None and not outcome.interrupted:
        return None, False
    reason = (
        "not sent: interrupted (Ctrl-C)"
        if outcome.interrupted
        else f"not sent: the run stopped ({fatal})"
    )
    run.not_sent(batcher.drain(), reason)
    return fatal, outcome.interrupted


def _on_event(run: _Run, event: object) -> None:
    """Turn a sender event into a progress note and the ETA's measures."""
    if isinstance(event, RequestStarted):
        run.eta.started(event.seq)
    elif isinstance(event, RequestFinished):
        run.eta.answered(event.seconds if event.status is not None else None)
    text = getattr(event, "message", None)
    if text:
        run.progress.note(str(text))
