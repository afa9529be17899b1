"""The import pipeline: read -> map -> validate -> dedup -> batch -> send -> report.

``run_import`` wires the stages together; it knows nothing of the terminal (progress is a
collector it is handed) and returns a ``RunResult`` the CLI renders and turns into an exit
code. Every input row read ends in exactly one bucket of the report, also when the run is
stopped by the API (402, 403, retries exhausted) or by Ctrl-C: the rows not sent are read to
the end locally and reported as ``notSent`` with the reason.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import BinaryIO

import httpx
import pandas as pd

from .client import FoxReachClient
from .config import Credentials, ImportConfig, default_state_dir
from .dedup import Deduper
from .errors import FoxReachImportError, UsageError
from .journal import Journal, destination_id, file_hash, key_fingerprint
from .leads import to_leads
from .locking import WorkLocks
from .mapping import Mapping, build_mapping, check_drift, load_mapping_file
from .models import Batch, BatchResult
from .progress import Progress, ProgressStats
from .ratelimit import Budget, RateBudget
from .read import Source, expand_inputs, open_source, read_rows
from .report import (
    DUPLICATE,
    INVALID,
    NOT_SENT,
    FileSummary,
    ImportReport,
    ReportBuilder,
    write_rejected_csv,
)
from .send import Sender, SendPolicy, default_concurrency
from .shared_budget import SharedBudget
from .validate import LeadDefaults, validate_chunk

DRY_RUN_CHUNK_ROWS = 50_000
LIVE_CHUNK_ROWS = 10_000
EXACT_REPORT_BATCH = 100  # the API lists at most 100 duplicates and 100 errors per request
_NEWLINE_BLOCK = 1 << 20


@dataclass
class RunResult:
    """The report and why the run ended early, if it did."""

    report: ImportReport
    fatal: FoxReachImportError | None = None
    interrupted: bool = False
    moved: list[str] = field(default_factory=list)  # files moved by --move-done


@dataclass
class PreparedFile:
    """An opened input and the mapping it will be read with."""

    source: Source
    mapping: Mapping


def mapping_rows(mapping: Mapping) -> list[dict[str, str]]:
    """The mapping as plain rows for the report and the ``map`` table."""
    return [{"column": c.header, "field": str(c.target), "how": c.how} for c in mapping.columns]


def prepare_files(
    cfg: ImportConfig, stack: ExitStack, stdin: BinaryIO | None
) -> list[PreparedFile]:
    """Open every input and build its mapping, before anything is sent.

    A bad file anywhere in the list stops the run here, so nothing of a run with bad input
    reaches the API.
    """
    mapping_file = load_mapping_file(cfg.mapping_file) if cfg.mapping_file else None
    prepared = []
    for path in expand_inputs(cfg.files):
        source = stack.enter_context(
            open_source(
                path,
                encoding=cfg.encoding,
                delimiter=cfg.delimiter,
                sheet=cfg.sheet,
                stdin=stdin,
                # A live import is paced by the API: small chunks get the first request out
                # sooner; a dry run is paced by the CPU: large chunks amortise per-chunk work.
                chunk_rows=DRY_RUN_CHUNK_ROWS if cfg.dry_run else LIVE_CHUNK_ROWS,
            )
        )
        if mapping_file is not None and mapping_file.headers is not None:
            check_drift(mapping_file, source.info, allow_new_columns=cfg.allow_new_columns)
        mapping = build_mapping(
            source.info,
            overrides=cfg.maps,
            mapping_file=mapping_file,
            unmapped=cfg.unmapped,
        )
        prepared.append(PreparedFile(source, mapping))
    return prepared


def estimate_rows(files: list[PreparedFile]) -> int | None:
    """A quick estimate of the data rows (newlines in text files) for the progress bar."""
    total = 0
    for f in files:
        if f.source.info.format != "csv":
            return None
        lines = 0
        with open(f.source.path, "rb") as fh:
            while block := fh.read(_NEWLINE_BLOCK):
                lines += block.count(b"\n")
        total += max(lines - f.source.info.header_row + 1, 0)
    return total


class Batcher:
    """Cuts the stream of unique valid rows into import batches of one file each."""

    def __init__(self, frames: Iterator[tuple[str, pd.DataFrame]], size: int) -> None:
        self._frames = frames
        self._size = size
        self._pending: list[tuple[str, pd.DataFrame]] = []
        self._pending_rows = 0
        self._seq = 0

    def __iter__(self) -> Iterator[Batch]:
        for file, frame in self._frames:
            if frame.empty:
                continue
            if self._pending and self._pending[-1][0] != file:
                # A batch holds one file's rows, so the journal can record it per file.
                yield self._cut(self._pending_rows)
            self._pending.append((file, frame))
            self._pending_rows += len(frame)
            while self._pending_rows >= self._size:
                yield self._cut(self._size)
        if self._pending_rows:
            yield self._cut(self._pending_rows)

    def _cut(self, n: int) -> Batch:
        batch = Batch(seq=self._seq)
        self._seq += 1
        while n:
            file, frame = self._pending[0]
            take = frame.iloc[:n]
            if len(take) == len(frame):
                self._pending.pop(0)
            else:
                self._pending[0] = (file, frame.iloc[n:])
            leads = to_leads(take)
            batch.files += [file] * len(leads)
            batch.rows += [int(r) for r in take["row"]]
            batch.emails += [lead["email"] for lead in leads]
            batch.leads += leads
            n -= len(take)
            self._pending_rows -= len(take)
        return batch

    def drain(self) -> Iterator[tuple[str, pd.DataFrame]]:
        """Everything not yet cut into a batch: the pending rows, then the rest of the input."""
        pending, self._pending, self._pending_rows = self._pending, [], 0
        yield from pending
        yield from self._frames


class _Run:
    """State of one run: the report so far and the progress figures."""

    def __init__(self, cfg: ImportConfig, progress: Progress) -> None:
        self.cfg = cfg
        self.progress = progress
        self.builder = ReportBuilder(dry_run=cfg.dry_run, sandbox=cfg.sandbox)
        self.stats = ProgressStats()
        self.budget_text = ""
        self.settled: dict[str, set[int]] = {}  # rows answered in earlier runs, per file
        self.journal: Journal | None = None
        self.destination = ""
        self.hashes: dict[str, str] = {}  # file -> content hash
        self._journal_ids: dict[int, int] = {}  # batch seq -> journal batch id

    def unique_frames(self, files: list[PreparedFile]) -> Iterator[tuple[str, pd.DataFrame]]:
        """Read, validate and dedup every file; yield the unique valid rows per chunk."""
        cfg = self.cfg
        defaults = LeadDefaults(source=cfg.source, status=cfg.status, tags=cfg.tags)
        deduper = Deduper()
        left = cfg.limit
        for prepared in files:
            for chunk in prepared.source.chunks():
                if left is not None:
                    if left <= 0:
                        return
                    if len(chunk.frame) > left:
                        chunk = type(chunk)(
                            file=chunk.file, frame=chunk.frame.iloc[:left], rows=chunk.rows[:left]
                        )
                    left -= len(chunk.frame)
                self.builder.add_read(chunk.file, len(chunk.frame))
                checked = validate_chunk(chunk, prepared.mapping, defaults)
                self.builder.add_local(chunk.file, checked.invalid, INVALID)
                unique, duplicates = deduper.split(checked)
                self.builder.add_local(chunk.file, duplicates, DUPLICATE)
                self.builder.add_valid(len(unique))
                settled = self.settled.get(chunk.file)
                if settled:
                    known = unique["row"].isin(settled)
                    self.stats.rows_done += int(known.sum())
                    unique = unique[~known]
                self.stats.rows_read = self.builder.rows_read
                self.stats.rows_done += len(checked.invalid) + len(duplicates)
                self.stats.duplicates += len(duplicates)
                self.stats.errors += len(checked.invalid)
                if cfg.dry_run:
                    self.stats.rows_done += len(unique)
                self.progress.update(self.stats)
                yield chunk.file, unique

    def journaled(self, batches: Iterator[Batch]) -> Iterator[Batch]:
        """Record each batch in the journal before it is handed to the sender."""
        for batch in batches:
            if self.journal is not None:
                self._journal_ids[batch.seq] = self.journal.batch_sent(
                    self.destination, self.hashes[batch.files[0]], batch.rows
                )
            yield batch

    def on_result(self, batch: Batch, result: BatchResult) -> None:
        """Merge one batch's answer, journal it, and refresh the display."""
        b = self.builder
        outcome = b.add_batch_result(batch, result)
        if self.journal is not None:
            self.journal.batch_done(self._journal_ids.pop(batch.seq), outcome)
        s = self.stats
        s.batches += 1
        s.rows_done += len(batch)
        s.created, s.restored = b.created, b.restored
        s.duplicates = b.local_duplicates + b.server_duplicates
        s.errors = b.invalid + b.server_errors
        s.budget = self.budget_text
        self.progress.update(s)

    def not_sent(self, frames: Iterator[tuple[str, pd.DataFrame]], reason: str) -> None:
        """Account for rows that will not be sent."""
        for file, frame in frames:
            self.builder.add_not_sent_frame(file, frame[["row", "email"]], reason)
            if not self.cfg.dry_run:
                self.stats.rows_done += len(frame)
            self.progress.update(self.stats)


def run_import(
    cfg: ImportConfig,
    creds: Credentials | None,
    *,
    progress: Progress | None = None,
    stdin: BinaryIO | None = None,
    transport: httpx.BaseTransport | None = None,
) -> RunResult:
    """Run one import (or dry run) and return its report.

    Raises ``FoxReachImportError`` for problems found before anything is sent (bad input,
    bad options); problems met while sending end the run early and come back in
    ``RunResult.fatal`` with every row still accounted for.
    """
    progress = progress or Progress()
    cfg.check()
    started = time.monotonic()
    run = _Run(cfg, progress)
    fatal: FoxReachImportError | None = None
    interrupted = False
    complete = True
    done_files: list[str] = []
    with ExitStack() as stack:
        files = prepare_files(cfg, stack, stdin)
        if cfg.journaled and creds is not None and creds.api_key:
            files, done_files = _open_journal(cfg, creds, run, files, stack, progress)
        for f in files:
            info = f.source.info
            run.builder.add_file(
                FileSummary(
                    file=info.file,
                    format=info.format,
                    encoding=info.encoding,
                    delimiter=info.delimiter,
                    sheet=info.sheet,
                    mapping=mapping_rows(f.mapping),
                )
            )
        if cfg.limit is not None:
            total: int | None = cfg.limit
        elif type(progress) is Progress:
            total = None  # nobody watches: don't read the files an extra time to count rows
        else:
            total = estimate_rows(files)
        label = "Checking" if cfg.dry_run else "Importing"
        progress.start(total_rows=total, label=label)
        try:
            frames = run.unique_frames(files)
            if cfg.dry_run:
                for _, frame in frames:
                    run.builder.add_unsent_valid(len(frame))
            else:
                fatal, interrupted = _send(cfg, creds, run, frames, transport)
        except KeyboardInterrupt:
            interrupted, complete = True, False
        finally:
            progress.stop()
        stopped = None
        if fatal is not None:
            stopped = str(fatal)
        elif interrupted:
            stopped = "interrupted"
        report = run.builder.finish(
            elapsed=time.monotonic() - started, stopped_because=stopped, complete=complete
        )
        if run.journal is not None and fatal is None and not interrupted and complete:
            unfinished = set(report.details.loc[report.details["kind"] == NOT_SENT, "file"])
            for f in files:
                name = f.source.info.file
                if name not in unfinished:
                    run.journal.finish_file(run.destination, run.hashes[name], _summary(report))
                    done_files.append(name)
        if cfg.report_path:
            report.write_json(cfg.report_path)
        if cfg.rejected_path:
            write_rejected_csv(
                cfg.rejected_path,
                report,
                [
                    (f.source.info.file, f.source.info.headers, partial(read_rows, f.source))
                    for f in files
                ],
            )
    moved: list[str] = []
    if cfg.move_done and fatal is None and not interrupted and complete:
        moved = move_done(done_files, cfg.move_done)
    return RunResult(report=report, fatal=fatal, interrupted=interrupted, moved=moved)


def _summary(report: ImportReport) -> dict[str, int]:
    return {
        "rowsRead": report.rows_read,
        "created": report.created,
        "restored": report.restored,
        "duplicates": report.duplicates,
        "errors": report.errors,
    }


def _open_journal(
    cfg: ImportConfig,
    creds: Credentials,
    run: _Run,
    files: list[PreparedFile],
    stack: ExitStack,
    progress: Progress,
) -> tuple[list[PreparedFile], list[str]]:
    """Lock this run's work, open the journal, and merge what earlier runs did.

    Returns the files still to import and the ones imported before (skipped).
    """
    assert creds.api_key
    state_dir = Path(cfg.state_dir) if cfg.state_dir else default_state_dir()
    run.destination = creds.destination or destination_id(creds.base_url, creds.api_key)
    for f in files:
        run.hashes[f.source.info.file] = file_hash(f.source.path)
    names = {f"{run.destination}|{h}": name for name, h in run.hashes.items()}
    stack.enter_context(
        WorkLocks(state_dir, sorted(names), timeout=cfg.lock_timeout, describe=names.__getitem__)
    )
    journal = run.journal = stack.enter_context(Journal(state_dir))
    todo, skipped = [], []
    for f in files:
        name = f.source.info.file
        digest = run.hashes[name]
        if cfg.force or cfg.resume is False:
            journal.forget_file(run.destination, digest)
        history = journal.history(run.destination, digest)
        if history.done:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(history.finished_at or 0))
            progress.note(
                f"{name}: already imported on {when}; skipped (--force imports it again)."
            )
            run.builder.skipped.append({"file": name, "importedAt": when})
            skipped.append(name)
            continue
        journal.start_file(run.destination, digest, name)
        for outcome in history.answered:
            run.builder.add_previous(name, outcome.counts, outcome.rows)
        run.builder.uncertain.update((name, r) for r in history.uncertain)
        run.settled[name] = history.settled
        todo.append(f)
    return todo, skipped


def move_done(files: list[str], target: str) -> list[str]:
    """Move fully accounted input files into ``target`` (never overwriting); stdin stays."""
    dest_dir = Path(target)
    dest_dir.mkdir(parents=True, exist_ok=True)
    moved = []
    for name in files:
        if name == "-":
            continue
        src = Path(name)
        dest = dest_dir / src.name
        n = 1
        while dest.exists():
            dest = dest_dir / f"{src.stem}.{n}{src.suffix}"
            n += 1
        shutil.move(src, dest)
        moved.append(str(dest))
    return moved


def _send(
    cfg: ImportConfig,
    creds: Credentials | None,
    run: _Run,
    frames: Iterator[tuple[str, pd.DataFrame]],
    transport: httpx.BaseTransport | None,
) -> tuple[FoxReachImportError | None, bool]:
    """Stream batches to the API; on an early stop, account for the rest as not sent."""
    if creds is None or not creds.api_key:
        raise UsageError(
            "No API key: pass --api-key, set FOXREACH_API_KEY (or put it in .env), "
            "or try --sandbox or --dry-run."
        )
    size = min(cfg.batch_size, EXACT_REPORT_BATCH) if cfg.exact_report else cfg.batch_size
    batcher = Batcher(frames, size)
    # One budget per key on this machine: concurrent runs share it through the state directory.
    state_dir = Path(cfg.state_dir) if cfg.state_dir else default_state_dir()
    try:
        budget = SharedBudget(
            RateBudget(limit=cfg.rate_limit, window=cfg.rate_window),
            state_dir,
            key_fingerprint(creds.api_key),
            limit=cfg.rate_limit,
            window=cfg.rate_window,
        )
    except OSError as exc:
        raise UsageError(
            f"Cannot use the state directory {state_dir} ({exc.strerror}); pass --state-dir."
        ) from None
    concurrency = cfg.concurrency
    if concurrency is None:
        concurrency = default_concurrency(cfg.rate_limit)
    policy = SendPolicy(restore=cfg.restore, concurrency=concurrency, max_retries=cfg.max_retries)
    with FoxReachClient(
        creds.base_url,
        creds.api_key,
        timeout=cfg.timeout,
        transport=transport,
        # A request must never wait for a connection after it took its rate slot.
        max_connections=concurrency,
    ) as client:
        sender = Sender(client, budget, policy, on_event=partial(_on_event, run, budget))
        outcome = sender.run(run.journaled(iter(batcher)), run.on_result)
    if outcome.fatal is None and not outcome.interrupted:
        return None, False
    reason = (
        "not sent: interrupted (Ctrl-C)"
        if outcome.interrupted
        else f"not sent: the run stopped ({outcome.fatal})"
    )
    run.not_sent(batcher.drain(), reason)
    return outcome.fatal, outcome.interrupted


def _on_event(run: _Run, budget: Budget, event: object) -> None:
    """Turn a sender event into a progress note and the budget figure."""
    run.budget_text = budget.snapshot().describe()
    text = getattr(event, "message", None)
    if text:
        run.progress.note(str(text))
