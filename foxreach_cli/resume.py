"""Resume: what earlier runs did to each input file, and recording what this run does.

A live import with ``--resume`` identifies its work (:class:`Work`: the destination and each
file's content hash), takes the work locks (:meth:`Work.lock`), and opens the journal
(:meth:`Resume.open`): what was sent and answered before comes back as one
:class:`~foxreach_cli.report.HistoryInfo` per file, batches are recorded before they are sent
(:meth:`Resume.journaled`) and once answered (:meth:`Resume.answered`), and the end of the
run is recorded per file (:meth:`Resume.finish`). ``foxreach runs show`` reads the journal
only (:meth:`Resume.replay`). See docs/journal.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from .credentials import Credentials
from .details import DetailPart
from .errors import StorageError, UsageError
from .optout_updates import NOT_DONE, OptOutUpdate, info
from .reasons import ReasonCode, Rejection
from .report import HistoryInfo, ImportReport, OptOutUpdateInfo
from .stage_data import (
    DUPLICATE,
    ERROR,
    EXCLUDED,
    UNRESOLVED,
    Batch,
    BatchOutcome,
    RowFate,
    Tally,
)
from .state.journal import (
    FINISHED,
    INTERRUPTED,
    REPRODUCED,
    STOPPED,
    FileHistory,
    Journal,
    Reserve,
    destination_id,
    file_hash,
)
from .state.locks import WorkLocks, lock_path

#: The kinds of row an earlier run's record brings into this run's report (``excluded``: left
#: out by a hygiene rule of that run, recorded when it was excluded).
_DETAIL_KINDS = (DUPLICATE, ERROR, UNRESOLVED, EXCLUDED)


def content_hashes(
    files: Sequence[tuple[str, Path]], sheets: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Each input's identity in the journal: the SHA-256 of its content, or for one sheet
    of a workbook read sheet by sheet (``sheets``: name -> sheet) the workbook's hash with
    the sheet's name, so each sheet has its own journal entry and lock."""
    hashes: dict[str, str] = {}
    known: dict[Path, str] = {}  # a workbook read sheet by sheet is hashed once
    for name, path in files:
        digest = known.get(path) or file_hash(path)
        known[path] = digest
        sheet = (sheets or {}).get(name)
        if sheet is not None:
            digest = hashlib.sha256(f"{digest}|sheet:{sheet}".encode()).hexdigest()
        hashes[name] = digest
    return hashes


@dataclass(frozen=True)
class Work:
    """What a live run imports where: the destination and each input file's content hash.

    Its work ids (destination + hash) name the work locks, so two runs never import the same
    file to the same workspace at once.
    """

    destination: str
    hashes: dict[str, str]  # file as named -> SHA-256 of its content

    @classmethod
    def identify(
        cls,
        creds: Credentials,
        files: Sequence[tuple[str, Path]],
        sheets: Mapping[str, str] | None = None,
    ) -> Work:
        """The work of importing ``files`` (name, path of its bytes) with ``creds``.

        ``sheets`` names the sheet of an input that is one sheet of a workbook read sheet by
        sheet (``--sheet all``): its hash is the workbook's with the sheet's name, so each
        sheet has its own journal and lock."""
        assert creds.api_key
        destination = creds.destination or destination_id(creds.base_url, creds.api_key)
        hashes = content_hashes(files, sheets)
        return cls(destination, hashes)

    @property
    def _ids(self) -> dict[str, str]:
        """Each work id (what a lock is named after) -> the file as named."""
        return {f"{self.destination}|{h}": name for name, h in self.hashes.items()}

    def lock(self, state_dir: Path, timeout: float) -> WorkLocks:
        """The locks of this work (a context manager: held inside its ``with``)."""
        names = self._ids
        return WorkLocks(state_dir, sorted(names), timeout=timeout, describe=names.__getitem__)

    def reserve(self, state_dir: Path, size: int) -> Reserve:
        """The journal's reserve of this work: beside the lock of its first work id, so no
        other live run uses the same file while this one holds the lock."""
        first = lock_path(state_dir, min(self._ids))
        return Reserve(first.with_suffix(".reserve"), size)


@dataclass
class Resume:
    """This run's use of the journal: what earlier runs did, and what this run does.

    ``history`` holds each file's :class:`HistoryInfo` for the report; ``settled`` the rows
    answered before (never sent again) and ``uncertain`` the rows sent without an answer
    (resent; their duplicates are probably ours). ``journal`` is None in a replay, and once
    the journal could not be written.
    """

    work: Work
    journal: Journal | None
    history: list[HistoryInfo] = field(default_factory=list)
    settled: dict[str, np.ndarray] = field(default_factory=dict)
    uncertain: set[tuple[str, int]] = field(default_factory=set)
    imported_before: set[str] = field(default_factory=set)  # reproduced, nothing sent
    run_ids: dict[str, int] = field(default_factory=dict)  # file -> its run's id
    _batch_ids: dict[int, int] = field(default_factory=dict)  # batch seq -> journal id
    #: Opt-out updates of earlier runs: those done ((file, email key) -> status, and their
    #: outcomes for the report), and those still to do (this run does them).
    opt_outs_done: dict[tuple[str, str], str] = field(default_factory=dict)
    opt_out_history: list[OptOutUpdateInfo] = field(default_factory=list)
    opt_outs_pending: list[OptOutUpdate] = field(default_factory=list)

    @classmethod
    def open(
        cls,
        work: Work,
        state_dir: Path,
        stack: ExitStack,
        *,
        lock_timeout: float = 0.0,
        reserve_bytes: int = 0,
        force: bool,
        options: dict[str, Any],
        paths: dict[str, Path | None],
        note: Callable[[str], None],
    ) -> Resume:
        """Open the journal, merge what earlier runs did, and record the run of each file.

        ``lock_timeout`` is how long a journal held by another process is waited for
        (beyond a short busy wait); ``reserve_bytes`` the room kept in the state directory
        for recording answers once its disk is full (none when 0, or no file);
        ``force`` forgets what the journal knows of the files first; ``options`` are the
        read options recorded with each run; ``paths`` the files' paths (None for stdin).
        A file imported fully before is not sent again: its answers come from the journal.
        """
        reserve = work.reserve(state_dir, reserve_bytes) if reserve_bytes and work.hashes else None
        journal = stack.enter_context(
            Journal(state_dir, lock_timeout=lock_timeout, reserve=reserve)
        )
        self = cls(work, journal)
        for name, digest in work.hashes.items():
            if force:
                journal.forget_file(work.destination, digest)
            self._merge(name, journal.history(work.destination, digest), note, journal)
            if name not in self.imported_before:
                journal.start_file(work.destination, digest, name)
            path = paths.get(name)
            self.run_ids[name] = journal.run_started(
                work.destination, digest, name, None if path is None else str(path), options
            )
        return self

    @classmethod
    def replay(
        cls,
        destination: str,
        files: Sequence[tuple[str, Path]],
        state_dir: Path,
        note: Callable[[str], None],
        sheets: Mapping[str, str] | None = None,
    ) -> Resume:
        """What the journal knows of each file, read only (``foxreach runs show``);
        ``sheets`` as for :meth:`Work.identify`."""
        journal = Journal.read_only(state_dir)
        if journal is None:
            raise UsageError(f"{state_dir} holds no import history.", option="state_dir")
        work = Work(destination, content_hashes(files, sheets))
        self = cls(work, None)
        with journal:
            for name, digest in work.hashes.items():
                self._merge(name, journal.history(destination, digest), note, journal)
        return self

    def _merge(
        self, name: str, history: FileHistory, note: Callable[[str], None], journal: Journal
    ) -> None:
        """Take what earlier runs did to a file: a resume, or, for a file imported fully
        before, a reproduction of its report (nothing of it is sent again)."""
        imported_at = None
        summary = Tally()
        if history.done:
            when = datetime.fromtimestamp(history.finished_at or 0).astimezone()
            imported_at = when.isoformat(timespec="seconds")
            self.imported_before.add(name)
            note(
                f"{name}: imported on {when:%Y-%m-%d %H:%M}; nothing sent, its report is "
                "reproduced (--force imports it again)."
            )
            summary = history.summary
        self.history.append(_history_info(name, history, imported_at, summary))
        self.uncertain.update((name, r) for r in history.uncertain)
        self.settled[name] = history.settled
        self._merge_opt_outs(name, journal)

    def _merge_opt_outs(self, name: str, journal: Journal) -> None:
        """Take the opt-out updates earlier runs queued for a file: the done ones are not
        redone (and are reported as theirs), the pending ones are this run's to do."""
        digest = self.work.hashes[name]
        for r in journal.opt_out_updates(self.work.destination, digest):
            update = OptOutUpdate(r.key, r.email, r.status, name, r.row)
            if not r.done:
                self.opt_outs_pending.append(update)
                continue
            self.opt_outs_done[(name, r.key)] = r.status
            out = r.outcome
            self.opt_out_history.append(
                info(
                    update,
                    str(out.get("outcome", NOT_DONE)),
                    before=out.get("before"),
                    reason=str(out.get("reason") or ""),
                    earlier=True,
                )
            )

    # -- while sending -----------------------------------------------------------------------

    def journaled(
        self,
        batches: Iterator[Batch],
        on_failure: Callable[[Batch, StorageError], None],
        on_interrupt: Callable[[Batch], None],
    ) -> Iterator[Batch]:
        """Record each batch in the journal before it is handed to the sender.

        When the journal cannot be written, nothing more may be sent that it does not know
        of: ``on_failure`` gets the batch and the error, and the iteration ends. So it does
        once the journal had to use its reserve (the disk is full): the batch is not sent,
        and the reserve's room records the answers of the requests in flight. A Ctrl-C while
        the batch is being recorded hands it to ``on_interrupt`` (it is not sent) first.
        """
        for batch in batches:
            journal = self.journal
            if journal is not None:
                if journal.short_of_room is not None:
                    on_failure(batch, journal.short_of_room)
                    return
                try:
                    self._batch_ids[batch.seq] = journal.batch_sent(
                        self.work.destination, self.work.hashes[batch.files[0]], batch.rows
                    )
                except StorageError as exc:
                    self.journal = None
                    on_failure(batch, exc)
                    return
                except KeyboardInterrupt:
                    # The batch left the batcher and would leave the report with it: the
                    # journal write is slow enough for a Ctrl-C to land in it.
                    on_interrupt(batch)
                    raise
                if journal.short_of_room is not None:
                    on_failure(batch, journal.short_of_room)
                    return
            yield batch

    @property
    def short_of_room(self) -> StorageError | None:
        """Why the run must stop sending although the journal still records: its disk is
        full and it is writing on its reserve's room."""
        return self.journal.short_of_room if self.journal is not None else None

    def answered(self, batch: Batch, outcome: BatchOutcome) -> None:
        """Record what became of a batch's rows (raises StorageError; the journal is then
        dropped for the rest of the run)."""
        batch_id = self._batch_ids.pop(batch.seq, None)
        if self.journal is None or batch_id is None:
            return
        try:
            self.journal.batch_done(batch_id, outcome)
        except StorageError:
            self.journal = None
            raise

    def excluded(self, file: str, part: DetailPart) -> None:
        """Record the rows a hygiene rule left out of ``file``, with their reasons, when they
        are left out: they are settled (a resume does not check or send them again) and a
        reproduced report says what this run excluded, whatever the rules say later. Raises
        StorageError (the journal is then dropped for the rest of the run)."""
        if self.journal is None or not len(part):
            return
        rows: dict[int, RowFate] = {
            r.row: (r.kind, r.email, r.code, r.params)
            for r in (part.record(i) for i in range(len(part)))
        }
        try:
            self.journal.rows_excluded(self.work.destination, self.work.hashes[file], rows)
        except StorageError:
            self.journal = None
            raise

    def opt_out_queued(self, update: OptOutUpdate) -> None:
        """Record an opt-out update before anything is sent for it (raises StorageError; the
        journal is then dropped for the rest of the run)."""
        if self.journal is None:
            return
        try:
            self.journal.opt_out_queued(
                self.work.destination,
                self.work.hashes[update.file],
                update.key,
                update.email,
                update.status,
                update.row,
            )
        except StorageError:
            self.journal = None
            raise

    def opt_out_done(self, update: OptOutUpdate, result: OptOutUpdateInfo) -> None:
        """Record what became of an update (one not done stays pending for the next run)."""
        if self.journal is None or result.outcome == NOT_DONE:
            return
        outcome = {"outcome": result.outcome, "before": result.before, "reason": result.reason}
        try:
            self.journal.opt_out_done(
                self.work.destination,
                self.work.hashes[update.file],
                update.key,
                update.status,
                outcome,
            )
        except StorageError:
            self.journal = None
            raise

    # -- the end -----------------------------------------------------------------------------

    def finish(self, report: ImportReport, *, ok: bool, interrupted: bool) -> list[str]:
        """Mark the files whose every row is accounted for finished, and record how the run
        of each file ended; returns the finished files."""
        journal = self.journal
        if journal is None:
            return []
        # A file with an opt-out update not done is not finished: the next run does it.
        unfinished = report.details.files_with("notSent") | report.opt_out_updates_not_done
        done = []
        for name, digest in self.work.hashes.items():
            summary = report.by_file.get(name, Tally())
            if ok and name not in unfinished:
                if name in self.imported_before:
                    status = REPRODUCED
                else:
                    journal.finish_file(self.work.destination, digest, summary)
                    status = FINISHED
                done.append(name)
            else:
                status = INTERRUPTED if interrupted else STOPPED
            journal.run_ended(self.run_ids[name], status, summary)
        return done


def _history_info(
    name: str, history: FileHistory, imported_at: str | None, summary: Tally
) -> HistoryInfo:
    """A file's history as a result for the report's fold (``summary``: the counts of the
    run that finished the file, whose requests it adds when the file was imported fully)."""
    counts = Tally()
    rows: list[int] = []
    emails: list[str] = []
    kinds: list[str] = []
    reasons: list[Rejection] = []
    for outcome in history.answered:
        counts += outcome.counts
        for row, (kind, email, code, params) in outcome.rows.items():
            if kind in _DETAIL_KINDS:
                rows.append(row)
                emails.append(email)
                kinds.append(kind)
                reasons.append(Rejection(ReasonCode.parse(code), params))
    earlier = Tally(
        retry_duplicates=sum(r.code is ReasonCode.RETRY_DUPLICATE for r in reasons),
        excluded=kinds.count(EXCLUDED),
        requests=summary.requests,
        retries=summary.retries,
        rate_limited=summary.rate_limited,
        batches=summary.batches,
    )
    return HistoryInfo(
        file=name,
        reproduced=history.done,
        imported_at=imported_at,
        counts=counts + earlier,
        # Rows of a resume are marked as from an earlier run; a reproduction shows them as
        # they were.
        details=DetailPart.of_reasons(name, rows, emails, kinds, reasons, earlier=not history.done),
    )
