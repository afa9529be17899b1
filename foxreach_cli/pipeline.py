"""The import pipeline: read -> map -> validate -> dedup -> hygiene -> batch -> send -> report.

:func:`run_import` wires the stages together (see docs/architecture.md): each stage's result
goes to the report's one fold (:class:`report.ReportFold`); the journal is
:mod:`foxreach_cli.resume`'s. It knows nothing of the terminal (progress is a collector it is
handed) and returns a :class:`RunResult` that the CLI renders. Every row read ends in exactly
one bucket of the report, also when the run is stopped by the API or by Ctrl-C: the rows not
sent are read to the end locally and reported as ``notSent`` with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import httpx
import numpy as np
import pandas as pd

from . import reasons
from .batch import Batcher, UniqueRows
from .client import FoxReachClient
from .dedup import Deduper, no_duplicates
from .details import DISPOSABLE, ROLE, DetailPart
from .errors import (
    STORAGE_EXCEPTIONS,
    FoxReachImportError,
    InputError,
    StorageError,
    UsageError,
    storage_error,
)
from .eta import Eta
from .hygiene.suppression import SuppressionList, load_default_list, load_list
from .import_config import ImportConfig, reading_record
from .mapping import Mapping, MappingFile, build_mapping, mapping_rows
from .mapping_file import check_drift, load_mapping_file
from .optout_updates import NOT_DONE, WOULD_CHECK, OptOutStage
from .outputs import check_outputs, move_done, write_rejected_csv, write_report
from .progress import Progress
from .rate_budget import Budget, RateBudget
from .read import Limited, Source, estimate_data_rows, expand_inputs, read_rows
from .readers.base import display_name
from .reasons import ReasonCode, Rejection
from .reconcile import reconcile
from .rejected_file import adopt_rejected_file, write_rejected_mapping
from .report import (
    DedupInfo,
    FileSummary,
    HygieneInfo,
    HygieneSummary,
    ImportReport,
    ReadInfo,
    ReportFold,
    SendInfo,
    UnsentInfo,
    ValidateInfo,
)
from .resume import Resume, Work
from .row_count import RowCounter
from .send import RequestFinished, RequestStarted, Sender
from .stage_data import (
    DUPLICATE,
    EXCLUDED,
    INVALID,
    NOT_SENT,
    Batch,
    BatchResult,
    SourceInfo,
    Tally,
)
from .state.journal import key_fingerprint, reserve_bytes
from .state.shared_rate_budget import SharedBudget
from .validate import validate_chunk

if TYPE_CHECKING:
    from .hygiene.check import Hygiene

DRY_RUN_CHUNK_ROWS = 50_000
LIVE_CHUNK_ROWS = 10_000
TICK_SECONDS = 0.2  # the display's refresh while a live run waits (the log's cadence)


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
class PreparedFile:
    """An opened input and the mapping it will be read with."""

    source: Source
    mapping: Mapping

    @property
    def name(self) -> str:
        """The file as the user named it ('-' for stdin)."""
        return self.source.info.file


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
    refused: dict[str, str] = {}
    paths = expand_inputs(cfg.files, refused)
    several = len(paths) > 1 or any(f != "-" and Path(f).is_dir() for f in cfg.files)
    prepared: list[PreparedFile] = []
    for path in paths:
        try:
            sources = opts.open_all(
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
        # --sheet all: each sheet of leads is an input of its own. The first source owns a
        # temporary copy of stdin: entered first, it is closed last.
        for source in sources:
            stack.enter_context(source)
        several = several or len(sources) > 1
        for source in sources:
            prepared += _prepare(source, saved, cfg, several, refused)
    return prepared, refused


def _prepare(
    source: Source,
    saved: MappingFile | None,
    cfg: ImportConfig,
    several: bool,
    refused: dict[str, str],
) -> list[PreparedFile]:
    """One opened input with its mapping; refused (in ``refused``) when it cannot be mapped
    and the run has other inputs, else the error stops the run."""
    opts = cfg.read
    try:
        # A file of rejected rows is read with the mapping saved beside it.
        source, used = adopt_rejected_file(source, saved)
        if used is not None:
            check_drift(used, source.info, allow_new_columns=cfg.allow_new_columns)
        mapping = build_mapping(
            source.info,
            overrides=opts.maps,
            mapping_file=used,
            unmapped=opts.unmapped,
            consent_required=opts.consent_required,
        )
    except (InputError, UsageError) as exc:
        if not several:
            raise
        refused[source.info.file] = exc.describe()
        return []
    return [PreparedFile(source, mapping)]


@dataclass
class _Sending:
    """Whether a request of this run reached (or may have reached) the API; known to
    :func:`run_import` even when the run ends in an exception."""

    sent: bool = False


class _Run:
    """One run's moving parts: the report's fold (with the run's counters), the progress
    display with its ETA, and the journal when the run keeps one."""

    def __init__(
        self, cfg: ImportConfig, progress: Progress, fold: ReportFold, sending: _Sending
    ) -> None:
        self.cfg = cfg
        self.sending = sending
        self.fold = fold
        self.budget: Budget | None = None  # set once sending starts: it paces the ETA
        self.total: int | None = None  # the rows the display expects (None: unknown)
        self.counter: RowCounter | None = None  # counts the rows exactly (a live run)
        self._shown = 0.0  # when the display was last refreshed (monotonic)
        self.eta = Eta(
            batch_size=cfg.send.batch_size,
            concurrency=cfg.send.concurrency,
            window=cfg.send.rate_window,
        )
        self._watched = type(progress) is not Progress  # a silent run needs no ETA
        # A --log-file that cannot be written is a failed write like any other: stop sending.
        self.progress = _GuardedProgress(progress, self.storage_failed)
        self.imported = 0  # leads this run's answers created or restored
        self.resume: Resume | None = None
        self.sender: Sender | None = None
        self.storage_failure: StorageError | None = None
        self.truncated = False  # --limit stopped reading before the end of the input
        self.on_batch: Callable[[Batch, DetailPart], None] | None = None  # import --campaign
        self.hygiene: Hygiene | None = None  # set before reading (None only for `runs show`)
        # With the journal once it is open (open_opt_outs).
        self.opt_outs = OptOutStage(fold.add, note=self.progress.note)

    def open_opt_outs(self) -> None:
        """The opt-out updates stage with the journal: what earlier runs did and left."""
        resume = self.resume
        if resume is None:
            return
        for done in resume.opt_out_history:
            self.fold.add(done)
        self.opt_outs = OptOutStage(
            self.fold.add,
            journal=resume if resume.journal is not None else None,
            done=resume.opt_outs_done,
            pending=resume.opt_outs_pending,
            on_storage_failure=self.storage_failed,
            note=self.progress.note,
        )

    def show(self) -> None:
        """Refresh the progress display from the counters (the budget's state and the ETA
        only when someone watches: the shared budget's snapshot reads its file)."""
        tally = self.fold.tally
        if not self._watched:
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
        if self._watched and time.monotonic() - self._shown >= TICK_SECONDS:
            self.show()

    def unique_rows(self, files: list[PreparedFile]) -> Iterator[UniqueRows]:
        """Read, validate and dedup every file; yield each chunk's unique valid rows."""
        cfg, fold = self.cfg, self.fold
        # Closed as soon as the input is read (or the run ends): its spill file in TMPDIR
        # is freed at once, and a small TMPDIR can be unmounted after a run in-process.
        with Deduper() as deduper:
            chunks = Limited([f.source for f in files], cfg.limit)
            settled = self.resume.settled if self.resume is not None else {}
            for n, chunk in chunks:
                file = chunk.file
                fold.add(ReadInfo(file, len(chunk.frame)))
                checked = validate_chunk(chunk, files[n].mapping, cfg.defaults)
                invalid = DetailPart.of_frame(file, checked.invalid, INVALID)
                fold.add(
                    ValidateInfo(
                        file,
                        invalid,
                        checked.email_from,
                        checked.opt_outs_found,
                        checked.consent_no,
                    )
                )
                unique, duplicates = checked.valid, no_duplicates()
                if self.storage_failure is None:
                    try:
                        unique, duplicates = deduper.split(checked)
                    except StorageError as exc:  # its spill file: TMPDIR is full
                        self.storage_failed(exc)
                fold.add(
                    DedupInfo(file, len(unique), DetailPart.of_frame(file, duplicates, DUPLICATE))
                )
                self.opt_outs.carried(file, duplicates)
                done = settled.get(file)
                if done is not None and len(done):
                    unique = unique[~unique["row"].isin(done)]
                if self.hygiene is not None and len(unique) and self.storage_failure is None:
                    unique = self.check_hygiene(file, files[n].mapping, checked.cells.frame, unique)
                if self.storage_failure is not None and not cfg.dry_run:
                    # A write failed: nothing more is sent, and rows are no longer deduped (the
                    # spill may be what failed). The rest is read to the end and reported as not
                    # sent, so every row read is still accounted for.
                    why = ReasonCode.NOT_SENT_STOPPED.of(self.storage_failure)
                    self.not_sent(iter([UniqueRows(file, checked.cells, unique)]), why)
                    continue
                if cfg.dry_run:
                    fold.add(UnsentInfo(file, len(unique)))
                self.show()
                yield UniqueRows(file, checked.cells, unique)
        self.truncated = chunks.truncated
        # Every row is read (or --limit's): the count replaces the estimate (a line count, off
        # by a few rows in either direction), so the ETA counts no phantom batch.
        self.total = fold.tally.rows_read

    def check_hygiene(
        self, file: str, mapping: Mapping, cells: pd.DataFrame, unique: pd.DataFrame
    ) -> pd.DataFrame:
        """Apply the hygiene rules to a chunk's unique valid rows: account for (and journal)
        the rows left out, name the role and disposable addresses kept, and return the rest.

        After dedup on purpose: an excluded address still counts as seen, so a second copy of
        it is a duplicate of the first (not imported either) and each row has one reason."""
        assert self.hygiene is not None
        emails = unique["email"].to_numpy(dtype=object)
        pos = unique["pos"].to_numpy()
        verdicts = [(v, cells[v.key].to_numpy(dtype=object)[pos]) for v in mapping.verdicts]
        found = self.hygiene.check(emails, verdicts=verdicts)
        rows = unique["row"].to_numpy()
        out = found.excluded
        hit = np.flatnonzero(out)
        why = [e for e in found.exclusions if e]
        excluded = DetailPart.of_reasons(
            file, rows[hit], emails[hit].tolist(), [EXCLUDED] * len(hit), why
        )
        flagged = None
        role = np.flatnonzero((found.role != "") & ~out)
        disposable = np.flatnonzero((found.disposable != "") & ~out)
        if len(role) or len(disposable):
            flags = [(i, ROLE, ReasonCode.ROLE_ADDRESS, found.role[i]) for i in role]
            disposable_code = ReasonCode.DISPOSABLE_DOMAIN
            flags += [(i, DISPOSABLE, disposable_code, found.disposable[i]) for i in disposable]
            flagged = DetailPart.of(
                file,
                rows[[f[0] for f in flags]],
                emails[[f[0] for f in flags]].tolist(),
                [f[1] for f in flags],
                [f[2] for f in flags],
                [str(f[3]) for f in flags],
            )
        self.fold.add(HygieneInfo(file, excluded, flagged))
        if self.resume is not None and len(excluded):
            try:
                self.resume.excluded(file, excluded)
            except StorageError as exc:
                self.storage_failed(exc)
        return unique[~out] if len(hit) else unique

    def on_result(self, batch: Batch, result: BatchResult) -> None:
        """Merge one batch's answer, journal it, and refresh the display."""
        self.sending.sent = self.sending.sent or result.requests > 0
        uncertain = self.resume.uncertain if self.resume is not None else set()
        outcome = reconcile(batch, result, uncertain=uncertain)
        self.fold.add(
            SendInfo(batch.files[0], result.requests, result.retries, result.rate_limited, outcome)
        )
        self.eta.merged(batch.seq)
        self.imported += outcome.counts.created + outcome.counts.restored
        self.opt_outs.answered(batch, outcome.outcome)  # journaled before the answer
        if self.on_batch is not None:
            self.on_batch(batch, outcome.details)
        if self.resume is not None:
            try:
                self.resume.answered(batch, outcome.outcome)
            except StorageError as exc:
                self.storage_failed(exc)
            else:
                if self.resume.short_of_room is not None:  # recorded on the reserve's room
                    self.storage_failed(self.resume.short_of_room)
        self.show()

    def not_sent(self, parts: Iterator[UniqueRows], reason: Rejection) -> None:
        """Account for rows that will not be sent."""
        for part in parts:
            rows = part.rows
            details = DetailPart.of(
                part.file,
                rows["row"].to_numpy(),
                rows["email"].fillna("").astype(str).tolist(),
                NOT_SENT,
                reason.code,
                reason.packed(),
            )
            self.fold.add(UnsentInfo(part.file, len(details), details))
            self.show()

    def journal_failed(self, batch: Batch, exc: StorageError) -> None:
        """The journal could not record a batch: stop, and account for it as not sent."""
        self.storage_failed(exc)
        why = ReasonCode.NOT_SENT_ERROR.of(exc)
        self.on_result(batch, BatchResult(not_sent=dict.fromkeys(range(len(batch)), why)))

    def storage_failed(self, exc: StorageError) -> None:
        """A write failed (the journal, TMPDIR, the log, ...): stop sending; requests in
        flight finish and their answers are still merged and journaled."""
        if self.storage_failure is not None:
            return  # stopping already (and the stop's own note may be what failed)
        self.storage_failure = exc
        if self.sender is not None:
            self.sender.stop(exc, ReasonCode.NOT_SENT_STOPPED.of(exc))

    def journal_state(self) -> str:
        """'kept' when the journal recorded every answer of this run (a rerun then sends
        nothing twice), 'lost' when a write of it failed, 'none' without one."""
        if self.resume is None:
            return "none"
        return "kept" if self.resume.journal is not None else "lost"


class _GuardedProgress(Progress):
    """The run's progress display, whose writes (a ``--log-file``) may fail: a failure goes
    to ``on_failure`` instead of ending the run with answers not merged."""

    def __init__(self, inner: Progress, on_failure: Callable[[StorageError], None]) -> None:
        self.inner = inner
        self._on_failure = on_failure

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except StorageError as exc:
            self._on_failure(exc)

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
    sending = _Sending()
    try:
        return _run_import(cfg, progress or Progress(), stdin, transport, sending, on_batch)
    except FoxReachImportError as exc:
        # Raised after leads were sent (an output or the journal failing at the end): the
        # CLI must not say "nothing was sent".
        exc.sent = exc.sent or sending.sent
        raise
    except STORAGE_EXCEPTIONS as exc:  # a writer outside the boundary: the same, by name
        error = storage_error(exc, None)
        error.sent = sending.sent
        raise error from exc


def _run_import(
    cfg: ImportConfig,
    progress: Progress,
    stdin: BinaryIO | None,
    transport: httpx.BaseTransport | None,
    sending: _Sending,
    on_batch: Callable[[Batch, DetailPart], None] | None = None,
) -> RunResult:
    started = time.monotonic()
    check_outputs(cfg)
    fatal: FoxReachImportError | None = None
    interrupted = False
    complete = True
    done_files: list[str] = []
    with ExitStack() as stack:
        files, refused = prepare_files(cfg, stack, stdin)
        for name, reason in refused.items():
            progress.note(f"{display_name(name)} refused: {reason}")
        for f in files:
            for text in f.source.info.notes:  # the reader's decisions: type by content, formats
                progress.note(text)
        summaries = [_summary(f) for f in files]
        summaries += [FileSummary(file=name, refused=reason) for name, reason in refused.items()]
        fold = ReportFold(summaries, dry_run=cfg.dry_run, sandbox=cfg.sandbox)
        run = _Run(cfg, progress, fold, sending)
        run.on_batch = on_batch
        if not cfg.replay:  # runs show reproduces what the journal says, not today's rules
            run.hygiene = _hygiene(cfg, stack, progress)
        run.resume = _resume(cfg, files, stack, progress)
        if run.resume is not None:
            for info in run.resume.history:
                run.fold.add(info)
        run.open_opt_outs()
        sources = [f.source for f in files]
        if type(progress) is Progress:
            total = cfg.limit  # nobody watches: don't read the files an extra time to count rows
        else:
            estimate = estimate_data_rows(sources)
            total = estimate if cfg.limit is None else min(cfg.limit, estimate or cfg.limit)
            if cfg.live:
                # Paced by the budget: the exact count arrives long before the first tenth of
                # the run (docs/rate-budget.md, "The ETA"). The stack stops it before the
                # sources close.
                run.counter = stack.enter_context(RowCounter(sources, cfg.limit).start())
        run.total = total
        progress = run.progress  # from here on, a failed log write stops sending
        progress.start(total_rows=total, label="Checking" if cfg.dry_run else "Importing")
        try:
            parts = run.unique_rows(files)
            if cfg.dry_run:
                for _ in parts:
                    pass
                run.opt_outs.leave(WOULD_CHECK)
            elif cfg.replay:
                run.not_sent(parts, reasons.UNFINISHED)
            else:
                fatal, interrupted = _send(cfg, run, parts, transport)
        except KeyboardInterrupt:
            interrupted, complete = True, False
        finally:
            progress.stop()
        # Updates the run did not get to (it stopped, or `runs show`): the next run does them.
        run.opt_outs.leave(NOT_DONE, "the run stopped before the lead was updated")
        fatal = fatal or run.storage_failure
        if isinstance(fatal, StorageError) and sending.sent:
            fatal = _after_sending(fatal, run.imported, journal=run.journal_state())
        # A trial on the first --limit rows has not read the whole file: never mark it
        # finished or move it away.
        complete = complete and not run.truncated
        stopped = None
        if fatal is not None:
            stopped = str(fatal)
        elif interrupted:
            stopped = "interrupted"
        if run.hygiene is not None:
            run.fold.hygiene = _hygiene_summary(run.hygiene, files)
        report = run.fold.finish(
            elapsed=time.monotonic() - started, stopped_because=stopped, complete=complete
        )
        # Outputs first, then the journal: a file is marked finished only once its report
        # and rejected rows are safely written, so a rerun can still produce them. Each is
        # tried whatever became of the others (a full disk may be another's), and the
        # journal still records how the run ended.
        failed = _write_outputs(cfg, report, files)
        if run.resume is not None:
            try:
                done_files = run.resume.finish(
                    report,
                    ok=fatal is None and not failed and not interrupted and complete,
                    interrupted=interrupted or not complete,
                )
            except StorageError as exc:
                run.resume.journal = None
                failed.append(exc)
        if failed and fatal is None:
            fatal = failed.pop(0)
            if sending.sent:
                fatal = _after_sending(fatal, run.imported, journal=run.journal_state())
    moved: list[str] = []
    if cfg.state.move_done and fatal is None and not interrupted and complete:
        moved = move_done(_whole_files(done_files, files), cfg.state.move_done)
    return RunResult(
        report=report,
        fatal=fatal,
        interrupted=interrupted,
        moved=moved,
        sent=sending.sent,
        also_failed=failed,
    )


def _write_outputs(
    cfg: ImportConfig, report: ImportReport, files: list[PreparedFile]
) -> list[StorageError]:
    """Write the ``--report`` and ``--rejected`` files; return the ones that failed."""
    out = cfg.outputs
    failed: list[StorageError] = []
    if out.report_path:
        try:
            write_report(out.report_path, report)
        except StorageError as exc:
            failed.append(exc)
    if out.rejected_path:
        try:
            write_rejected_csv(
                out.rejected_path,
                report,
                [(f.name, f.source.info.headers, partial(read_rows, f.source)) for f in files],
            )
            rejected = report.details.files()
            write_rejected_mapping(
                out.rejected_path,
                [(f.source.info, f.mapping) for f in files if f.name in rejected],
            )
        except StorageError as exc:
            failed.append(exc)
    return failed


def _after_sending(error: StorageError, imported: int, *, journal: str) -> StorageError:
    """``error`` with what the run had already done, and what a rerun will do: the sentence
    of a write that failed after leads were sent (``journal``: :meth:`_Run.journal_state`)."""
    leads = "1 lead was" if imported == 1 else f"{imported:,} leads were"
    when = "once there is room" if error.disk_full else "once it can be written"
    if journal == "kept":
        then = f"run the same command again {when}: nothing is sent twice."
    elif journal == "lost":
        then = (
            "the journal could not record every answer, so a rerun may send some again and "
            "report them as duplicates."
        )
    else:
        then = "this run kept no journal, so a rerun sends them again as duplicates."
    hint = f"{leads} already imported; {then}"
    late = StorageError(
        error.message, hint=f"{error.hint} {hint}" if error.hint else hint, option=error.option
    )
    late.disk_full, late.sent = error.disk_full, True
    return late


def _hygiene(cfg: ImportConfig, stack: ExitStack, progress: Progress) -> Hygiene:
    """The run's hygiene rules. Role and disposable addresses are always counted and named
    (left out only with --skip-role / --skip-disposable); lists, domain checks and verdict
    columns apply when given. Lists are read here, before anything is sent; the default list
    that cannot be read stops the run (InputError, exit 2)."""
    opts = cfg.hygiene
    lists: list[SuppressionList] = []
    default = load_default_list()
    if default is not None:
        lists.append(default)
    lists += [load_list(path) for path in opts.exclude]
    for lst in lists:
        skipped = lst.skipped_note()
        if skipped is not None:
            progress.note(skipped)
    from .hygiene.check import Hygiene
    from .hygiene.suppression import Suppression

    checker = None
    if opts.check_domains:
        # Imported only now: dnspython costs a run that checks no domain.
        from .hygiene.domains import DomainCache, DomainChecker

        cache = DomainCache(
            cfg.state.state_dir / "domains.sqlite", max_age=opts.domain_cache_days * 86400
        )
        stack.callback(cache.close)
        checker = DomainChecker(resolver=opts.resolver, cache=cache)
    return Hygiene(
        suppression=Suppression(lists) if lists else None, domains=checker, options=opts.rules
    )


def _hygiene_summary(hygiene: Hygiene, files: list[PreparedFile]) -> HygieneSummary:
    """What the rules saw, for the report."""
    counts = hygiene.counts
    lists = hygiene.suppression.lists if hygiene.suppression is not None else ()
    return HygieneSummary(
        lists=tuple((lst.path, lst.entries) for lst in lists),
        check_domains=hygiene.domains is not None,
        verdict_columns=tuple(
            f"{display_name(f.name)}: {v.header} ({v.service})"
            for f in files
            for v in f.mapping.verdicts
        ),
        role_seen=counts.role_seen,
        disposable_seen=counts.disposable_seen,
        verdicts_seen=tuple((c, v, n) for (c, v), n in sorted(counts.verdicts_seen.items())),
        domains_checked=counts.domains_checked,
        domains_unchecked=counts.domains_unchecked,
        rows_unchecked=counts.rows_unchecked,
    )


def _summary(f: PreparedFile) -> FileSummary:
    info = f.source.info
    return FileSummary(
        file=info.file,
        format=info.format,
        encoding=info.encoding,
        delimiter=info.delimiter,
        sheet=info.sheet,
        mapping=mapping_rows(f.mapping),
        header_row=info.header_row,
        notes=_header_notes(info) + tuple(info.notes) + f.mapping.notes,
        warnings=f.mapping.warnings,
        consent_required=any(
            o.kind == "permission" and o.means is not None for o in f.mapping.opt_outs
        ),
    )


def _header_notes(info: SourceInfo) -> tuple[str, ...]:
    """What was decided about the header row, when it was not simply the first row."""
    choice = info.header_choice
    if choice is None or (choice.row == 1 and not choice.skipped and not choice.blank_above):
        return ()
    return (choice.describe(),)


def _whole_files(done: list[str], files: list[PreparedFile]) -> list[str]:
    """The files to move once done: a workbook read sheet by sheet only when every sheet
    of it is done, named as the user gave it."""
    finished = set(done)
    out: list[str] = []
    for f in files:
        origin = f.source.info.origin
        if origin is None:
            if f.name in finished:
                out.append(f.name)
        elif origin not in out and all(
            g.name in finished for g in files if g.source.info.origin == origin
        ):
            out.append(origin)
    return out


def _real_path(info: SourceInfo) -> Path | None:
    """The input's file on disk (None for stdin); a sheet's is its workbook's."""
    given = info.origin or info.file
    return None if given == "-" else Path(given).resolve()


def _resume(
    cfg: ImportConfig, files: list[PreparedFile], stack: ExitStack, progress: Progress
) -> Resume | None:
    """The journal of this run: read only for ``runs show``, kept with ``--resume``.

    Every live run first takes the work locks of its files (:meth:`resume.Work.lock`), with
    or without the journal: two runs never import one file to one workspace at once.
    """
    named = [(f.name, f.source.path) for f in files]
    # --sheet all: each sheet of a workbook is its own work (resume.content_hashes).
    sheets = {f.name: f.source.info.sheet or "" for f in files if f.source.info.origin}
    if cfg.replay:
        assert cfg.credentials is not None and cfg.credentials.destination
        return Resume.replay(
            cfg.credentials.destination, named, cfg.state.state_dir, progress.note, sheets
        )
    if not (cfg.live and cfg.credentials is not None):
        return None
    work = Work.identify(cfg.credentials, named, sheets)
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
        paths={f.name: _real_path(f.source.info) for f in files},
        note=progress.note,
    )


def _send(
    cfg: ImportConfig,
    run: _Run,
    parts: Iterator[UniqueRows],
    transport: httpx.BaseTransport | None,
) -> tuple[FoxReachImportError | None, bool]:
    """Stream batches to the API; on an early stop, account for the rest as not sent."""
    creds = cfg.credentials
    assert creds is not None and creds.api_key, "a live run's config carries credentials"
    send = cfg.send
    batcher = Batcher(parts, send.batch_size)
    # One budget per key on this machine: concurrent runs share it through the state directory.
    budget = SharedBudget(
        RateBudget(limit=send.rate_limit, window=send.rate_window),
        cfg.state.state_dir,
        key_fingerprint(creds.api_key),
        limit=send.rate_limit,
        window=send.rate_window,
    )
    run.budget = budget
    batches: Iterator[Batch] = iter(batcher)
    if run.resume is not None:
        batches = run.resume.journaled(batches, run.journal_failed)
    with FoxReachClient(
        creds.base_url,
        creds.api_key,
        timeout=send.timeout,
        transport=transport,
        # A request must never wait for a connection after it took its rate slot.
        max_connections=send.concurrency,
    ) as client:
        sender = run.sender = Sender(client, budget, send, on_event=partial(_on_event, run))
        outcome = sender.run(batches, run.on_result, on_idle=run.tick)
        fatal = outcome.fatal or run.storage_failure
        if fatal is None and not outcome.interrupted:
            # Every batch is answered: opt-outs can now reach the leads already there.
            updates = run.opt_outs.run(client, budget, send, tick=run.tick)
            return updates.fatal, updates.interrupted
    if fatal is None and not outcome.interrupted:
        return None, False
    reason = reasons.CTRL_C if outcome.interrupted else ReasonCode.NOT_SENT_STOPPED.of(fatal)
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
